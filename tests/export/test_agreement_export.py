"""The agreement check at export: recorded in the manifest, or the package is refused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from model_export.agreement_check import AgreementError
from model_export.export import export
from oracles.agreement import levels as lv
from oracles.package import load_package

NATIVE = lv.native_level()
LOWER = [p.level for p in lv.plan(list(lv.CPU_LEVELS), False) if p.method not in (None, "native")]


def test_folder_exports_declare_rule_and_provider_without_a_check(
    embedding_pkg: Path, generation_pkg: Path
) -> None:
    embedding = load_package(embedding_pkg).manifest
    assert embedding["agreement_rule"] == {"rule": "int8_max_abs_diff", "max_steps": 1}
    assert embedding["execution_provider"] == "cpu" and "agreement" not in embedding
    assert load_package(generation_pkg).manifest["agreement_rule"] == {"rule": "exact"}


def test_checked_export_records_the_harness(tiny_base: Path, tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    model_id = export(tiny_base / "hf-bert", "embedding", out, agreement=True, agreement_inputs=20)
    package = load_package(out, model_id)
    record = package.manifest["agreement"]
    assert record["harness"] == "agentnet-agreement/1" and record["inputs"] == 20
    assert record["levels"][NATIVE] == "native"
    assert set(record["levels"]) | set(record["unavailable"]) == set(lv.CPU_LEVELS)
    assert all(c["violate"] == 0 for c in record["comparisons"])
    assert len(record["comparisons"]) == len(record["levels"]) * (len(record["levels"]) - 1) // 2


@pytest.mark.skipif(not LOWER, reason="no level below this CPU's can be emulated here")
def test_export_refuses_a_package_that_disagrees(tiny_base: Path, tmp_path: Path) -> None:
    out = tmp_path / "int8"
    with pytest.raises(AgreementError, match=r"not written: \d+/24 outputs differ between"):
        export(
            tiny_base / "hf-gpt2",
            "generation",
            out,
            quantize="int8",
            agreement=True,
            agreement_levels=[NATIVE or "", LOWER[-1]],
            agreement_inputs=24,
        )
    assert not out.exists()


def test_cli_flags_reach_export(tiny_base: Path, tmp_path: Path) -> None:
    out = tmp_path / "cuda-pkg"
    cmd = [sys.executable, "-m", "oracles.cli", "model", "export", str(tiny_base / "hf-bert")]
    cmd += ["--kind", "classification", "--out", str(out), "--execution-provider", "cuda"]
    cmd += ["--agreement-check", "--agreement-levels", NATIVE or "", "--agreement-inputs", "4"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr
    manifest = load_package(out, result.stdout.strip()).manifest
    assert manifest["execution_provider"] == "cuda"
    assert manifest["provider_options"]["cuda"]["use_tf32"] == "0"
    assert manifest["agreement"]["levels"] == {NATIVE: "native"}
    assert manifest["agreement"]["inputs"] == 4
    assert "compared nothing" in result.stderr
