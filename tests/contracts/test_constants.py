"""Every constant of ``oracles.protocol`` against the compiled contracts' own.

A probe contract imports the contracts as modules and returns their constants, so a
change on either side that the other did not follow fails here, not on a devnet.
"""

from __future__ import annotations

import re
from pathlib import Path

import boa
import pytest

from oracles import protocol
from oracles.protocol import AgentStatus, ModelKind, Phase, Refusal, SlashReason

ROOT = Path(__file__).resolve().parents[2]

# (python value, vyper expression of the same constant)
PAIRS: list[tuple[int, str]] = [
    (protocol.MAX_COMMITTEE, "constants.MAX_COMMITTEE"),
    (protocol.MAX_MODELS_PER_AGENT, "constants.MAX_MODELS"),
    (protocol.MAX_AGENTS_PER_MODEL, "constants.MAX_AGENTS_PER_MODEL"),
    (protocol.EPOCH_BLOCKS, "constants.EPOCH_BLOCKS"),
    (protocol.MAX_STAKE, "constants.MAX_STAKE"),
    (protocol.WITHDRAW_AFTER_EPOCHS, "staking.WITHDRAW_AFTER_EPOCHS"),
    (protocol.MAX_PARENTS, "market.MAX_PARENTS"),
    (protocol.MAX_INPUT_BYTES, "market.MAX_INPUT"),
    (protocol.MAX_OUTPUT_BYTES, "market.MAX_OUTPUT"),
    (protocol.MAX_BATCH, "market.MAX_BATCH"),
    (protocol.MAX_FEE, "market.MAX_FEE"),
    (ModelKind.GENERATION, "registry.MAX_KIND"),
]
PAIRS += [(p.value, f"market.PHASE_{p.name}") for p in Phase]
PAIRS += [(r.value, f"market.ERR_{r.name}") for r in Refusal]
PAIRS += [(r.value, f"constants.REASON_{r.name}") for r in SlashReason]
PAIRS += [(s.value, f"staking.STATUS_{s.name}") for s in AgentStatus]


UINT8_PREFIXES = ("PHASE_", "ERR_", "REASON_", "STATUS_", "MAX_KIND")


def _probe_source() -> str:
    lines = [
        "import contracts.TaskMarket as market",
        "import contracts.AgentStaking as staking",
        "import contracts.ModelRegistry as registry",
        "import contracts.modules.constants as constants",
        "",
    ]
    for i, (_, expr) in enumerate(PAIRS):
        kind = "uint8" if expr.split(".")[1].startswith(UINT8_PREFIXES) else "uint256"
        lines += ["@external", "@view", f"def c{i}() -> {kind}:", f"    return {expr}", ""]
    return "\n".join(lines)


@pytest.fixture(scope="module")
def probe():  # type: ignore[no-untyped-def]
    return boa.loads(_probe_source())  # imports resolve from the repository root


def test_python_constants_match_the_contracts(probe) -> None:  # type: ignore[no-untyped-def]
    mismatched = [
        (expr, value, getattr(probe, f"c{i}")())
        for i, (value, expr) in enumerate(PAIRS)
        if getattr(probe, f"c{i}")() != value
    ]
    assert mismatched == []


def test_every_refusal_code_of_the_market_is_named() -> None:
    source = (ROOT / "contracts" / "TaskMarket.vy").read_text()
    codes = dict(re.findall(r"^ERR_([A-Z_]+): constant\(uint8\) = (\d+)", source, re.M))
    assert {name: int(v) for name, v in codes.items()} == {r.name: r.value for r in Refusal}


def test_eip712_names_match_the_market() -> None:
    source = (ROOT / "contracts" / "TaskMarket.vy").read_text()
    assert f'"{protocol.DOMAIN_NAME}"' in source
    assert f'"{protocol.DOMAIN_VERSION}"' in source
    for name, fields in (("Commit", protocol.COMMIT_TYPE), ("Reveal", protocol.REVEAL_TYPE)):
        signature = f"{name}(" + ",".join(f"{f['type']} {f['name']}" for f in fields) + ")"
        assert signature in source
