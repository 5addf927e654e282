import boa
import pytest
from eth_utils import keccak

from tests.contracts.unitary.helpers import events
from tests.contracts.utils.protocol import commitment, new_salt, sign_commit


@pytest.fixture
def items(market, create_task, members, by_owner):
    """Signed commits for every member of two tasks: (task_ids, agents, commitments, sigs)."""
    rows = []
    for task_id in (create_task(), create_task(size=5, quorum=3)):
        for m in members(task_id):
            agent = by_owner(m)
            c = commitment(task_id, m, keccak(b"out"), new_salt())
            rows.append((task_id, m, c, sign_commit(agent.signer, market.address, task_id, m, c)))
    return [list(col) for col in zip(*rows, strict=True)]


def test_commits_across_tasks_in_one_call(market, items, stranger):
    task_ids, agents, commitments, sigs = items
    with boa.env.prank(stranger):
        market.commitBatch(task_ids, agents, commitments, sigs)
    logs = events(market, "Committed")
    assert [(ev.task_id, ev.agent) for ev in logs] == list(zip(task_ids, agents, strict=True))
    for t, a in zip(task_ids, agents, strict=True):
        assert market.memberState(t, a)[1] is True
    # Both committees are complete: both tasks are in their reveal phase.
    assert market.taskPhase(task_ids[0]) == 3
    assert market.taskPhase(task_ids[-1]) == 3


def test_reverts_empty_batch(market):
    with boa.reverts("market: empty batch"):
        market.commitBatch([], [], [], [])


@pytest.mark.parametrize("short", [1, 2, 3])
def test_reverts_length_mismatch(market, items, short):
    cols = [list(c) for c in items]
    cols[short].pop()
    with boa.reverts("market: batch length mismatch"):
        market.commitBatch(*cols)


def test_one_bad_signature_reverts_everything(market, items):
    task_ids, agents, commitments, sigs = items
    sigs[-1] = sigs[0]
    with boa.reverts("market: invalid signature"):
        market.commitBatch(task_ids, agents, commitments, sigs)
    assert all(not market.memberState(t, a)[1] for t, a in zip(task_ids, agents, strict=True))


def test_reverts_64_byte_signature_in_a_batch(market, items):
    task_ids, agents, commitments, sigs = items
    sigs[1] = sigs[1][:64]
    with boa.reverts("market: signature must be 65 bytes"):
        market.commitBatch(task_ids, agents, commitments, sigs)


def test_a_repeated_item_reverts(market, items):
    task_ids, agents, commitments, sigs = (col[:1] * 2 for col in items)
    with boa.reverts("market: already committed"):
        market.commitBatch(task_ids, agents, commitments, sigs)
