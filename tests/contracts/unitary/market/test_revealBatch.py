import boa
import pytest
from eth_utils import keccak

from deployments.boa_chain import mine
from tests.contracts.conftest import DEFAULT_OUTPUT
from tests.contracts.unitary.helpers import events
from tests.contracts.utils.protocol import new_salt, sign_reveal

H = keccak(DEFAULT_OUTPUT)
ALREADY_REVEALED, REVEAL_MISMATCH, SIGNATURE_LENGTH, BAD_SIGNATURE = 11, 12, 13, 14


@pytest.fixture
def items(market, create_task, members, by_owner, commit_as):
    """Signed reveals for every member of two fully committed tasks."""
    rows = []
    tasks = [create_task(activate=False), create_task(size=4, quorum=3, activate=False)]
    mine(2)
    for task_id in tasks:
        market.activate(task_id)
    for task_id in tasks:
        for m in members(task_id):
            salt = commit_as(task_id, m)
            sig = sign_reveal(by_owner(m).signer, market.address, task_id, m, H, salt)
            rows.append((task_id, m, H, salt, sig))
    return [list(col) for col in zip(*rows, strict=True)]


def _skipped(market):
    return [(ev.task_id, ev.agent, ev.reason) for ev in events(market, "SubmissionSkipped")]


def test_reveals_across_tasks_in_one_call(market, items, stranger):
    task_ids, agents, hashes, salts, sigs = items
    with boa.env.prank(stranger):
        assert market.revealBatch(task_ids, agents, hashes, salts, sigs) == len(task_ids)
    logs = events(market, "Revealed")
    assert [(ev.task_id, ev.agent, ev.result_hash) for ev in logs] == list(
        zip(task_ids, agents, hashes, strict=True)
    )
    # Every member revealed: both tasks can be finalized at once.
    assert market.taskPhase(task_ids[0]) == 4
    assert market.taskPhase(task_ids[-1]) == 4
    market.finalize(task_ids[0], DEFAULT_OUTPUT)
    assert market.taskPhase(task_ids[0]) == 5


def test_an_empty_batch_applies_nothing(market):
    assert market.revealBatch([], [], [], [], []) == 0


@pytest.mark.parametrize("short", [1, 2, 3, 4])
def test_reverts_length_mismatch(market, items, short):
    cols = [list(c) for c in items]
    cols[short].pop()
    with boa.reverts("market: batch length mismatch"):
        market.revealBatch(*cols)


def test_a_bad_item_is_skipped(market, items):
    task_ids, agents, hashes, salts, sigs = items
    salts[-1] = new_salt()  # the signature no longer covers the item
    assert market.revealBatch(task_ids, agents, hashes, salts, sigs) == len(task_ids) - 1
    assert _skipped(market) == [(task_ids[-1], agents[-1], BAD_SIGNATURE)]
    assert not market.memberState(task_ids[-1], agents[-1])[2]


def test_a_reveal_that_does_not_match_is_skipped(market, items, by_owner):
    task_ids, agents, hashes, salts, sigs = items
    salts[0] = new_salt()
    sigs[0] = sign_reveal(
        by_owner(agents[0]).signer, market.address, task_ids[0], agents[0], H, salts[0]
    )
    assert market.revealBatch(task_ids, agents, hashes, salts, sigs) == len(task_ids) - 1
    assert _skipped(market) == [(task_ids[0], agents[0], REVEAL_MISMATCH)]


def test_a_64_byte_signature_is_skipped(market, items):
    task_ids, agents, hashes, salts, sigs = items
    sigs[0] = sigs[0][:64]
    assert market.revealBatch(task_ids, agents, hashes, salts, sigs) == len(task_ids) - 1
    assert _skipped(market) == [(task_ids[0], agents[0], SIGNATURE_LENGTH)]


def test_a_front_run_item_does_not_void_the_batch(market, items, stranger):
    task_ids, agents, hashes, salts, sigs = items
    with boa.env.prank(stranger):
        market.revealBySig(task_ids[1], agents[1], hashes[1], salts[1], sigs[1])
    assert market.revealBatch(task_ids, agents, hashes, salts, sigs) == len(task_ids) - 1
    assert _skipped(market) == [(task_ids[1], agents[1], ALREADY_REVEALED)]
    assert all(market.memberState(t, a)[2] for t, a in zip(task_ids, agents, strict=True))
