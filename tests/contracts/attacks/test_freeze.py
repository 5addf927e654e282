"""Attack 3 of the v1 audit: freezing a task, its members' stakes and its children.

v1's `finalize` needed the output of the winning hash; a quorum that revealed a
hash whose output nobody knows (or one over 8,192 bytes, which `finalize` cannot
take) made it revert for ever, so the members' open-task counts never fell and
their whole stakes stayed locked. Two minimum-stake agents holding a quorum were
enough, and so was a stolen signer alone on a one-seat committee.

v2: after `reveal_end + grace_period()`, `finalize(task_id, b"")` fails such a task,
refunds the requester and slashes the seats that revealed the unbacked hash; every
member's stake can leave, and a child of the task fails at activation.
"""

from __future__ import annotations

from typing import Any

import boa
import pytest
from eth_abi import encode
from eth_utils import function_signature_to_4byte_selector, keccak

from deployments.boa_chain import to_next_epoch
from deployments.params import Params
from tests.contracts.attacks.conftest import World, seat_task
from tests.contracts.utils.draws import members_of
from tests.contracts.utils.protocol import ETHER, AgentKeys, commitment, new_salt
from tests.contracts.utils.timing import travel_to, wait_until_withdrawable

HONEST_OUTPUT = b'{"dim":384,"i8":"AAAA"}'
UNKNOWN = keccak(b"a hash whose output nobody will ever show")
TOO_LONG = b"x" * 8_193  # one byte over finalize's bound


def _commit_reveal(world: World, task_id: int, plan: dict[str, tuple[str, bytes]]) -> None:
    """Each member commits and reveals `result_hash` from `sender` (owner or signer)."""
    salts = {m: new_salt() for m in plan}
    for member, (sender, result_hash) in plan.items():
        with boa.env.prank(sender):
            world.market.commit(task_id, commitment(task_id, member, result_hash, salts[member]))
    for member, (sender, result_hash) in plan.items():
        with boa.env.prank(sender):
            world.market.reveal(task_id, result_hash, salts[member])


def _all_leave(world: World, agents: list[str]) -> None:
    """Every member asks its whole free stake out and gets it."""
    leaving = [a for a in agents if world.staking.stakeOf(a) > 0]  # (a slash can empty one)
    for a in leaving:
        free = world.staking.stakeOf(a) - world.staking.pendingUnstakeOf(a)
        if free:
            with boa.env.prank(a):
                world.staking.requestUnstake(free)
    for a in leaving:
        wait_until_withdrawable(world.staking, a)
        stake = world.staking.stakeOf(a)
        before = boa.env.get_balance(a)
        with boa.env.prank(a):
            world.staking.withdrawStake()
        assert boa.env.get_balance(a) == before + stake


@pytest.fixture(scope="module")
def world(deploy_v2) -> tuple[World, list[AgentKeys], list[AgentKeys], str]:
    """v2 with three honest 1-ETH agents and two minimum-stake attacker agents."""
    w = deploy_v2(Params())
    honest = [w.add_agent(ETHER) for _ in range(3)]
    attackers = [w.add_agent(w.params.min_stake) for _ in range(2)]
    to_next_epoch()
    requester = boa.env.generate_address()
    boa.env.set_balance(requester, 100 * ETHER)
    return w, honest, attackers, requester


def _quorum_of_attackers(attackers: list[AgentKeys]) -> Any:
    owners = {a.owner for a in attackers}

    def want(seats: list[str]) -> bool:
        held = sum(1 for s in seats if s in owners)
        return held >= 2 and held < len(seats)  # a quorum, and an honest seat too

    return want


