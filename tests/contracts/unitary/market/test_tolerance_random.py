"""Random committees of a tolerant model: whatever the members reveal and however
their deferred slashes end, the fee is paid out once and exactly, every open-task
count drains, and a member is slashed as wrong only when its output is more than the
tolerance away from the accepted one."""

from __future__ import annotations

import boa
import pytest
from eth_utils import keccak
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deployments.boa_chain import to_next_epoch
from tests.contracts.unitary.helpers import events
from tests.contracts.utils.embeddings import base_vector, embedding_output, stepped

BASE = base_vector(seed=3)
A = embedding_output(BASE)
NEAR = embedding_output(stepped(BASE, {10: 1, 300: -1}))
FAR = embedding_output(stepped(BASE, {10: 2}))
OTHER = embedding_output(base_vector(seed=4))
# Distance (int8 steps) from A; NEAR and FAR are within 1 and 2 of A, OTHER far.
CHOICES = [A, A, NEAR, FAR, OTHER, None]


@pytest.fixture(scope="module")
def tolerant(registry, staking, publisher, agents, model_id) -> bytes:
    mid = keccak(b"agentnet test model: random tolerance")
    with boa.env.prank(publisher):
        registry.registerModelWithTolerance(mid, 0, "file://models/rand/manifest.json", 1)
    for a in agents:
        with boa.env.prank(a.owner):
            staking.setModels([model_id, mid])
    to_next_epoch()
    return mid


def _steps(a: bytes, b: bytes) -> int:
    pa = {A: 0, NEAR: 1, FAR: 2}
    if a == b:
        return 0
    if a in pa and b in pa:
        return {(0, 1): 1, (0, 2): 2, (1, 2): 3}[tuple(sorted((pa[a], pa[b])))]
    return 255


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    size=st.sampled_from([3, 5]),
    picks=st.lists(st.sampled_from(range(len(CHOICES))), min_size=5, max_size=5),
    prove_first=st.booleans(),
)
def test_random_committees(
    market,
    staking,
    create_task,
    members,
    play,
    tolerant,
    requester,
    params,
    size,
    picks,
    prove_first,
):
    fee = 10**16 + 7
    task_id = create_task(size=size, quorum=size // 2 + 1, fee=fee, model=tolerant)
    committee = members(task_id)
    outputs = {m: CHOICES[picks[i]] for i, m in enumerate(committee)}
    play(task_id, outputs)
    counts: dict[bytes, int] = {}
    for out in outputs.values():
        if out is not None:
            counts[out] = counts.get(out, 0) + 1
    winner = max(counts, key=lambda o: counts[o]) if counts else None
    quorum_met = winner is not None and counts[winner] >= size // 2 + 1
    claimable_before = {m: market.claimable(m) for m in [*committee, requester]}
    treasury_before = market.treasury_balance()
    escrow_before = market.escrowed() - fee
    stakes = {m: staking.stakeOf(m) for m in committee}

    market.finalize(task_id, winner if quorum_met else b"")
    deferred = {ev.agent: ev.seats for ev in events(market, "SlashDeferred")}
    expected_deferred = (
        {m for m, o in outputs.items() if o is not None and o != winner} if quorum_met else set()
    )
    assert set(deferred) == expected_deferred
    assert market.escrowed() - escrow_before == (
        fee // (counts[winner] + len(deferred)) * len(deferred) if deferred else 0
    )

    order = sorted(deferred, key=str)
    if not prove_first:
        order.reverse()
    for m in order:
        within = _steps(outputs[m], winner) <= 1
        if within:
            market.proveAgreement(task_id, m, winner, outputs[m])
        else:
            with boa.reverts():
                market.proveAgreement(task_id, m, winner, outputs[m])
    boa.env.time_travel(seconds=params.grace_period)
    for m in order:
        if _steps(outputs[m], winner) > 1:
            market.settleDeferred(task_id, m)

    # Paid out once and exactly; nothing left held; every member free.
    paid = sum(market.claimable(a) - claimable_before[a] for a in claimable_before)
    assert paid + market.treasury_balance() - treasury_before == fee
    assert market.escrowed() == escrow_before
    assert all(market.openTasks(m) == 0 for m in committee)
    for m, out in outputs.items():
        slashed = staking.stakeOf(m) < stakes[m]
        wrong = quorum_met and out is not None and _steps(out, winner) > 1
        assert slashed == (out is None or wrong), (m, out)
