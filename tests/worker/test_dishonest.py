"""A worker that reveals a wrong result is slashed ``slash_wrong`` per seat it held.

(The second test: a quorum whose output nobody can show fails after the grace period.)

The liar is the normal worker with its engine wrapped to answer wrongly
(``python -m tests.worker.liar``, see :mod:`tests.worker.liar`). Committees of 5 seats
(quorum 3) are drawn with replacement, in proportion to stake: the liar holds 40% of
it, so it may hold no seat, one, two (slashed twice, the honest seats still win) or a
quorum of its own (then its answer wins and the honest seats are the wrong ones: the
protocol counts seats, not truth). Tasks are posted until one has seated the liar
twice without a quorum; every task is checked against the seats the draw gave. The
workers then poke every slashed agent, so that the draw weights follow the stakes.
"""

from __future__ import annotations

import time
from collections import Counter

from deployments.params import Params
from oracles.protocol import result_hash
from oracles.worker.chainview import named_fields
from tests.worker.helpers import (
    ETHER,
    LIAR,
    PHASE_SUCCEEDED,
    Net,
    NetFactory,
    as_bytes,
    expected,
    function_of,
)
from tests.worker.liar import UnsendableOutput, WrongOutput

SIZE, QUORUM = 5, 3
PHASE_FAILED = 6
LIAR_INDEX = 0


def check_task(net: Net, params: Params, task_id: int, task_input: bytes) -> Counter[str]:
    """Check one finalized task against its seats; the stake each agent lost in it."""
    owners = [a.owner.address for a in net.net.agents]
    liar = owners[LIAR_INDEX]
    seats = net.seats(task_id)
    liar_seats = seats.get(liar, 0)
    honest_output = expected(net.packages["embedding"], task_input)
    liar_output = WrongOutput.wrong(honest_output)
    winners = {liar} if liar_seats >= QUORUM else set(seats) - {liar}
    status, output = net.net.finalized_output(task_id)
    assert (status, output) == (1, liar_output if liar_seats >= QUORUM else honest_output)

    revealed = {
        str(e.args["agent"]): bytes(e.args["result_hash"]) for e, _ in net.logs("Revealed", task_id)
    }
    assert set(revealed) == set(seats)  # every member revealed once, whatever its seats
    lost: Counter[str] = Counter()
    for event, _ in net.logs("Slashed", task_id, contract="AgentStaking"):
        agent = str(event.args["agent"])
        assert int(event.args["reason"]) == 2  # wrong
        lost[agent] += int(event.args["amount"])
    assert lost == Counter(
        {a: s * params.slash_wrong for a, s in seats.items() if a not in winners}
    )
    return lost


