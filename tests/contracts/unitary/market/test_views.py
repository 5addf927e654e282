import boa
import pytest
from eth_account.messages import _hash_eip191_message, encode_typed_data
from eth_utils import keccak

from oracles import protocol
from tests.contracts.conftest import DEFAULT_OUTPUT
from tests.contracts.unitary.helpers import ZERO_BYTES32
from tests.contracts.utils.protocol import commitment, new_salt

H = keccak(DEFAULT_OUTPUT)


def test_task_phase_walks_through_all_seven(
    market, create_task, members, commit_as, reveal_as, travel_to, finalize_failed_task
):
    assert market.taskPhase(1) == 0  # unknown
    parent = create_task()
    child = create_task(parents=(parent,))
    assert market.taskPhase(child) == 1  # waiting for parents
    assert market.taskPhase(parent) == 2  # commit

    committee = members(parent)
    salts = {m: commit_as(parent, m) for m in committee[:2]}
    assert market.taskPhase(parent) == 2
    travel_to(market.getTask(parent).commit_end)
    assert market.taskPhase(parent) == 3  # reveal
    for m in committee[:2]:
        reveal_as(parent, m, salts[m])
    assert market.taskPhase(parent) == 3
    travel_to(market.getTask(parent).reveal_end)
    assert market.taskPhase(parent) == 4  # ready to finalize
    market.finalize(parent, DEFAULT_OUTPUT)
    assert market.taskPhase(parent) == 5  # succeeded
    assert market.taskPhase(finalize_failed_task()) == 6  # failed
    market.activate(child)
    assert market.taskPhase(child) == 2


@pytest.mark.parametrize("task_id", [0, 1, 2**64, 2**256 - 1])
def test_views_of_unknown_tasks_do_not_revert(market, stranger, task_id):
    assert market.taskPhase(task_id) == 0
    assert market.taskResult(task_id) == (0, ZERO_BYTES32)
    assert market.committeeOf(task_id) == []
    assert market.memberState(task_id, stranger) == (False, False, False, ZERO_BYTES32)
    with boa.reverts("market: unknown task"):
        market.getTask(task_id)


def test_account_views_of_strangers_are_zero(market, stranger):
    assert market.claimable(stranger) == 0
    assert market.openTasks(stranger) == 0
    assert market.reputation(stranger) == (0, 0, 0)


def test_member_state(market, task, members, outsiders, commit_as, reveal_as):
    committee = members(task)
    assert market.memberState(task, committee[0]) == (True, False, False, ZERO_BYTES32)
    assert market.memberState(task, outsiders(task)[0].owner) == (
        False,
        False,
        False,
        ZERO_BYTES32,
    )
    salts = {m: commit_as(task, m) for m in committee}
    assert market.memberState(task, committee[0]) == (True, True, False, ZERO_BYTES32)
    reveal_as(task, committee[0], salts[committee[0]])
    assert market.memberState(task, committee[0]) == (True, True, True, H)
    # A committed but unrevealed member shows no hash (its commitment stays private).
    assert market.memberState(task, committee[1])[3] == ZERO_BYTES32
    assert market.getTask(task).result_hashes == [H, ZERO_BYTES32, ZERO_BYTES32]


def test_member_state_of_a_waiting_task(market, create_task, agents):
    child = create_task(parents=(create_task(),))
    assert market.memberState(child, agents[0].owner) == (False, False, False, ZERO_BYTES32)


def test_task_count_and_escrow(market, create_task, finalize_succeeded_task):
    create_task(fee=10**15)
    create_task(fee=2 * 10**15)
    assert market.task_count() == 2
    assert market.escrowed() == 3 * 10**15
    finalize_succeeded_task(fee=10**15)
    assert market.task_count() == 3
    assert market.escrowed() == 3 * 10**15


def test_commitment_for_matches_the_worker(market, agents):
    salt = new_salt()
    agent = agents[0].owner
    assert market.commitmentFor(7, agent, H, salt) == commitment(7, agent, H, salt)


def test_digests_match_eip712_typed_data(market, agents):
    chain_id = boa.env.evm.patch.chain_id
    agent = agents[0].owner
    c, salt = keccak(b"c"), new_salt()
    commit_msg = protocol.typed_commit(chain_id, str(market.address), 3, agent, c)
    reveal_msg = protocol.typed_reveal(chain_id, str(market.address), 3, agent, H, salt)
    assert market.commitDigest(3, agent, c) == _hash_eip191_message(
        encode_typed_data(full_message=commit_msg)
    )
    assert market.revealDigest(3, agent, H, salt) == _hash_eip191_message(
        encode_typed_data(full_message=reveal_msg)
    )


def test_get_task_of_a_finalized_task(market, finalize_succeeded_task, members, requester):
    task_id = finalize_succeeded_task(fee=10**15)
    t = market.getTask(task_id)
    assert t.requester == requester
    assert t.fee == 10**15
    assert t.phase == 5
    assert t.result_hash == H
    assert t.committed == [True] * 3
    assert t.revealed == [True] * 3
    assert t.result_hashes == [H] * 3
    assert [str(a) for a in t.committee] == members(task_id)
