"""Execution provider selection."""

from __future__ import annotations

import onnxruntime as ort
import pytest

from oracles.engine.session import choose_providers
from oracles.errors import UsageError


def test_default_is_cuda_when_present_else_cpu() -> None:
    providers = choose_providers()
    assert providers[-1] == "CPUExecutionProvider"
    has_cuda = "CUDAExecutionProvider" in ort.get_available_providers()
    assert (providers[0] == "CUDAExecutionProvider") is has_cuda


def test_short_names_and_cpu_fallback() -> None:
    assert choose_providers(["cpu"]) == ["CPUExecutionProvider"]


@pytest.mark.skipif(
    "TensorrtExecutionProvider" in ort.get_available_providers(), reason="TensorRT present"
)
def test_unavailable_provider_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="TensorrtExecutionProvider is not available"):
        choose_providers(["tensorrt"])


def test_engine_imports_no_torch() -> None:
    import subprocess
    import sys

    code = (
        "import sys, oracles.engine, oracles.package, oracles.cli_model; "
        "print(sorted(m for m in ('torch', 'transformers', 'optimum') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
