"""Direct storage access for tests that cannot reach a state by calls in reasonable time."""

from __future__ import annotations

from typing import Any

import boa
from eth_utils import keccak


def mapping_slot(base: int, key: bytes) -> int:
    """Slot of ``mapping[key]`` for a mapping at ``base`` (32-byte key)."""
    return int.from_bytes(keccak(base.to_bytes(32, "big") + key), "big")


def model_leaves_slot(staking: Any, model_id: bytes) -> int:
    """Slot of a model's leaf word in AgentStaking (v2 module layout, or v1's `_model_stats`)."""
    layout = staking.compiler_data.storage_layout["storage_layout"]
    if "stake_tree" in layout:
        base = layout["stake_tree"]["_model_leaves"]["slot"]
    else:
        base = layout["_model_stats"]["slot"]
    return mapping_slot(base, model_id)


def read(contract: Any, slot: int) -> int:
    return int(boa.env.evm.get_storage(contract.address, slot))


def write(contract: Any, slot: int, value: int) -> None:
    boa.env.evm.set_storage(contract.address, slot, value)
