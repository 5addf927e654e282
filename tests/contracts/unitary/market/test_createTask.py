import boa
import pytest
from eth_utils import keccak

from deployments.boa_chain import block_number, mine, to_next_epoch
from tests.contracts.unitary.helpers import events

INPUT = b'{"text":"hello"}'
MAX_FEE = 2**80 - 1


def test_creates_a_task_that_draws_from_the_next_block(market, model_id, requester, params, agents):
    fee = 5 * params.min_fee_per_agent
    with boa.env.prank(requester):
        task_id = market.createTask(model_id, INPUT, 3, 2, [], value=fee)
    (ev,) = events(market, "TaskCreated")
    assert task_id == 1
    assert ev.task_id == 1
    assert ev.requester == requester
    assert ev.model_id == model_id
    assert ev.fee == fee
    assert (ev.committee_size, ev.quorum) == (3, 2)
    assert ev.input == INPUT
    assert ev.parents == []
    assert ev.draw_block == block_number() + 1

    t = market.getTask(task_id)
    assert t.requester == requester
    assert t.model_id == model_id
    assert t.fee == fee
    assert (t.committee_size, t.quorum) == (3, 2)
    assert t.parents == []
    assert t.draw_block == block_number() + 1
    assert t.params_version == 1
    assert (t.commit_window, t.reveal_window) == (params.commit_window, params.reveal_window)
    assert (t.slash_missed, t.slash_wrong) == (params.slash_missed, params.slash_wrong)
    assert t.members == []
    assert (t.start, t.commit_end, t.reveal_end) == (0, 0, 0)
    assert t.phase == 1
    assert t.result_hash == b"\x00" * 32
    assert market.committeeOf(task_id) == []

    assert market.task_count() == 1
    assert market.escrowed() == fee
    assert boa.env.get_balance(market.address) == fee
    # Nobody is seated yet, so nobody's stake is locked by it.
    assert all(market.openTasks(a.owner) == 0 for a in agents)


def test_ids_start_at_one_and_count_up(create_task, market):
    assert [create_task(size=1, quorum=1) for _ in range(3)] == [1, 2, 3]
    assert market.task_count() == 3


@pytest.mark.parametrize(
    ("size", "quorum", "ok"),
    [
        (1, 0, False),
        (1, 1, True),
        (1, 2, False),
        (2, 1, False),
        (2, 2, True),
        (3, 1, False),
        (3, 2, True),
        (3, 3, True),
        (3, 4, False),
        (4, 2, False),
        (4, 3, True),
        (5, 3, True),
        (5, 6, False),
    ],
)
def test_quorum_must_be_a_majority(create_task, market, size, quorum, ok):
    if ok:
        task_id = create_task(size=size, quorum=quorum, distinct_seats=False)
        assert market.getTask(task_id).quorum == quorum
        assert len(market.committeeOf(task_id)) == size
    else:
        with boa.reverts("market: quorum out of range"):
            create_task(size=size, quorum=quorum)


@pytest.mark.parametrize("size", [0, 17, 255])
def test_reverts_committee_size_out_of_range(create_task, size):
    with boa.reverts("market: committee size out of range"):
        create_task(size=size, quorum=size, fee=10**18)


def test_largest_committee(create_task, market, make_agent):
    for _ in range(11):
        make_agent()
    to_next_epoch()
    task_id = create_task(size=16, quorum=9, distinct_seats=False)
    seats = market.committeeOf(task_id)
    assert len(seats) == 16
    assert sum(m.seats for m in market.getTask(task_id).members) == 16


def test_fee_at_minimum_and_one_wei_below(create_task, market, params):
    with boa.reverts("market: fee below minimum"):
        create_task(size=3, quorum=2, fee=3 * params.min_fee_per_agent - 1)
    task_id = create_task(size=3, quorum=2, fee=3 * params.min_fee_per_agent)
    assert market.getTask(task_id).fee == 3 * params.min_fee_per_agent


