"""Write the Solidity interfaces of the protocol's contracts from their compiled Vyper ABIs.

    .venv/bin/python contracts/solidity/generate.py          # rewrite interfaces/*.sol
    .venv/bin/python contracts/solidity/generate.py --check  # exit 1 if they are stale

One interface per contract (``ITaskMarket``, ``IAgentStaking``, ``IModelRegistry``), with
every external function and event of the ABI, each function's ``@notice`` from the Vyper
NatSpec, and the ABI's tuples as structs named after the Vyper structs whose fields they
carry. ``tests/consumer/test_interfaces.py`` checks the files against the compiled
contracts (selectors and topics) and against this script (not stale).
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OUT_DIR = Path(__file__).resolve().parent / "interfaces"
CONTRACTS = ("TaskMarket", "AgentStaking", "ModelRegistry")
PRAGMA = "^0.8.24"
STRUCT = re.compile(r"^struct (\w+):\n((?:    \w+: .+\n)+)", re.M)


@dataclass
class Structs:
    """Vyper structs of a source (fields -> name) and the Solidity structs emitted so far."""

    by_fields: dict[tuple[str, ...], str]
    emitted: dict[str, str] = field(default_factory=dict)

    def name_of(self, components: list[dict[str, Any]]) -> str:
        names = tuple(str(c["name"]) for c in components)
        if names not in self.by_fields:
            raise SystemExit(f"no Vyper struct has the fields {names}")
        name = self.by_fields[names]
        if name not in self.emitted:
            lines = [f"    struct {name} {{"]
            for c in components:
                lines.append(f"        {self.type_of(c)} {c['name']};")
            lines.append("    }")
            self.emitted[name] = "\n".join(lines)
        return name

    def type_of(self, param: dict[str, Any]) -> str:
        abi_type = str(param["type"])
        if abi_type.startswith("tuple"):
            return self.name_of(param["components"]) + abi_type[len("tuple") :]
        return abi_type


def vyper_structs(source: str) -> dict[tuple[str, ...], str]:
    out: dict[tuple[str, ...], str] = {}
    for match in STRUCT.finditer(source):
        fields = tuple(line.split(":")[0].strip() for line in match.group(2).splitlines())
        out[fields] = match.group(1)
    return out


def _dynamic(param: dict[str, Any]) -> bool:
    t = str(param["type"])
    return t in ("bytes", "string") or t.endswith("]") or t.startswith("tuple")


def _params(params: list[dict[str, Any]], structs: Structs, location: str) -> str:
    parts = []
    for p in params:
        text = structs.type_of(p)
        if _dynamic(p):
            text += f" {location}"
        if p.get("name"):
            text += f" {p['name']}"
        parts.append(text)
    return ", ".join(parts)


def _signature(item: dict[str, Any]) -> str:
    def canonical(p: dict[str, Any]) -> str:
        t = str(p["type"])
        if t.startswith("tuple"):
            return "(" + ",".join(canonical(c) for c in p["components"]) + ")" + t[len("tuple") :]
        return t

    return f"{item['name']}({','.join(canonical(p) for p in item['inputs'])})"


def render(name: str, abi: list[dict[str, Any]], notices: dict[str, str], source: str) -> str:
    """The Solidity interface ``I<name>`` of one contract."""
    structs = Structs(vyper_structs(source))
    events, functions = [], []
    for item in sorted(
        abi, key=lambda i: (str(i.get("name")), _signature(i) if "name" in i else "")
    ):
        if item["type"] == "event":
            params = ", ".join(
                f"{structs.type_of(p)}{' indexed' if p.get('indexed') else ''} {p['name']}"
                for p in item["inputs"]
            )
            events.append(f"    event {item['name']}({params});")
        elif item["type"] == "function":
            mutability = {"nonpayable": ""}.get(item["stateMutability"], item["stateMutability"])
            head = f"    function {item['name']}({_params(item['inputs'], structs, 'calldata')})"
            head += " external" + (f" {mutability}" if mutability else "")
            if item["outputs"]:
                head += f" returns ({_params(item['outputs'], structs, 'memory')})"
            notice = notices.get(_signature(item))
            doc = f"    /// @notice {' '.join(notice.split())}\n" if notice else ""
            functions.append(f"{doc}{head};")
    body = [*structs.emitted.values(), "", *events, "", "\n\n".join(functions)]
    return (
        "// SPDX-License-Identifier: AGPL-3.0-only\n"
        f"pragma solidity {PRAGMA};\n\n"
        f"/// @title I{name}\n"
        f"/// @notice The agentnet {name} (protocol v2), generated from its compiled Vyper ABI by\n"
        "///         contracts/solidity/generate.py: do not edit by hand.\n"
        f"interface I{name} {{\n" + "\n".join(body).strip("\n") + "\n}\n"
    )


def compile_docs() -> dict[str, tuple[list[dict[str, Any]], dict[str, str], str]]:
    """name -> (ABI, notices by signature, source) of the protocol's contracts."""
    sys.path.insert(0, str(ROOT))
    from vyper.cli.vyper_compile import compile_files

    from deployments.artifacts import CONTRACTS_DIR

    out: dict[str, tuple[list[dict[str, Any]], dict[str, str], str]] = {}
    for name in CONTRACTS:
        path = CONTRACTS_DIR / f"{name}.vy"
        compiled = next(
            iter(compile_files([path], ("abi", "userdoc"), paths=[str(CONTRACTS_DIR)]).values())
        )
        methods = compiled["userdoc"].get("methods", {})
        notices = {sig: str(doc["notice"]) for sig, doc in methods.items() if "notice" in doc}
        out[name] = (compiled["abi"], notices, path.read_text())
    return out


def expected_files() -> dict[Path, str]:
    """The interface files as the compiled contracts give them."""
    return {
        OUT_DIR / f"I{name}.sol": render(name, abi, notices, source)
        for name, (abi, notices, source) in compile_docs().items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a file is stale")
    args = parser.parse_args(argv)
    stale = []
    for path, text in expected_files().items():
        if path.exists() and path.read_text() == text:
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    for path in stale:
        print(f"{'stale' if args.check else 'wrote'} {path.relative_to(ROOT)}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
