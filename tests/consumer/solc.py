"""Compile contracts/solidity/ with solc-js (the npm ``solc`` package, run by node).

No compiler binary is downloaded: ``node_modules/solc/soljson.js`` (installed by ``make
setup``'s ``npm install``) is the compiler. Outputs are cached under
``.agentnet/artifacts/solc-<hash>.json``, keyed by the sources and the compiler version.
"""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SOLIDITY_DIR = ROOT / "contracts" / "solidity"
# Test harnesses, compiled as if they lay in contracts/solidity/test/.
HARNESS_DIR = Path(__file__).resolve().parent / "contracts"
SOLCJS = ROOT / "node_modules" / "solc" / "solc.js"
CACHE_DIR = ROOT / ".agentnet" / "artifacts"
# Standard JSON in on stdin, out on stdout (the `solcjs` command prints notes before it).
COMPILE_JS = (
    "const solc = require('solc');"
    "process.stdout.write(solc.compile(require('fs').readFileSync(0, 'utf8')));"
)
# Cancun: what titanoboa's EVM and anvil both run (transient storage, mcopy).
EVM_VERSION = "cancun"


@dataclass(frozen=True)
class SolArtifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode: bytes  # creation code
    runtime: bytes


@dataclass(frozen=True)
class Compiled:
    contracts: dict[str, SolArtifact]
    warnings: list[str]

    def __getitem__(self, name: str) -> SolArtifact:
        return self.contracts[name]


class SolcError(RuntimeError):
    """solc-js is missing or the sources do not compile."""


def _sources() -> dict[str, str]:
    sources = {
        p.relative_to(SOLIDITY_DIR).as_posix(): p.read_text()
        for p in sorted(SOLIDITY_DIR.rglob("*.sol"))
    }
    sources.update({f"test/{p.name}": p.read_text() for p in sorted(HARNESS_DIR.glob("*.sol"))})
    return sources


def solc_version() -> str:
    package = json.loads((SOLCJS.parent / "package.json").read_text())
    return str(package["version"])


@functools.cache
def compile_solidity(extra: tuple[tuple[str, str], ...] = ()) -> Compiled:
    """Every contract of contracts/solidity/ (interfaces and libraries included) and the
    test harnesses, by name; ``extra`` adds (path, source) pairs, which may import
    ``agentnet/contracts/solidity/<file>`` as a dApp beside a checkout would."""
    node = shutil.which("node")
    if node is None or not SOLCJS.exists():
        raise SolcError("solc-js is not installed: run `make setup` (npm install)")
    sources = {**_sources(), **dict(extra)}
    request = {
        "language": "Solidity",
        "sources": {path: {"content": text} for path, text in sources.items()},
        "settings": {
            "remappings": ["agentnet/contracts/solidity/="],
            "evmVersion": EVM_VERSION,
            "optimizer": {"enabled": True, "runs": 200},
            "outputSelection": {
                "*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]}
            },
        },
    }
    payload = json.dumps(request, sort_keys=True)
    key = hashlib.sha256(f"{solc_version()}\0{payload}".encode()).hexdigest()[:24]
    cache = CACHE_DIR / f"solc-{key}.json"
    if cache.exists():
        output = json.loads(cache.read_text())
    else:
        done = subprocess.run(
            [node, "-e", COMPILE_JS],
            input=payload,
            capture_output=True,
            text=True,
            check=False,
            cwd=str(ROOT),
        )
        try:
            output = json.loads(done.stdout)
        except ValueError:
            raise SolcError(f"solc-js failed: {done.stderr.strip() or done.stdout[:400]}") from None
        errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
        if errors:
            raise SolcError("\n".join(e.get("formattedMessage", e["message"]) for e in errors))
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp")
        tmp.write_text(json.dumps(output))
        tmp.replace(cache)
    out: dict[str, SolArtifact] = {}
    for contracts in output["contracts"].values():
        for name, data in contracts.items():
            out[name] = SolArtifact(
                name,
                data["abi"],
                bytes.fromhex(data["evm"]["bytecode"]["object"]),
                bytes.fromhex(data["evm"]["deployedBytecode"]["object"]),
            )
    warned = [
        e.get("formattedMessage", e["message"])
        for e in output.get("errors", [])
        if e.get("severity") == "warning"
    ]
    return Compiled(out, warned)
