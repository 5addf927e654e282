"""Start one harness run in a child process at a level, and check it saw that level.

The child (:mod:`oracles.agreement.child`) is started with the masking library
preloaded (``LD_PRELOAD`` for CPUID faulting, ``LD_AUDIT`` for CPUID patching)
and ``GLIBC_TUNABLES``; afterwards the parent checks, from the child's own report
and the library's, that the mask took effect:

- numpy, imported in the child, detected exactly the level's features;
- patch mode: every CPUID site of onnxruntime's library was patched, and
  onnxruntime executed at least one of them (so its kernel choice went through
  the masked answers); fault mode: at least one CPUID was answered;
- glibc's ``ld.so --list-diagnostics`` under the same tunables shows the hidden
  features inactive (where that glibc can list them);
- the session ran on the provider the level asks for.

Any failed check raises :class:`EmulationError`: a level that could not be
emulated is never reported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from oracles.agreement import levels as lv
from oracles.agreement.sites import write_sites_file
from oracles.errors import AgentnetError

LD_SO = Path("/lib64/ld-linux-x86-64.so.2")
_CLEARED_ENV = (
    "LD_PRELOAD",
    "LD_AUDIT",
    "GLIBC_TUNABLES",
    "PYTHONFAULTHANDLER",
    "AGENTNET_CPU_LEVEL",
    "AGENTNET_CPUMASK_MODE",
    "AGENTNET_CPUMASK_REPORT",
    "AGENTNET_CPUMASK_SITES",
)
# ld.so diagnostics: (features index, register index, bit) of features a level hides.
_GLIBC_BITS: dict[str, tuple[tuple[int, int, int], ...]] = {
    "avx2": ((1, 1, 16),),  # AVX512F (leaf 7 EBX)
    "sse42": ((1, 1, 16), (1, 1, 5), (0, 2, 28), (0, 2, 12)),  # + AVX2, AVX, FMA
}


class EmulationError(AgentnetError):
    """A child did not run at the level it was asked for."""


@dataclass
class RunResult:
    """What one child produced and how it was checked."""

    name: str
    method: str
    outputs: list[bytes]
    seconds: float
    model_id: str
    objects: list[str]
    checks: list[str] = field(default_factory=list)


def _child_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _CLEARED_ENV}
    root = str(lv.REPO)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update(extra)
    return env


def glibc_check(level: str) -> str:
    """A note on glibc's dispatch under the level's tunables; raise if not hidden."""
    if not LD_SO.is_file():
        return "glibc: not checked (no ld.so at the usual path)"
    env = dict(os.environ, GLIBC_TUNABLES=lv.glibc_tunables(level))
    out = subprocess.run(
        [str(LD_SO), "--list-diagnostics"], env=env, capture_output=True, text=True
    )
    if out.returncode != 0:
        return "glibc: not checked (ld.so has no --list-diagnostics)"
    values: dict[str, int] = {}
    for line in out.stdout.splitlines():
        key, _, value = line.partition("=")
        if ".active[" in key:
            values[key] = int(value, 16)
    for index, reg, bit in _GLIBC_BITS[level]:
        key = f"x86.cpu_features.features[0x{index:x}].active[0x{reg:x}]"
        if key in values and values[key] >> bit & 1:
            raise EmulationError(f"{level}: glibc still uses a hidden feature ({key} bit {bit})")
    return "glibc: hidden features inactive"


def _library_report(path: Path, method: str, level: str, sites: dict[str, int]) -> list[str]:
    lines = path.read_text().splitlines() if path.is_file() else []
    problems = [line for line in lines if line.startswith(("error", "skip"))]
    if problems:
        raise EmulationError(f"{level}: masking library: {problems[0]}")
    if f"mode {method.removeprefix('cpuid-')} level {level}" not in lines:
        raise EmulationError(f"{level}: the masking library did not start ({method})")
    traps = [line.split() for line in lines if line.startswith("trap ")]
    if method == "cpuid-fault":
        if not traps:
            raise EmulationError(f"{level}: no CPUID was trapped")
        return [f"cpuid-fault: {len(traps)} CPUID answers masked"]
    patched = [line.split(" ", 2) for line in lines if line.startswith("patched ")]
    index = {p[2]: i for i, p in enumerate(patched)}
    ort = [p for p in sites if "onnxruntime" in Path(p).name and sites[p] > 0]
    if not ort:
        raise EmulationError(f"{level}: found no CPUID in onnxruntime's library")
    notes = []
    for path_text in ort:
        if path_text not in index or int(patched[index[path_text]][1]) != sites[path_text]:
            raise EmulationError(f"{level}: {path_text} was not patched in full")
        hits = sum(1 for t in traps if len(t) == 3 and int(t[2]) == index[path_text])
        if hits == 0:
            raise EmulationError(f"{level}: onnxruntime never asked the patched CPUID")
        notes.append(f"cpuid-patch: {sites[path_text]} sites in {Path(path_text).name}, {hits} hit")
    return [*notes, f"cpuid-patch: {len(traps)} CPUID answers masked in all"]


def _check_features(name: str, features: dict[str, bool]) -> str:
    level = lv.base_level(name)
    want = lv.EXPECTED_FEATURES.get(level, {})
    wrong = {k: features.get(k) for k, v in want.items() if features.get(k) is not v}
    if wrong:
        raise EmulationError(f"{name}: numpy detected {wrong}, not the {level} level")
    return f"numpy: {', '.join(f'{k}={v}' for k, v in sorted(want.items()))}"


def patchable_objects(objects: list[str]) -> list[Path]:
    """The mapped objects of the Python environment (glibc and system libraries excluded)."""
    roots = {Path(sys.prefix).resolve()}
    roots.update(Path(p).resolve() for p in sys.path if p.endswith("site-packages"))
    out = []
    for name in objects:
        path = Path(name).resolve()
        if path.is_file() and any(path.is_relative_to(r) for r in roots):
            out.append(path)
    return out


def run_child(
    name: str,
    method: str,
    package: Path,
    inputs: list[bytes],
    threads: int,
    batch: int,
    objects: list[str] | None = None,
) -> RunResult:
    """Run ``inputs`` through ``package`` in a child at level ``name``; check and return."""
    level = lv.base_level(name)
    provider = "cuda" if level == "cuda" else "cpu"
    with tempfile.TemporaryDirectory(prefix="agentnet-agreement-") as tmp:
        work = Path(tmp)
        job = {
            "package": str(package),
            "inputs": [x.hex() for x in inputs],
            "threads": threads,
            "batch": batch,
            "provider": provider,
        }
        (work / "job.json").write_text(json.dumps(job))
        extra: dict[str, str] = {}
        checks: list[str] = []
        sites: dict[str, int] = {}
        report = work / "report.txt"
        if method in ("cpuid-fault", "cpuid-patch"):
            checks.append(glibc_check(level))
            library = str(lv.library_path())
            extra = {
                "AGENTNET_CPU_LEVEL": level,
                "AGENTNET_CPUMASK_MODE": method.removeprefix("cpuid-"),
                "AGENTNET_CPUMASK_REPORT": str(report),
                "GLIBC_TUNABLES": lv.glibc_tunables(level),
            }
            if method == "cpuid-fault":
                extra["LD_PRELOAD"] = library
            else:
                sites_file = work / "sites.txt"
                sites = write_sites_file(patchable_objects(objects or []), sites_file)
                extra.update({"LD_AUDIT": library, "AGENTNET_CPUMASK_SITES": str(sites_file)})
        cmd = [sys.executable, "-m", "oracles.agreement.child", str(work / "job.json")]
        proc = subprocess.run(
            [*cmd, str(work / "out.json")], env=_child_env(extra), capture_output=True, text=True
        )
        if proc.returncode != 0:
            tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise EmulationError(f"{name}: child failed (exit {proc.returncode}): {tail}")
        result = json.loads((work / "out.json").read_text())
        if method in ("cpuid-fault", "cpuid-patch"):
            checks += _library_report(report, method, level, sites)
    if level == "cuda":
        if result["providers"][0] != "CUDAExecutionProvider":
            raise EmulationError(f"{name}: the session did not run on CUDA")
    else:
        checks.insert(0, _check_features(name, result["features"]))
        if result["providers"][0] != "CPUExecutionProvider":
            raise EmulationError(f"{name}: the session did not run on the CPU")
    return RunResult(
        name=name,
        method=method,
        outputs=[bytes.fromhex(x) for x in result["outputs"]],
        seconds=float(result["seconds"]),
        model_id=str(result["model_id"]),
        objects=list(result["objects"]),
        checks=checks,
    )
