"""Compile the protocol's Vyper contracts into ABIs and bytecode (once per process)."""

from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deployments.plan import CONTRACT_NAMES

# The sources to compile: the repository's contracts/, or another checkout's
# (AGENTNET_CONTRACTS_DIR), e.g. to deploy a released version beside a newer tree.
CONTRACTS_DIR = Path(
    os.environ.get("AGENTNET_CONTRACTS_DIR") or Path(__file__).resolve().parent.parent / "contracts"
)


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode: bytes  # creation code
    runtime: bytes  # deployed code, before the immutables vyper appends


def _hex(value: str) -> bytes:
    return bytes.fromhex(value.removeprefix("0x"))


CACHE_DIR = Path(__file__).resolve().parent.parent / ".agentnet" / "artifacts"


def _source_key() -> str:
    """A hash of everything the bytecode depends on: sources and compiler versions."""
    import snekmate
    import vyper

    h = hashlib.sha256(f"vyper {vyper.__version__}".encode())
    roots = [CONTRACTS_DIR, Path(next(iter(snekmate.__path__)))]
    for root in roots:
        for path in sorted(root.rglob("*.vy*")):
            h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:24]


@functools.cache
def compile_all() -> dict[str, Artifact]:
    """Compiled contracts, from a disk cache keyed by source hash, else the pinned vyper."""
    cache = CACHE_DIR / f"{_source_key()}.json"
    if cache.exists():
        try:
            data = json.loads(cache.read_text())
            return {
                name: Artifact(name, d["abi"], _hex(d["bytecode"]), _hex(d["runtime"]))
                for name, d in data.items()
            }
        except (OSError, ValueError, KeyError):
            pass
    artifacts = _compile()
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".tmp")
    tmp.write_text(
        json.dumps(
            {
                n: {"abi": a.abi, "bytecode": a.bytecode.hex(), "runtime": a.runtime.hex()}
                for n, a in artifacts.items()
            }
        )
    )
    tmp.replace(cache)
    return artifacts


def _compile() -> dict[str, Artifact]:
    from vyper.cli.vyper_compile import compile_files

    paths = [CONTRACTS_DIR / f"{name}.vy" for name in CONTRACT_NAMES]
    out = compile_files(paths, ("abi", "bytecode", "bytecode_runtime"), paths=[str(CONTRACTS_DIR)])
    artifacts: dict[str, Artifact] = {}
    for name, path in zip(CONTRACT_NAMES, paths, strict=True):
        entry = (
            out.get(path)
            or out.get(str(path))
            or next(v for k, v in out.items() if Path(str(k)).name == path.name)
        )
        artifacts[name] = Artifact(
            name=name,
            abi=entry["abi"],
            bytecode=_hex(entry["bytecode"]),
            runtime=_hex(entry["bytecode_runtime"]),
        )
    return artifacts