def test_lying_worker_is_slashed_per_seat_and_honest_seats_paid(nets: NetFactory) -> None:
    params = Params(commit_window=8, reveal_window=8)
    net = nets(params, stakes=(2 * ETHER, 3 * ETHER // 2, 3 * ETHER // 2))
    net.start(LIAR_INDEX, module=LIAR)
    net.start(1)
    net.start(2)
    for index in range(3):
        net.wait_started(f"worker{index}")
    owners = [a.owner.address for a in net.net.agents]
    liar = owners[LIAR_INDEX]
    stakes = {o: int(net.net.call("AgentStaking", "stakeOf", o)) for o in owners}
    model = net.model_ids["embedding"]

    inputs: dict[int, bytes] = {}
    for batch in range(5):
        posted = [{"text": f"round {batch} sentence {i} for the committee"} for i in range(4)]
        for task_input in posted:
            task_id = net.net.create_task(model, task_input, size=SIZE, quorum=QUORUM)
            inputs[task_id] = as_bytes(task_input)
        phases = net.net.wait_phases(list(inputs), timeout=120)
        assert phases == dict.fromkeys(inputs, PHASE_SUCCEEDED)
        if any(1 < net.seats(t).get(liar, 0) < QUORUM for t in inputs):
            break
    else:
        raise AssertionError("the draw never seated the liar twice without a quorum")

    lost: Counter[str] = Counter()
    paid: Counter[str] = Counter()
    record = {o: [0, 0, 0] for o in owners}
    for task_id, task_input in inputs.items():
        lost += check_task(net, params, task_id, task_input)
        seats = net.seats(task_id)
        liar_won = seats.get(liar, 0) >= QUORUM
        agreeing = {a: s for a, s in seats.items() if (a == liar) == liar_won}
        (created, _) = net.logs("TaskCreated", task_id)[0]
        share = int(created.args["fee"]) // sum(agreeing.values())
        for agent in seats:
            if agent in agreeing:
                paid[agent] += share * agreeing[agent]
                record[agent][0] += 1
            else:
                record[agent][1] += 1
    assert lost[liar] >= 2 * params.slash_wrong
    for owner in owners:
        assert int(net.net.call("AgentStaking", "stakeOf", owner)) == stakes[owner] - lost[owner]
        assert int(net.net.call("TaskMarket", "claimable", owner)) == paid[owner]
        reputation = [int(x) for x in net.net.call("TaskMarket", "reputation", owner)]
        assert reputation == record[owner]  # agreed, disagreed (per task), missed

    # Slashes left the draw trees alone; the workers poke the slashed agents.
    staking = net.net.deployment["AgentStaking"]
    deadline = time.time() + 60
    for agent in lost:
        while True:
            info = named_fields(
                staking, "agentInfo", net.net.call("AgentStaking", "agentInfo", agent)
            )
            if int(net.net.call("AgentStaking", "weightOf", agent, model)) == int(info["weight"]):
                break
            assert time.time() < deadline, f"{agent} was never poked"
            time.sleep(0.5)
    first_slash = min(
        int(raw["blockNumber"], 16) for _, raw in net.logs("Slashed", contract="AgentStaking")
    )
    poked = {
        str(e.args["agent"])
        for e, raw in net.logs("WeightChanged", contract="AgentStaking")
        if int(raw["blockNumber"], 16) > first_slash
    }
    assert poked == set(lost)


def test_quorum_whose_output_nobody_can_show_fails_after_the_grace_period(
    nets: NetFactory,
) -> None:
    """The liar's outputs are too long for ``finalize``: when it holds the quorum, its
    hash wins but nobody can finalize with it. Once the chain's time passes
    ``reveal_end + grace_period``, a worker fails the task with an empty output: the
    requester is refunded and the liar's seat is slashed as wrong."""
    params = Params(commit_window=6, reveal_window=6, grace_period=8)
    net = nets(params, stakes=(ETHER, ETHER))
    net.start(LIAR_INDEX, module=f"{LIAR} --unsendable")
    net.start(1)
    for index in range(2):
        net.wait_started(f"worker{index}")
    liar = net.agent(LIAR_INDEX).owner.address
    requester = net.net.requester.address
    model = net.model_ids["embedding"]
    task_id, others = net.post_seated(
        model, {"text": "too long to show"}, LIAR_INDEX, size=1, quorum=1
    )
    net.net.wait_phases(others, timeout=60)
    before = int(net.net.call("TaskMarket", "claimable", requester))

    assert net.net.wait_phases([task_id], timeout=120) == {task_id: PHASE_FAILED}
    (revealed, _) = net.logs("Revealed", task_id, agent=liar)[0]
    assert bytes(revealed.args["result_hash"]) == result_hash(UnsendableOutput.wrong(b""))
    (final, raw) = net.logs("TaskFinalized", task_id)[0]
    assert (int(final.args["status"]), bytes(final.args["output"])) == (2, b"")
    task = named_fields(
        net.net.deployment["TaskMarket"], "getTask", net.net.call("TaskMarket", "getTask", task_id)
    )
    block = net.rpc("eth_getBlockByNumber", [raw["blockNumber"], False])
    assert int(block["timestamp"], 16) >= int(task["reveal_end"]) + params.grace_period
    tx = net.rpc("eth_getTransactionByHash", [raw["transactionHash"]])
    assert function_of(net, tx["input"]) == "finalize"
    (created, _) = net.logs("TaskCreated", task_id)[0]
    after = int(net.net.call("TaskMarket", "claimable", requester))
    assert after - before == int(created.args["fee"])  # refunded
    slashed = [
        (str(e.args["agent"]), int(e.args["amount"]), int(e.args["reason"]))
        for e, _ in net.logs("Slashed", task_id, contract="AgentStaking")
    ]
    assert slashed == [(liar, params.slash_wrong, 2)]
