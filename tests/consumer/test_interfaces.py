"""The Solidity side: interfaces that match the deployed Vyper contracts, twins that match
each other, sources that compile without a warning, and every revert reason tested."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from eth_utils import event_abi_to_log_topic, function_abi_to_4byte_selector

from deployments.artifacts import compile_all
from tests.consumer.evm import VYPER_GUESTBOOK
from tests.consumer.solc import SOLIDITY_DIR, compile_solidity

ROOT = Path(__file__).resolve().parents[2]
REASON = re.compile(r'"((?:consumer|canonical|guestbook): [^"]+)"')


def _ids(abi: list[dict[str, Any]]) -> dict[str, bytes]:
    """Selector of every function and topic of every event, by signature."""
    out: dict[str, bytes] = {}
    for item in abi:
        if item["type"] == "function":
            out[f"function {item['name']}"] = function_abi_to_4byte_selector(item)
        elif item["type"] == "event":
            out[f"event {item['name']}"] = event_abi_to_log_topic(item)
    return out


def _keyed(abi: list[dict[str, Any]]) -> set[tuple[str, bytes]]:
    return {(kind, selector) for kind, selector in _ids(abi).items()}


@pytest.mark.parametrize("name", ["TaskMarket", "AgentStaking", "ModelRegistry"])
def test_interface_matches_the_compiled_vyper_abi(name: str) -> None:
    interface = _keyed(compile_solidity()[f"I{name}"].abi)
    vyper = _keyed(compile_all()[name].abi)
    assert interface, f"I{name} is empty"
    assert interface - vyper == set(), "in the interface, not (or otherwise) in the contract"
    assert vyper - interface == set(), "in the contract, missing from the interface"


def test_interfaces_are_not_stale() -> None:
    name = "agentnet_solidity_generate"
    spec = importlib.util.spec_from_file_location(name, SOLIDITY_DIR / "generate.py")
    assert spec is not None and spec.loader is not None
    generate = importlib.util.module_from_spec(spec)
    sys.modules[name] = generate  # its dataclasses look their module up
    spec.loader.exec_module(generate)
    stale = [
        str(path.relative_to(ROOT))
        for path, text in generate.expected_files().items()
        if not path.exists() or path.read_text() != text
    ]
    assert not stale, f"run `python contracts/solidity/generate.py`: {stale} are stale"


def _vyper_guestbook_abi() -> list[dict[str, Any]]:
    from vyper.cli.vyper_compile import compile_files

    out = compile_files([VYPER_GUESTBOOK], ("abi",), paths=[str(ROOT / "contracts")])
    return list(next(iter(out.values()))["abi"])


def _shape(abi: list[dict[str, Any]]) -> set[str]:
    """Functions and events with argument names, indexed flags and outputs."""

    def t(p: dict[str, Any]) -> str:
        if p["type"].startswith("tuple"):
            return "(" + ",".join(t(c) for c in p["components"]) + ")" + p["type"][5:]
        return str(p["type"])

    shapes = set()
    for item in abi:
        if item["type"] not in ("function", "event"):
            continue
        args = ",".join(
            f"{t(p)}{' indexed' if p.get('indexed') else ''} {p['name']}" for p in item["inputs"]
        )
        outputs = ",".join(t(p) for p in item.get("outputs", []))
        mutability = item.get("stateMutability", "")
        shapes.add(f"{item['type']} {item['name']}({args}) {mutability} -> ({outputs})")
    return shapes


def test_guestbook_twins_have_one_abi() -> None:
    vyper = _shape(_vyper_guestbook_abi())
    solidity = _shape(compile_solidity()["Guestbook"].abi)
    assert vyper == solidity, (sorted(vyper - solidity), sorted(solidity - vyper))


def test_solidity_compiles_without_warnings() -> None:
    assert compile_solidity().warnings == []


def _reasons(paths: list[Path]) -> set[str]:
    return {reason for path in paths for reason in REASON.findall(path.read_text())}


def test_twins_revert_with_the_same_reasons() -> None:
    vyper = _reasons(sorted((ROOT / "contracts" / "consumer").rglob("*.vy")))
    solidity = _reasons(sorted(SOLIDITY_DIR.rglob("*.sol")))
    # The Solidity guestbook checks the text length itself (Vyper's ABI decoder refuses
    # a longer string without a reason) and the transient lock has its own reason.
    assert solidity - vyper == {"guestbook: text over 280 bytes", "consumer: reentrant call"}
    assert vyper - solidity == set()


def test_every_revert_reason_is_expected_by_a_test() -> None:
    here = Path(__file__).resolve()
    tests = "\n".join(p.read_text() for p in here.parent.glob("test_*.py") if p.resolve() != here)
    sources = sorted((ROOT / "contracts" / "consumer").rglob("*.vy"))
    sources += sorted(SOLIDITY_DIR.rglob("*.sol"))
    missing = sorted(r for r in _reasons(sources) if f'"{r}"' not in tests)
    assert not missing, f"no test expects {missing}"
