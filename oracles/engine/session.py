"""onnxruntime session creation: provider selection and thread settings."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import onnxruntime as ort

from oracles.errors import UsageError

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


def create_session(
    model_path: Path, threads: int | None = None, providers: Sequence[str] | None = None
) -> ort.InferenceSession:
    """An InferenceSession with full graph optimization and ``threads`` intra-op threads."""
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.inter_op_num_threads = 1
    if threads:
        options.intra_op_num_threads = threads
    options.log_severity_level = 3
    return ort.InferenceSession(
        str(model_path), sess_options=options, providers=choose_providers(providers)
    )


def uses_device(session: ort.InferenceSession) -> bool:
    """True when the session's first provider is a GPU one (IO binding pays off)."""
    return session.get_providers()[0] in ("CUDAExecutionProvider", "TensorrtExecutionProvider")
