"""Fixtures: the tiny packages (shared), and a tiny int8 generation package."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.utils.tiny import (  # noqa: F401  (fixtures, found by name)
    _tiny_packages_first,
    classification_pkg,
    embedding_pkg,
    generation_pkg,
    pkg_copy,
    tiny_base,
)


@pytest.fixture(scope="session")
def int8_generation_pkg(request: pytest.FixtureRequest) -> Path:
    """The tiny GPT-2 with 8-bit MatMulNBits at accuracy level 4 (int8 activations):
    onnxruntime has one int8 kernel per instruction set and none on SSE4.2."""
    from model_export.export import export

    base: Path = request.getfixturevalue("tiny_base")
    request.getfixturevalue("generation_pkg")  # builds hf-gpt2
    out = base / "pkg-generation-int8"
    if not (out / "manifest.json").is_file():
        export(base / "hf-gpt2", "generation", out, quantize="int8", agreement=False)
    return out
