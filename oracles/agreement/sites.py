"""CPUID instruction sites of shared objects, for the ``cpuid-patch`` mask.

objdump disassembles each object once (tens of seconds for onnxruntime's 36 MB
library); the offsets are cached by the file's sha256 under
``$XDG_CACHE_HOME/agentnet/cpuid-sites`` (default ``~/.cache``). A raw search for
the bytes ``0f a2`` would also hit the middle of other instructions (65 matches
against 47 real CPUID instructions in onnxruntime 1.32), so only the
disassembler's instruction boundaries are used.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from pathlib import Path

from oracles.errors import AgentnetError

_CPUID = re.compile(r"^\s*([0-9a-f]+):\s+cpuid\s*$")
_CHUNK = 1 << 20


class SitesError(AgentnetError):
    """objdump could not disassemble an object."""


def cache_dir() -> Path:
    """Where the offsets are cached."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "agentnet" / "cpuid-sites"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def scan(path: Path) -> list[int]:
    """Virtual addresses of every CPUID instruction objdump finds in ``path``."""
    proc = subprocess.Popen(
        ["objdump", "-d", "--no-show-raw-insn", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    grep = subprocess.run(
        ["grep", "-E", r"\scpuid\s*$"], stdin=proc.stdout, capture_output=True, text=True
    )
    assert proc.stdout is not None
    proc.stdout.close()
    if proc.wait() != 0:
        raise SitesError(f"{path}: objdump failed (exit {proc.returncode})")
    return [int(m.group(1), 16) for line in grep.stdout.splitlines() if (m := _CPUID.match(line))]


def sites(path: Path) -> list[int]:
    """CPUID offsets of one object, from the cache or a fresh scan."""
    path = path.resolve()
    cached = cache_dir() / f"{_sha256(path)}.txt"
    if cached.is_file():
        text = cached.read_text().strip()
        return [int(x, 16) for x in text.split(",")] if text else []
    found = scan(path)
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(",".join(f"{x:x}" for x in found))
    tmp.replace(cached)
    return found


def write_sites_file(objects: list[Path], out: Path) -> dict[str, int]:
    """Write the library's sites file for these objects; return path -> site count."""
    counts: dict[str, int] = {}
    lines = []
    for obj in objects:
        real = obj.resolve()
        offsets = sites(real)
        counts[str(real)] = len(offsets)
        if offsets:
            joined = ",".join(f"{x:x}" for x in offsets)
            lines.append(f"{real}\t{real.stat().st_size}\t{joined}\n")
    out.write_text("".join(lines))
    return counts
