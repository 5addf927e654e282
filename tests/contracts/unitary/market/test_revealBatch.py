import boa
import pytest
from eth_utils import keccak

from tests.contracts.conftest import DEFAULT_OUTPUT
from tests.contracts.unitary.helpers import events
from tests.contracts.utils.protocol import new_salt, sign_reveal

H = keccak(DEFAULT_OUTPUT)


@pytest.fixture
def items(market, create_task, members, by_owner, commit_as):
    """Signed reveals for every member of two fully committed tasks."""
    rows = []
    for task_id in (create_task(), create_task(size=5, quorum=3)):
        for m in members(task_id):
            salt = commit_as(task_id, m)
            sig = sign_reveal(by_owner(m).signer, market.address, task_id, m, H, salt)
            rows.append((task_id, m, H, salt, sig))
    return [list(col) for col in zip(*rows, strict=True)]


def test_reveals_across_tasks_in_one_call(market, items, stranger):
    task_ids, agents, hashes, salts, sigs = items
    with boa.env.prank(stranger):
        market.revealBatch(task_ids, agents, hashes, salts, sigs)
    logs = events(market, "Revealed")
    assert [(ev.task_id, ev.agent, ev.result_hash) for ev in logs] == list(
        zip(task_ids, agents, hashes, strict=True)
    )
    # Every member revealed: both tasks can be finalized at once.
    assert market.taskPhase(task_ids[0]) == 4
    assert market.taskPhase(task_ids[-1]) == 4
    market.finalize(task_ids[0], DEFAULT_OUTPUT)
    assert market.taskPhase(task_ids[0]) == 5


def test_reverts_empty_batch(market):
    with boa.reverts("market: empty batch"):
        market.revealBatch([], [], [], [], [])


@pytest.mark.parametrize("short", [1, 2, 3, 4])
def test_reverts_length_mismatch(market, items, short):
    cols = [list(c) for c in items]
    cols[short].pop()
    with boa.reverts("market: batch length mismatch"):
        market.revealBatch(*cols)


def test_one_bad_item_reverts_everything(market, items):
    task_ids, agents, hashes, salts, sigs = items
    salts[-1] = new_salt()
    with boa.reverts("market: invalid signature"):
        market.revealBatch(task_ids, agents, hashes, salts, sigs)
    assert all(not market.memberState(t, a)[2] for t, a in zip(task_ids, agents, strict=True))


def test_reverts_64_byte_signature_in_a_batch(market, items):
    task_ids, agents, hashes, salts, sigs = items
    sigs[0] = sigs[0][:64]
    with boa.reverts("market: signature must be 65 bytes"):
        market.revealBatch(task_ids, agents, hashes, salts, sigs)
