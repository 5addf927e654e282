"""Export a Hugging Face model to an agentnet model package.

Steps: optimum ``main_export`` (with its own validation at ``atol``),
``onnx.checker.check_model``, our parity check against PyTorch (fails the export
when the fp32 graph is off by more than ``atol``), optional quantization or fp16,
a second check and parity measurement of the final graph, then the package,
staged in a temporary folder: ``model.onnx`` (+ ``model.onnx.data`` when over
2 GB), ``tokenizer.json`` and ``manifest.json``. The manifest declares the
package's ``execution_provider`` and ``agreement_rule``; with the agreement check
(default for presets) the staged package runs through the agreement harness and
is written to ``out_dir`` only if it agrees, with the harness record in
``manifest["agreement"]`` (see :mod:`model_export.agreement_check`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from importlib.metadata import version
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from model_export import agreement_check, parity, sources
from model_export import quantize as quant
from oracles.engine.compare import default_rule
from oracles.errors import UsageError
from oracles.package import compute_model_id, write_manifest

TASKS = {
    "embedding": "feature-extraction",
    "classification": "feature-extraction",
    "generation": "text-generation-with-past",
}
DEFAULT_ATOL = {"embedding": 1e-4, "classification": 1e-4, "generation": 1e-2}
PROVIDERS = ("cpu", "cuda")
# CUDA packages: full fp32 matmuls (no TF32) and deterministic kernels (the session
# sets use_deterministic_compute on any GPU provider).
CUDA_OPTIONS = {"cuda": {"use_tf32": "0", "cudnn_conv_algo_search": "DEFAULT"}}
MAX_GENERATION_LENGTH = 2048
OPTIMIZE_LEVELS = ("O1", "O2", "O3")


class ExportError(UsageError):
    """The exported graph failed a check (parity, checker)."""


def tool_versions() -> dict[str, str]:
    """Versions of the tools that produced a package."""
    names = ("torch", "transformers", "optimum", "optimum-onnx", "onnx", "onnxruntime")
    return {name: version(name) for name in (*names, "tokenizers")}


def _limits(kind: str, max_length: int) -> dict[str, int]:
    limits = {"max_input_bytes": 4096}
    if kind == "classification":
        limits["max_labels"] = 16
    if kind == "generation":
        limits["max_new_tokens"] = min(128, max_length // 2)
    return limits


def _kind_fields(kind: str, folder: Path, source: sources.Source) -> dict[str, Any]:
    from transformers import AutoConfig, AutoTokenizer, GenerationConfig

    config = AutoConfig.from_pretrained(folder)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model_max = int(getattr(config, "max_position_embeddings", 0) or config.n_positions)
    if kind == "generation":
        eos: set[int] = set()
        candidates: list[Any] = [config.eos_token_id]
        if (folder / "generation_config.json").is_file():
            candidates.append(GenerationConfig.from_pretrained(folder).eos_token_id)
        for value in candidates:
            eos.update([value] if isinstance(value, int) else (value or []))
        max_length = min(model_max, MAX_GENERATION_LENGTH)
        return {
            "max_length": max_length,
            "generation": {"rule": "greedy/1", "eos_token_ids": sorted(eos)},
        }
    max_length = min(source.max_length or model_max, model_max)
    fields: dict[str, Any] = {
        "max_length": max_length,
        "dim": int(config.hidden_size),
        "pooling": "mean",
        "pad_token_id": int(tokenizer.pad_token_id or 0),
        "canonicalization": {
            "rule": "embedding-int8/1",
            "normalize": "l2",
            "scale": 127,
            "rounding": "half-even",
            "pad_multiple": 16,
        },
    }
    if kind == "classification":
        fields["classification"] = {"rule": "zero-shot-int8-dot/1", "label_template": "{}"}
    return fields


def _io_names(path: Path) -> tuple[list[str], list[str], int]:
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    inits = {i.name for i in model.graph.initializer}
    inputs = [i.name for i in model.graph.input if i.name not in inits]
    opset = max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    return inputs, [o.name for o in model.graph.output], opset


def _copy_model(src: Path, dst: Path) -> None:
    """Copy a graph; one with external weights is re-saved as model.onnx + model.onnx.data."""
    import onnx

    header = onnx.load(str(src), load_external_data=False)
    external = any(t.data_location == onnx.TensorProto.EXTERNAL for t in header.graph.initializer)
    if not external:
        shutil.copyfile(src, dst)
        return
    model = onnx.load(str(src))
    onnx.save_model(model, str(dst), save_as_external_data=True, location=dst.name + ".data")


def _parity(kind: str, folder: Path, path: Path) -> dict[str, Any]:
    if kind == "generation":
        return parity.decoder_parity(folder, path)
    return parity.encoder_parity(folder, path)


def export(
    source: str | Path,
    kind: str,
    out_dir: str | Path,
    quantize: str | None = None,  # None: the preset's default; "none": float32
    fp16: bool = False,
    optimize: str | None = None,
    atol: float | None = None,
    execution_provider: str | None = None,
    agreement: bool | None = None,
    agreement_levels: list[str] | None = None,
    agreement_inputs: int | None = None,
) -> str:
    """Export ``source`` (preset name or HF folder) as a ``kind`` package; return its id.

    ``quantize``: ``None`` takes the preset's default (float32 for every preset,
    the fastest setting that agrees across CPUs), ``"none"`` forces float32, or one of
    ``int8``, ``int8-dynamic``, ``int4`` (see :mod:`model_export.quantize`).
    ``execution_provider``: ``cpu`` (default) or ``cuda``, the provider whose
    numerics the package declares (a separate model id). ``agreement``: run the
    agreement check (default: on for presets, off for local folders) over
    ``agreement_levels`` (default: every level of the provider) and
    ``agreement_inputs`` inputs (default: the harness's).
    """
    if kind not in TASKS:
        raise UsageError(f"unknown kind {kind!r}; choose from {', '.join(TASKS)}")
    sources.check(str(source), kind)
    flags = agreement_check.current()
    provider = execution_provider or flags.provider or "cpu"
    if provider not in PROVIDERS:
        raise UsageError(f"unknown execution provider {provider!r}; choose cpu or cuda")
    if agreement is None:
        agreement = flags.check if flags.check is not None else str(source) in sources.PRESET_KINDS
    agreement_levels = agreement_levels or flags.levels
    agreement_inputs = agreement_inputs if agreement_inputs is not None else flags.inputs
    if quantize is None and not fp16:
        quantize = sources.PRESET_QUANTIZE.get(str(source))
    elif quantize == "none":
        quantize = None
    if quantize is not None and quantize not in quant.QUANT_MODES:
        raise UsageError(f"unknown quantization {quantize!r}")
    if optimize is not None and optimize not in OPTIMIZE_LEVELS:
        raise UsageError(f"unknown optimization level {optimize!r}")
    if fp16 and quantize:
        raise UsageError("choose either --fp16 or --quantize")
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise UsageError(f"{out}: output folder exists and is not empty")
    atol = DEFAULT_ATOL[kind] if atol is None else atol
    import onnx
    from optimum.exporters.onnx import main_export

    with tempfile.TemporaryDirectory(prefix="agentnet-export-") as tmp:
        work = Path(tmp)
        src = sources.resolve(str(source), kind, work)
        onnx_dir = work / "onnx"
        main_export(
            str(src.folder),
            onnx_dir,
            task=TASKS[kind],
            optimize=optimize,
            atol=atol,
            do_validation=True,
            library_name="transformers",
        )
        path = onnx_dir / "model.onnx"
        onnx.checker.check_model(str(path))
        fp32_parity = _parity(kind, src.folder, path)
        if fp32_parity["max_abs_diff"] > atol:
            raise ExportError(
                f"model.onnx: differs from PyTorch by {fp32_parity['max_abs_diff']:.3g} "
                f"> atol {atol:g}"
            )
        settings: dict[str, Any] = {"quantize": quantize, "fp16": fp16, "optimize": optimize}
        final, parity_out = path, {"fp32": fp32_parity}
        if quantize or fp16:
            final = work / "final.onnx"
            if fp16:
                quant.to_fp16(path, final)
            elif quantize is not None:
                untie = kind == "generation"
                settings["quantization"] = quant.quantize(path, final, quantize, untie)
            onnx.checker.check_model(str(final))
            parity_out["final"] = _parity(kind, src.folder, final)
        stage = work / "package"
        stage.mkdir()
        _copy_model(final, stage / "model.onnx")
        shutil.copyfile(onnx_dir / "tokenizer.json", stage / "tokenizer.json")
        inputs, outputs, opset = _io_names(stage / "model.onnx")
        manifest: dict[str, Any] = {
            "kind": kind,
            "task": TASKS[kind],
            "source": src.name,
            "model_file": "model.onnx",
            "tokenizer_file": "tokenizer.json",
            "inputs": inputs,
            "outputs": outputs,
            "opset": opset,
            "batch_invariant": quantize not in quant.BATCH_VARIANT_MODES,
            "execution_provider": provider,
            **({"provider_options": CUDA_OPTIONS} if provider == "cuda" else {}),
            "agreement_rule": default_rule(kind).to_json(),
            **_kind_fields(kind, src.folder, src),
            "export": {**settings, "atol": atol},
            "tools": tool_versions(),
            "parity": parity_out,
        }
        manifest["limits"] = _limits(kind, int(manifest["max_length"]))
        write_manifest(stage, manifest)
        if agreement:
            record = agreement_check.check(stage, out, agreement_levels, agreement_inputs)
            manifest["agreement"] = record
            write_manifest(stage, manifest)
        out.mkdir(parents=True, exist_ok=True)
        for item in sorted(stage.iterdir()):
            shutil.move(str(item), out / item.name)
        return compute_model_id(out)
