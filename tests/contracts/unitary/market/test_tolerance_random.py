"""Random committees of a tolerant model: whatever the members reveal and however
their deferred slashes end, the fee is paid out once and exactly, every open-task
count drains, and a member is slashed as wrong only when its output is more than the
tolerance away from the accepted one."""

from __future__ import annotations

import boa
import pytest
from eth_utils import keccak
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from deployments.boa_chain import to_next_epoch
from tests.contracts.unitary.helpers import events
from tests.contracts.utils.embeddings import base_vector, embedding_output, stepped

BASE = base_vector(seed=3)
VECTORS = {
    "a": BASE,
    "near": stepped(BASE, {10: 1, 300: -1}),
    "far": stepped(BASE, {10: 2}),
    "other": base_vector(seed=4),
}
OUTPUTS = {embedding_output(v): v for v in VECTORS.values()}
A, NEAR, FAR, OTHER = (embedding_output(v) for v in VECTORS.values())
# None: the member stays silent.
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
    """The largest coordinate difference of two of the outputs above."""
    return max(abs(x - y) for x, y in zip(OUTPUTS[a], OUTPUTS[b], strict=True))


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    size=st.sampled_from([3, 5]),
    picks=st.lists(st.sampled_from(range(len(CHOICES))), min_size=5, max_size=5),
    prove_first=st.booleans(),
)
# NEAR wins: A and FAR are one step from it (proven), OTHER is far (settled).
@example(size=5, picks=[2, 2, 2, 3, 0], prove_first=True)
@example(size=5, picks=[0, 1, 3, 4, 2], prove_first=False)
@example(size=3, picks=[4, 4, 5, 0, 0], prove_first=True)
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