def test_fee_at_maximum_and_one_wei_above(create_task, market, requester):
    boa.env.set_balance(requester, 2 * MAX_FEE)
    with boa.reverts("market: fee too large"):
        create_task(fee=MAX_FEE + 1)
    task_id = create_task(fee=MAX_FEE)
    assert market.getTask(task_id).fee == MAX_FEE
    assert market.escrowed() == MAX_FEE


def test_reverts_empty_input(create_task):
    with boa.reverts("market: empty input"):
        create_task(input=b"")


def test_largest_input_is_logged_whole(create_task, market):
    data = b"x" * 4_096
    create_task(input=data, activate=False)
    assert events(market, "TaskCreated")[0].input == data


def test_reverts_unknown_model(create_task):
    with boa.reverts("market: model not active"):
        create_task(model=keccak(b"no such model"))


def test_reverts_deprecated_model(create_task, registry, model_id, publisher):
    with boa.env.prank(publisher):
        registry.deprecateModel(model_id)
    with boa.reverts("market: model not active"):
        create_task()


def test_one_eligible_agent_is_enough_for_any_size(create_task, market, make_agent, other_model_id):
    with boa.reverts("market: no eligible agent"):
        create_task(size=5, quorum=3, model=other_model_id)
    lone = make_agent(models=[other_model_id])
    with boa.reverts("market: no eligible agent"):  # its weight counts from the next epoch
        create_task(size=5, quorum=3, model=other_model_id)
    to_next_epoch()
    task_id = create_task(size=5, quorum=3, model=other_model_id, distinct_seats=False)
    assert [str(a) for a in market.committeeOf(task_id)] == [lone.owner] * 5


def test_eligibility_follows_the_draw_blocks_epoch(create_task, market, make_agent, other_model_id):
    """Weights count from the epoch after their change: a task created in an epoch's
    last block draws in the next epoch, where a weight set just before counts."""
    make_agent(models=[other_model_id])
    mine(254 - block_number() % 256)
    with boa.reverts("market: no eligible agent"):
        create_task(model=other_model_id, activate=False)
    mine(1)  # the epoch's last block: the draw block starts the next epoch
    task_id = create_task(model=other_model_id, activate=False)
    assert market.getTask(task_id).draw_block % 256 == 0


def test_task_with_parents_waits(create_task, market, agents):
    first = create_task()
    second = create_task()
    child = create_task(size=5, quorum=3, parents=(first, second))
    (ev,) = events(market, "TaskCreated")
    assert ev.parents == [first, second]
    assert ev.draw_block == block_number() + 1
    t = market.getTask(child)
    assert t.phase == 1
    assert t.parents == [first, second]
    assert t.members == []
    assert (t.start, t.commit_end, t.reveal_end) == (0, 0, 0)
    assert market.committeeOf(child) == []
    seated = sum(market.openTasks(a.owner) for a in agents)
    mine(2)
    with boa.reverts("market: parents not finalized"):
        market.activate(child)
    assert sum(market.openTasks(a.owner) for a in agents) == seated


def test_eight_parents_is_the_limit(create_task, market):
    parents = tuple(create_task(size=1, quorum=1) for _ in range(8))
    child = create_task(parents=parents)
    assert market.getTask(child).parents == list(parents)


@pytest.mark.parametrize("parent", [0, 1, 2, 99])
def test_reverts_unknown_parent(create_task, parent):
    # Task 1 exists; the new task would be 2, so it cannot name itself or later ids.
    create_task()
    if parent == 1:
        create_task(parents=(parent,))
        return
    with boa.reverts("market: unknown parent"):
        create_task(parents=(parent,))


def test_reverts_duplicate_parent(create_task):
    a = create_task()
    b = create_task()
    with boa.reverts("market: duplicate parent"):
        create_task(parents=(a, b, a))


def test_reverts_when_paused(create_task, market, owner):
    with boa.env.prank(owner):
        market.pause()
    with boa.reverts("pausable: contract is paused"):
        create_task()


def test_zero_min_fee_allows_free_tasks(create_task, market, owner):
    with boa.env.prank(owner):
        market.setMinFeePerAgent(0)
    task_id = create_task(fee=0)
    assert market.getTask(task_id).fee == 0
