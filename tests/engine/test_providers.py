"""A package's execution provider: its own model id, and the engine keeps to it."""

from __future__ import annotations

import json
from pathlib import Path

import onnxruntime as ort
import pytest

from oracles.engine import Engine
from oracles.engine.session import package_providers
from oracles.errors import UsageError
from oracles.package import PackageError, load_package, write_manifest

HAS_CUDA = "CUDAExecutionProvider" in ort.get_available_providers()
TEXT = b'{"text":"hello agents"}'


def retarget(pkg: Path, provider: str) -> str:
    manifest = json.loads((pkg / "manifest.json").read_text())
    manifest["execution_provider"] = provider
    return write_manifest(pkg, manifest)


def test_cpu_package_runs_on_cpu_only_and_says_so(
    embedding_pkg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = Engine.load(embedding_pkg, threads=1)
    assert engine.session.get_providers() == ["CPUExecutionProvider"]
    assert "runs on CPUExecutionProvider" in capsys.readouterr().err
    assert package_providers("cpu") == ["CPUExecutionProvider"]


def test_provider_is_part_of_the_model_id(pkg_copy: Path, embedding_pkg: Path) -> None:
    assert load_package(embedding_pkg).execution_provider == "cpu"
    cuda_id = retarget(pkg_copy, "cuda")
    assert cuda_id != load_package(embedding_pkg).model_id
    assert load_package(pkg_copy).execution_provider == "cuda"
    retarget(pkg_copy, "tpu")
    with pytest.raises(PackageError, match="unknown execution_provider 'tpu'"):
        load_package(pkg_copy)


@pytest.mark.skipif(HAS_CUDA, reason="CUDA is present: the package would run on it")
def test_cuda_package_is_refused_without_cuda_unless_the_harness_asks(
    pkg_copy: Path, embedding_pkg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    retarget(pkg_copy, "cuda")
    with pytest.raises(UsageError, match="CUDAExecutionProvider, which this onnxruntime lacks"):
        Engine.load(pkg_copy)
    engine = Engine.load(pkg_copy, threads=1, allow_provider_mismatch=True)
    assert "runs on CPUExecutionProvider (package targets cuda)" in capsys.readouterr().err
    assert engine.run(TEXT) == Engine.load(embedding_pkg, threads=1).run(TEXT)


def test_cpu_package_is_refused_on_another_provider(embedding_pkg: Path) -> None:
    other = next((p for p in ort.get_available_providers() if p != "CPUExecutionProvider"), None)
    if other is None:
        pytest.skip("this onnxruntime offers no provider but the CPU")
    with pytest.raises(UsageError, match="numerics are cpu's: it cannot run on"):
        Engine.load(embedding_pkg, providers=[other])


@pytest.mark.skipif(not HAS_CUDA, reason="needs onnxruntime-gpu and a GPU")
def test_cuda_package_runs_on_cuda(pkg_copy: Path) -> None:
    retarget(pkg_copy, "cuda")
    engine = Engine.load(pkg_copy)
    assert engine.session.get_providers()[0] == "CUDAExecutionProvider"