@pytest.mark.parametrize("unbacked", ["unknown output", "output over 8,192 bytes"])
def test_a_quorum_without_an_output_ends_after_the_grace_period(world, unbacked):
    w, honest, attackers, requester = world
    market, params = w.market, w.params
    fee = 3 * 10**15
    task_id = seat_task(w, requester, 3, 2, _quorum_of_attackers(attackers), fee=fee)
    child = seat_task(w, requester, 3, 2, lambda s: True, parents=(task_id,))
    members = members_of(market.committeeOf(task_id))
    bad = keccak(TOO_LONG) if unbacked.startswith("output over") else UNKNOWN
    attacker_owners = {a.owner for a in attackers}
    _commit_reveal(
        w,
        task_id,
        {m: (m, bad if m in attacker_owners else keccak(HONEST_OUTPUT)) for m in members},
    )
    reveal_end = market.getTask(task_id).reveal_end
    travel_to(reveal_end)
    with boa.reverts("market: output does not match the accepted result"):
        market.finalize(task_id, HONEST_OUTPUT)
    if unbacked.startswith("output over"):
        # finalize cannot even take the output: its calldata breaks the 8,192-byte bound.
        data = function_signature_to_4byte_selector("finalize(uint256,bytes)") + encode(
            ["uint256", "bytes"], [task_id, TOO_LONG]
        )
        assert boa.env.execute_code(to_address=market.address, data=data).is_error
    travel_to(reveal_end + params.grace_period - 1)
    with boa.reverts("market: output does not match the accepted result"):
        market.finalize(task_id, b"")

    travel_to(reveal_end + params.grace_period)
    stakes = {m: w.staking.stakeOf(m) for m in members}
    refund = market.claimable(requester)
    market.finalize(task_id, b"")
    assert market.taskPhase(task_id) == 6
    assert market.claimable(requester) == refund + fee
    for m in members:
        assert market.openTasks(m) == 0
        seats = market.getTask(task_id).members
        held = next(v.seats for v in seats if str(v.agent) == m)
        lost = params.slash_wrong * held if m in attacker_owners else 0
        assert w.staking.stakeOf(m) == max(0, stakes[m] - lost)

    # The child of the frozen parent ends too: it fails at activation, refunded.
    market.activate(child)
    assert market.taskPhase(child) == 6
    # Every member's stake can leave.
    _all_leave(w, members)


def test_a_stolen_signer_alone_cannot_freeze_its_agents_stake(world):
    w, honest, _attackers, requester = world
    market, params = w.market, w.params
    victim = honest[0]
    task_id = seat_task(w, requester, 1, 1, lambda s: s == [victim.owner])
    # The thief holds only the signer key: it commits and reveals a hash of nothing.
    _commit_reveal(w, task_id, {victim.owner: (victim.signer.address, UNKNOWN)})
    stake = w.staking.stakeOf(victim.owner)
    with boa.env.prank(victim.owner):
        w.staking.requestUnstake(stake)
    travel_to(market.getTask(task_id).reveal_end + params.grace_period)
    market.finalize(task_id, b"")
    assert market.taskPhase(task_id) == 6
    assert market.openTasks(victim.owner) == 0
    left = stake - params.slash_wrong
    assert w.staking.stakeOf(victim.owner) == left
    wait_until_withdrawable(w.staking, victim.owner)
    before = boa.env.get_balance(victim.owner)
    with boa.env.prank(victim.owner):
        w.staking.withdrawStake()
    assert boa.env.get_balance(victim.owner) == before + left


def test_v1_froze_the_task_its_members_and_its_children(deploy_v1):
    w = deploy_v1(Params())
    agents = [w.add_agent(ETHER) for _ in range(3)]
    requester = boa.env.generate_address()
    boa.env.set_balance(requester, 100 * ETHER)
    with boa.env.prank(requester):
        task_id = w.market.createTask(w.model_id, b"x", 3, 2, [], value=3 * 10**15)
        child = w.market.createTask(w.model_id, b"x", 3, 2, [task_id], value=3 * 10**15)
    members = [str(a) for a in w.market.committeeOf(task_id)]
    # Two members (any two: in v1 each held one seat) reveal a hash of nothing.
    plan = {m: (m, UNKNOWN if i < 2 else keccak(HONEST_OUTPUT)) for i, m in enumerate(members)}
    _commit_reveal(w, task_id, plan)
    for m in members:
        with boa.env.prank(m):
            w.staking.requestUnstake(ETHER)
    boa.env.time_travel(seconds=30 * 86_400)  # a month later
    for output in (b"", HONEST_OUTPUT):
        with boa.reverts("market: output does not match the accepted result"):
            w.market.finalize(task_id, output)
    for m in members:
        assert w.market.openTasks(m) == 1
        with boa.env.prank(m), boa.reverts("staking: agent has open tasks"):
            w.staking.withdrawStake()
    with boa.reverts("market: parents not finalized"):
        w.market.activate(child)
    assert {a.owner for a in agents} == set(members)
