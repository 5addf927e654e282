"""onnxruntime session creation: provider selection, session options and thread settings.

A package names the execution provider its numerics belong to
(``manifest["execution_provider"]``: ``cpu``, the default, or ``cuda``); see
:func:`package_providers` for how an engine honours it.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import onnxruntime as ort
import structlog

from oracles.errors import UsageError

log = structlog.get_logger("agentnet.engine")
TARGETS = {"cpu": "CPUExecutionProvider", "cuda": "CUDAExecutionProvider"}

_ALIASES = {
    "cpu": "CPUExecutionProvider",
    "cuda": "CUDAExecutionProvider",
    "tensorrt": "TensorrtExecutionProvider",
    "trt": "TensorrtExecutionProvider",
}


def choose_providers(requested: Sequence[str] | None = None) -> list[str]:
    """Execution providers to use, best first, always ending with CPU.

    ``None`` picks CUDA when this onnxruntime build offers it, else CPU. TensorRT is
    used only when asked for (``"tensorrt"``), because its engine build is slow.
    Names may be short (``cpu``, ``cuda``, ``tensorrt``) or onnxruntime's own.
    """
    available = ort.get_available_providers()
    if requested is None:
        wanted = ["CUDAExecutionProvider"] if "CUDAExecutionProvider" in available else []
    else:
        wanted = [_ALIASES.get(name.lower(), name) for name in requested]
        for name in wanted:
            if name not in available:
                raise UsageError(f"execution provider {name} is not available here")
    if "TensorrtExecutionProvider" in wanted and "CUDAExecutionProvider" in available:
        wanted.append("CUDAExecutionProvider")
    wanted.append("CPUExecutionProvider")
    return list(dict.fromkeys(wanted))


def package_providers(
    target: str, requested: Sequence[str] | None = None, allow_mismatch: bool = False
) -> list[str]:
    """Providers for a package whose numerics belong to ``target`` (``cpu`` or ``cuda``).

    A CPU package runs on the CPU provider only, even where CUDA is present; a CUDA
    package runs on CUDA (nodes CUDA lacks go to the CPU, as when it was measured).
    A CUDA package where CUDA is missing, or any ``requested`` provider other than
    the target, is refused: its outputs would not be the package's answers (the
    committee of a model never mixes GPU and CPU answers). ``allow_mismatch`` (for
    the agreement harness) runs ``requested``, or falls back to the CPU.
    """
    if target not in TARGETS:
        raise UsageError(f"unknown execution provider {target!r} (cpu or cuda)")
    want = TARGETS[target]
    available = ort.get_available_providers()
    if requested:
        asked = choose_providers(requested)
        if asked[0] != want and not allow_mismatch:
            raise UsageError(
                f"this package's numerics are {target}'s: it cannot run on {asked[0]} "
                f"(export a package for that provider; it gets its own model id)"
            )
        return asked
    if want in available:
        return choose_providers([target])
    if not allow_mismatch:
        raise UsageError(
            f"this package runs on {want}, which this onnxruntime lacks "
            "(install the gpu extra on a machine with an NVIDIA GPU)"
        )
    return ["CPUExecutionProvider"]


def session_options(
    threads: int | None, chosen: Sequence[str], optimize: bool = True
) -> ort.SessionOptions:
    """The options of every engine session: full graph optimization (or none, for a
    graph optimized before: :mod:`oracles.engine.cache`), sequential execution and
    ``threads`` intra-op threads; deterministic kernels when the first provider is a GPU's."""
    options = ort.SessionOptions()
    options.graph_optimization_level = (
        ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if optimize
        else ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    )
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.inter_op_num_threads = 1
    if threads:
        options.intra_op_num_threads = threads
    options.log_severity_level = 3
    if chosen[0] != "CPUExecutionProvider":
        options.use_deterministic_compute = True
        if hasattr(ort, "preload_dlls"):  # CUDA/cuDNN from the nvidia-* wheels, if present
            ort.preload_dlls()
    return options


def provider_entries(
    chosen: Sequence[str], provider_options: Mapping[str, Mapping[str, str]] | None
) -> list[tuple[str, dict[str, str]]]:
    """``(provider, options)`` pairs for ``InferenceSession``; ``provider_options`` maps a
    short provider name (``cuda``) to its options."""
    extra = {TARGETS[k]: dict(v) for k, v in (provider_options or {}).items() if k in TARGETS}
    return [(name, extra.get(name, {})) for name in chosen]


def create_session(
    model_path: Path,
    threads: int | None = None,
    providers: Sequence[str] | None = None,
    provider_options: Mapping[str, Mapping[str, str]] | None = None,
) -> ort.InferenceSession:
    """An InferenceSession with full graph optimization and ``threads`` intra-op threads.

    ``provider_options`` maps a short provider name (``cuda``) to its options. On
    CUDA the session asks for deterministic kernels.
    """
    chosen = choose_providers(providers)
    return ort.InferenceSession(
        str(model_path),
        sess_options=session_options(threads, chosen),
        providers=provider_entries(chosen, provider_options),
    )


def log_provider(session: ort.InferenceSession, target: str, package: str) -> None:
    """One line saying which provider runs a package (stderr unless structlog is set up)."""
    running = session.get_providers()[0]
    note = "" if running == TARGETS.get(target) else f" (package targets {target})"
    if structlog.is_configured():
        log.info("engine provider", provider=running, target=target, package=package)
    else:
        print(f"agentnet engine: {package} runs on {running}{note}", file=sys.stderr)


def uses_device(session: ort.InferenceSession) -> bool:
    """True when the session's first provider is a GPU one (IO binding pays off)."""
    return session.get_providers()[0] in ("CUDAExecutionProvider", "TensorrtExecutionProvider")
