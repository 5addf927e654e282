"""Attack 6 of the v1 audit: voiding a relayer's batch by front-running one item.

Signed commits are public once broadcast: anyone can relay one of them alone,
ahead of the relayer's batch. v1 reverted the whole batch on that item ("already
committed"); v2 skips it and applies the rest.
"""

from __future__ import annotations

import boa
from eth_utils import keccak

from deployments.boa_chain import mine, to_next_epoch
from deployments.params import Params
from tests.contracts.utils.draws import members_of
from tests.contracts.utils.protocol import ETHER, commitment, new_salt, sign_commit


def _signed_commits(world, task_id, keys_of):
    rows = []
    for m in members_of(world.market.committeeOf(task_id)):
        c = commitment(task_id, m, keccak(b"out"), new_salt())
        rows.append(
            (task_id, m, c, sign_commit(keys_of[m].signer, world.market.address, task_id, m, c))
        )
    return [list(col) for col in zip(*rows, strict=True)]


def _front_run_then_batch(world, task_id, keys_of):
    task_ids, agents, commitments, sigs = _signed_commits(world, task_id, keys_of)
    assert len(agents) >= 2
    front_runner = boa.env.generate_address()
    with boa.env.prank(front_runner):
        world.market.commitBySig(task_ids[0], agents[0], commitments[0], sigs[0])
    return task_ids, agents, commitments, sigs


def _world(deploy):
    world = deploy(Params())
    agents = [world.add_agent(ETHER) for _ in range(5)]
    return world, {a.owner: a for a in agents}


def test_v2_batch_applies_all_but_the_front_run_item(deploy_v2):
    world, keys_of = _world(deploy_v2)
    to_next_epoch()
    requester = boa.env.generate_address()
    boa.env.set_balance(requester, ETHER)
    with boa.env.prank(requester):
        task_id = world.market.createTask(world.model_id, b"x", 5, 3, [], value=10**15)
    mine(2)
    world.market.activate(task_id)
    cols = _front_run_then_batch(world, task_id, keys_of)
    relayer = boa.env.generate_address()
    with boa.env.prank(relayer):
        applied = world.market.commitBatch(*cols)
    assert applied == len(cols[0]) - 1
    for m in cols[1]:
        assert world.market.memberState(task_id, m)[1] is True


def test_v1_batch_was_voided_by_one_front_run_item(deploy_v1):
    world, keys_of = _world(deploy_v1)
    requester = boa.env.generate_address()
    boa.env.set_balance(requester, ETHER)
    with boa.env.prank(requester):
        task_id = world.market.createTask(world.model_id, b"x", 3, 2, [], value=10**15)
    cols = _front_run_then_batch(world, task_id, keys_of)
    with boa.reverts("market: already committed"):
        world.market.commitBatch(*cols)
    for m in cols[1][1:]:
        assert world.market.memberState(task_id, m)[1] is False
