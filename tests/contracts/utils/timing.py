"""Moving the in-process chain's clock and blocks to a protocol deadline."""

from __future__ import annotations

from typing import Any

import boa

from deployments.boa_chain import EPOCH_BLOCKS, block_number, mine


def travel_to(t: int) -> None:
    """Move the chain clock to unix time ``t`` (never backwards)."""
    delta = t - boa.env.timestamp
    assert delta >= 0, "cannot travel backwards"
    if delta:
        boa.env.time_travel(seconds=delta)


def wait_until_withdrawable(staking: Any, agent: str) -> None:
    """Past the agent's unbonding time, and into the epoch from which its pending
    unstake counts in no draw: `withdrawStake` waits for both."""
    unbond_at = staking.unbondAt(agent)
    if boa.env.timestamp < unbond_at:
        travel_to(unbond_at)
    mine(staking.withdrawableFromEpoch(agent) * EPOCH_BLOCKS - block_number())
