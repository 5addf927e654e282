"""The agreement harness on the tiny packages, on this machine's real CPU.

Every level this CPU can reach runs in its own process; levels above it are
reported as unavailable. Where a lower level can be emulated (CPUID faulting or
CPUID patching), a package whose kernels differ by instruction set must show
differing outputs: that is the evidence the mask reached onnxruntime.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from oracles.agreement import inputs as input_sets
from oracles.agreement import levels as lv
from oracles.agreement.harness import HARNESS_VERSION, compare, run_agreement
from oracles.agreement.runner import EmulationError, RunResult, run_child
from oracles.engine.canonical import embedding_bytes
from oracles.engine.compare import AgreementRule

NATIVE = lv.native_level()
PLANS = {p.level: p for p in lv.plan(list(lv.CPU_LEVELS), cuda_available=False)}
EMULATED = [name for name, p in PLANS.items() if p.method and p.method != "native"]
needs_emulation = pytest.mark.skipif(
    not EMULATED, reason=f"no level below {NATIVE} can be emulated here: {PLANS}"
)


def test_report_runs_every_reachable_level_and_names_the_rest(embedding_pkg: Path) -> None:
    report = run_agreement(embedding_pkg, n_inputs=40)
    assert report.runs[NATIVE].method == "native"
    for level in lv.CPU_LEVELS:
        above = lv.CPU_LEVELS.index(level) < lv.CPU_LEVELS.index(NATIVE)
        if above:
            assert f"lacks {level}" in report.unavailable[level]
        elif level in EMULATED:
            assert report.runs[level].method in ("cpuid-fault", "cpuid-patch")
            checks = report.runs[level].checks
            assert checks[0].startswith("numpy: ") and "glibc: " in checks[1]
        elif level != NATIVE:
            assert report.unavailable[level] == PLANS[level].reason
    assert set(report.runs) | set(report.unavailable) == set(lv.CPU_LEVELS)
    pairs = {(c.a, c.b) for c in report.comparisons}
    assert pairs == set(itertools.combinations(list(report.runs), 2))
    for c in report.comparisons:
        assert c.n == 40 and c.max_int8_steps is not None and c.violate <= c.differ
    record = report.record()
    assert record["harness"] == HARNESS_VERSION and record["inputs"] == 40
    assert record["levels"] == {name: r.method for name, r in report.runs.items()}
    assert record["unavailable"] == report.unavailable


@needs_emulation
def test_masked_level_changes_onnxruntime_kernels(int8_generation_pkg: Path) -> None:
    # MatMulNBits at accuracy level 4 quantizes activations to int8 with a kernel
    # per instruction set, and has none on SSE4.2 (float fallback): a masked run
    # that matched the native one would mean the mask never reached onnxruntime.
    lowest = EMULATED[-1]
    report = run_agreement(int8_generation_pkg, levels=[NATIVE, lowest], n_inputs=24)
    (c,) = report.comparisons
    assert c.differ > 0, report.render()
    assert c.violate == c.differ  # generation: the exact rule
    assert c.first_diff_token is not None
    assert f"{c.differ}/24" in report.render()


@needs_emulation
@pytest.mark.parametrize("kind", ["classification", "generation"])
def test_float32_tiny_packages_agree(request: pytest.FixtureRequest, kind: str) -> None:
    report = run_agreement(request.getfixturevalue(f"{kind}_pkg"), n_inputs=48)
    assert len(report.runs) >= 2
    assert report.violations == 0, report.render()


@needs_emulation
def test_a_mask_that_missed_onnxruntime_is_refused(embedding_pkg: Path) -> None:
    data = input_sets.inputs("embedding", 2)
    method = PLANS[EMULATED[0]].method
    assert method is not None
    if method == "cpuid-patch":  # no objects listed: onnxruntime keeps its real CPUID
        with pytest.raises(EmulationError, match="no CPUID in onnxruntime"):
            run_child(EMULATED[0], method, embedding_pkg, data, 1, 8, objects=[])
    with pytest.raises(EmulationError, match="numpy detected"):  # a lie about the level
        run_child("sse42" if NATIVE != "sse42" else "avx2", "native", embedding_pkg, data, 1, 8)


def test_levels_this_cpu_lacks_are_unavailable_not_faked() -> None:
    haswell = {"sse4_2", "popcnt", "ssse3", "avx", "avx2", "fma", "f16c"}
    plans = {p.level: p for p in lv.plan(["avx512", "avx2", "cuda"], False, haswell)}
    assert plans["avx512"].method is None and "lacks avx512" in plans["avx512"].reason
    assert plans["avx2"].method == "native"
    assert plans["cuda"].method is None and "CUDA" in plans["cuda"].reason
    assert lv.native_level({"sse4_2", "popcnt", "ssse3"}) == "sse42"
    assert lv.native_level(haswell | {"avx512f", "avx512bw", "avx512dq", "avx512vl"}) == "avx512"


def test_comparison_counts_rule_breaks_and_int8_steps() -> None:
    def run(name: str, vectors: list[list[int]]) -> RunResult:
        outs = [embedding_bytes(np.array(v, dtype=np.int8)) for v in vectors]
        return RunResult(name, "native", outs, 0.0, "0x", [])

    a = run("avx2", [[1, 2], [3, 4], [5, 6], [7, 8]])
    b = run("sse42", [[1, 2], [3, 5], [5, 8], [7, 8]])
    c = compare("embedding", AgreementRule("int8_max_abs_diff", 1), a, b)
    assert (c.n, c.differ, c.violate, c.max_int8_steps) == (4, 2, 1, 2)
    lo, hi = c.interval
    assert lo < 0.5 < hi


def agentnet(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oracles.cli", "model", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        timeout=600,
    )


def test_cli_prints_json_and_tables(classification_pkg: Path) -> None:
    result = agentnet(
        "agreement", str(classification_pkg), "--levels", NATIVE or "", "--json", "--inputs", "6"
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["kind"] == "classification" and report["inputs"] == 6
    assert report["rule"] == {"rule": "exact"} and report["levels"] == {NATIVE: "native"}
    assert report["comparisons"] == []
    result = agentnet(
        "agreement",
        str(classification_pkg),
        "--levels",
        f"{NATIVE},{NATIVE}#2",
        "--inputs",
        "6",
        "--fail-on-violation",
    )
    assert result.returncode == 0, result.stderr
    assert f"| {NATIVE} vs {NATIVE}#2 | 0/6 = 0.0% |" in result.stdout


def test_cli_bad_levels_are_one_line_errors(classification_pkg: Path) -> None:
    result = agentnet("agreement", str(classification_pkg), "--levels", "avx9000")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "levels must be distinct names" in result.stderr
