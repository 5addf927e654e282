"""Instruction-set levels: what this CPU has, and how a child process is made to see less.

Levels, newest first: ``avx512`` (x86-64-v4: AVX-512 F/BW/DQ/VL), ``avx2``
(x86-64-v3: AVX2, FMA, F16C), ``sse42`` (x86-64-v2). ``cuda`` is not an
instruction set but runs through the same machinery (the package on onnxruntime's
CUDA provider). A level can run in a child process in one of these ways:

- ``native``: the CPU's own level, nothing masked.
- ``cpuid-fault``: a lower level through CPUID faulting (the library
  ``build/libagentnet_cpumask.so``, built by ``make setup`` from ``cpumask.c``,
  preloaded with ``LD_PRELOAD``). Needs CPU, kernel and hypervisor support.
- ``cpuid-patch``: a lower level where faulting is missing: the same library as
  an ``LD_AUDIT`` module rewrites the CPUID instructions of the Python
  environment's shared objects (found with objdump) into traps before they run.

Both masks also set ``GLIBC_TUNABLES=glibc.cpu.hwcaps=-...`` for glibc's own
dispatch. A level above the CPU's own cannot be emulated at native speed and is
reported as unavailable, never faked.
"""

from __future__ import annotations

import ctypes
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LIBRARY_ENV = "AGENTNET_CPUMASK_LIB"
DEFAULT_LIBRARY = REPO / "build" / "libagentnet_cpumask.so"

CPU_LEVELS = ("avx512", "avx2", "sse42")
ALL_LEVELS = (*CPU_LEVELS, "cuda")

# /proc/cpuinfo flags that define each level.
_FLAGS: dict[str, tuple[str, ...]] = {
    "avx512": ("avx512f", "avx512bw", "avx512dq", "avx512vl"),
    "avx2": ("avx2", "fma", "f16c", "avx"),
    "sse42": ("sse4_2", "popcnt", "ssse3"),
}

# What numpy must detect in a child running at each level (feature -> expected).
EXPECTED_FEATURES: dict[str, dict[str, bool]] = {
    "avx512": {"AVX512F": True, "AVX2": True},
    "avx2": {"AVX512F": False, "AVX2": True, "FMA3": True},
    "sse42": {"AVX512F": False, "AVX2": False, "AVX": False, "FMA3": False, "SSE42": True},
}

_GLIBC_OFF: dict[str, tuple[str, ...]] = {
    "avx2": (
        "AVX512F",
        "AVX512CD",
        "AVX512BW",
        "AVX512DQ",
        "AVX512ER",
        "AVX512PF",
        "AVX512VL",
    ),
    "sse42": ("AVX", "AVX2", "FMA", "FMA4", "F16C", "BMI1", "BMI2", "LZCNT", "MOVBE"),
}


@dataclass(frozen=True)
class Plan:
    """How one level runs here: a method, or the reason it cannot."""

    level: str
    method: str | None  # native, cpuid-fault, cpuid-patch; None when unavailable
    reason: str = ""


def base_level(name: str) -> str:
    """A run name without its repeat suffix: ``cuda#2`` -> ``cuda``."""
    return name.split("#", 1)[0]


def cpu_flags() -> set[str]:
    """This CPU's feature flags as the kernel reports them."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def cpu_model() -> str:
    """This CPU's model name, for the record."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def native_level(flags: set[str] | None = None) -> str | None:
    """The highest level this CPU has natively (None: not even SSE4.2)."""
    flags = cpu_flags() if flags is None else flags
    for level in CPU_LEVELS:
        if all(f in flags for f in _FLAGS[level]):
            return level
    return None


def library_path() -> Path:
    """The masking library (``$AGENTNET_CPUMASK_LIB`` or build/ in the repo)."""
    return Path(os.environ.get(LIBRARY_ENV) or DEFAULT_LIBRARY)


def faulting_supported(library: Path) -> bool:
    """Whether this thread may turn CPUID faulting on (probed and turned off again)."""
    lib = ctypes.CDLL(str(library))
    return bool(lib.agentnet_cpuid_faulting_supported())


def glibc_tunables(level: str) -> str:
    """The GLIBC_TUNABLES value that hides from glibc what ``level`` lacks."""
    names = list(_GLIBC_OFF["avx2"])
    if level == "sse42":
        names += _GLIBC_OFF["sse42"]
    return "glibc.cpu.hwcaps=" + ",".join("-" + n for n in names)


def plan(levels: list[str], cuda_available: bool, flags: set[str] | None = None) -> list[Plan]:
    """How each requested level would run here (or why it cannot)."""
    native = native_level(flags)
    library = library_path()
    mask_method: str | None = None
    mask_reason = ""
    if not library.is_file():
        mask_reason = f"{library} is missing (run `make setup`)"
    elif faulting_supported(library):
        mask_method = "cpuid-fault"
    elif shutil.which("objdump") is None:
        mask_reason = "no CPUID faulting here and no objdump to find CPUID sites"
    else:
        mask_method = "cpuid-patch"
    out = []
    for name in levels:
        level = base_level(name)
        if level == "cuda":
            reason = "" if cuda_available else "onnxruntime has no CUDA provider here"
            out.append(Plan(name, "native" if cuda_available else None, reason))
        elif native is None:
            out.append(Plan(name, None, "this CPU is below SSE4.2"))
        elif CPU_LEVELS.index(level) < CPU_LEVELS.index(native):
            out.append(Plan(name, None, f"this CPU lacks {level} (it is {native})"))
        elif level == native:
            out.append(Plan(name, "native"))
        else:
            out.append(Plan(name, mask_method, mask_reason))
    return out
