import boa
import pytest
from eth_utils import keccak

from deployments.boa_chain import mine
from tests.contracts.unitary.helpers import events
from tests.contracts.utils.protocol import commitment, new_salt, sign_commit

# SubmissionSkipped reasons (the market's ERR_ codes).
ALREADY_COMMITTED, NOT_ACTIVE, SIGNATURE_LENGTH, BAD_SIGNATURE, UNKNOWN_TASK = 7, 3, 13, 14, 1


def _rows(market, task_id, members, by_owner):
    rows = []
    for m in members(task_id):
        c = commitment(task_id, m, keccak(b"out"), new_salt())
        rows.append((task_id, m, c, sign_commit(by_owner(m).signer, market.address, task_id, m, c)))
    return rows


@pytest.fixture
def items(market, create_task, members, by_owner):
    """Signed commits for every member of two tasks seated in the same block:
    (task_ids, agents, commitments, sigs)."""
    first = create_task(activate=False)
    second = create_task(size=4, quorum=3, activate=False)
    mine(2)
    market.activate(first)
    market.activate(second)
    rows = _rows(market, first, members, by_owner) + _rows(market, second, members, by_owner)
    return [list(col) for col in zip(*rows, strict=True)]


def _skipped(market):
    return [(ev.task_id, ev.agent, ev.reason) for ev in events(market, "SubmissionSkipped")]


def test_commits_across_tasks_in_one_call(market, items, stranger):
    task_ids, agents, commitments, sigs = items
    with boa.env.prank(stranger):
        applied = market.commitBatch(task_ids, agents, commitments, sigs)
    assert applied == len(task_ids)
    logs = events(market, "Committed")
    assert [(ev.task_id, ev.agent) for ev in logs] == list(zip(task_ids, agents, strict=True))
    for t, a in zip(task_ids, agents, strict=True):
        assert market.memberState(t, a)[1] is True
    # Both committees are complete: both tasks are in their reveal phase.
    assert market.taskPhase(task_ids[0]) == 3
    assert market.taskPhase(task_ids[-1]) == 3


def test_an_empty_batch_applies_nothing(market):
    assert market.commitBatch([], [], [], []) == 0


@pytest.mark.parametrize("short", [1, 2, 3])
def test_reverts_length_mismatch(market, items, short):
    cols = [list(c) for c in items]
    cols[short].pop()
    with boa.reverts("market: batch length mismatch"):
        market.commitBatch(*cols)


def test_a_bad_signature_is_skipped(market, items):
    task_ids, agents, commitments, sigs = items
    sigs[-1] = sigs[0]
    assert market.commitBatch(task_ids, agents, commitments, sigs) == len(task_ids) - 1
    assert _skipped(market) == [(task_ids[-1], agents[-1], BAD_SIGNATURE)]
    assert not market.memberState(task_ids[-1], agents[-1])[1]
    assert all(market.memberState(t, a)[1] for t, a in zip(task_ids[:-1], agents[:-1], strict=True))


def test_a_64_byte_signature_is_skipped(market, items):
    task_ids, agents, commitments, sigs = items
    sigs[1] = sigs[1][:64]
    assert market.commitBatch(task_ids, agents, commitments, sigs) == len(task_ids) - 1
    assert _skipped(market) == [(task_ids[1], agents[1], SIGNATURE_LENGTH)]


def test_a_repeated_item_is_skipped(market, items):
    task_ids, agents, commitments, sigs = (col[:1] * 2 for col in items)
    assert market.commitBatch(task_ids, agents, commitments, sigs) == 1
    assert _skipped(market) == [(task_ids[0], agents[0], ALREADY_COMMITTED)]


def test_a_front_run_item_does_not_void_the_batch(market, items, stranger):
    """Someone relays one item of the batch first: the batch still applies the rest.

    The item taken is one whose task has another member later in the batch, so that
    its task is still in its commit phase when the batch reaches it (a task's last
    commit closes the window: the skip would then say so instead)."""
    task_ids, agents, commitments, sigs = items
    i = next((k for k in range(len(task_ids) - 1) if task_ids[k] == task_ids[k + 1]), None)
    assert i is not None, "the draw gave each task a single member"
    with boa.env.prank(stranger):
        market.commitBySig(task_ids[i], agents[i], commitments[i], sigs[i])
    assert market.commitBatch(task_ids, agents, commitments, sigs) == len(task_ids) - 1
    assert _skipped(market) == [(task_ids[i], agents[i], ALREADY_COMMITTED)]
    assert all(market.memberState(t, a)[1] for t, a in zip(task_ids, agents, strict=True))


def test_unknown_and_unseatable_tasks_are_skipped(market, create_task, by_owner, agents):
    waiting = create_task(activate=False)  # its draw block is not mined yet
    keys = agents[0]
    rows = []
    for task_id in (waiting, 99):
        c = commitment(task_id, keys.owner, keccak(b"out"), new_salt())
        rows.append(
            (
                task_id,
                keys.owner,
                c,
                sign_commit(keys.signer, market.address, task_id, keys.owner, c),
            )
        )
    cols = [list(col) for col in zip(*rows, strict=True)]
    assert market.commitBatch(*cols) == 0
    assert _skipped(market) == [(waiting, keys.owner, NOT_ACTIVE), (99, keys.owner, UNKNOWN_TASK)]


def test_the_first_item_of_a_waiting_task_seats_it(market, create_task, by_owner):
    task_id = create_task(activate=False)
    mine(2)
    seats = [str(a) for a in market.previewCommittee(task_id)]
    members = list(dict.fromkeys(seats))
    rows = []
    for m in members:
        c = commitment(task_id, m, keccak(b"out"), new_salt())
        rows.append((task_id, m, c, sign_commit(by_owner(m).signer, market.address, task_id, m, c)))
    assert market.commitBatch(*(list(col) for col in zip(*rows, strict=True))) == len(members)
    assert [str(a) for a in events(market, "TaskActivated")[0].committee] == seats
    assert market.taskPhase(task_id) == 3
