"""A worker that reveals a wrong result is slashed ``slash_wrong``; the honest two are paid.

The liar is the normal worker with its engine wrapped to answer wrongly
(``python -m tests.worker.liar``, see :mod:`tests.worker.liar`).
"""

from __future__ import annotations

from deployments.params import Params
from tests.worker.helpers import LIAR, PHASE_SUCCEEDED, NetFactory, as_bytes, expected


def test_lying_worker_is_slashed_and_honest_ones_paid(nets: NetFactory) -> None:
    params = Params(commit_window=8, reveal_window=8)
    net = nets(params)
    liar = 0
    net.start(liar, module=LIAR)
    net.start(1)
    net.start(2)
    for index in range(3):
        net.wait_started(f"worker{index}")
    owners = [a.owner.address for a in net.net.agents]
    stakes = [int(net.net.call("AgentStaking", "stakeOf", o)) for o in owners]

    inputs = [{"text": "the quick brown fox"}, {"text": "hello agents"}]
    model = net.model_ids["embedding"]
    task_ids = [net.net.create_task(model, i) for i in inputs]
    assert net.net.wait_phases(task_ids, timeout=90) == dict.fromkeys(task_ids, PHASE_SUCCEEDED)

    fees = 0
    for task_id, task_input in zip(task_ids, inputs, strict=True):
        status, output = net.net.finalized_output(task_id)
        assert (status, output) == (1, expected(net.packages["embedding"], as_bytes(task_input)))
        hashes = {
            str(e.args["agent"]): bytes(e.args["result_hash"])
            for e, _ in net.logs("Revealed", task_id)
        }
        assert len(set(hashes.values())) == 2  # the liar revealed something else
        slashed = net.logs("Slashed", task_id, contract="AgentStaking")
        assert [(str(e.args["agent"]), int(e.args["reason"])) for e, _ in slashed] == [
            (owners[liar], 2)
        ]
        assert int(slashed[0][0].args["amount"]) == params.slash_wrong
        (created, _) = net.logs("TaskCreated", task_id)[0]
        fees += int(created.args["fee"]) // 2

    after = [int(net.net.call("AgentStaking", "stakeOf", o)) for o in owners]
    assert after[liar] == stakes[liar] - len(task_ids) * params.slash_wrong
    assert after[1:] == stakes[1:]
    claimable = [int(net.net.call("TaskMarket", "claimable", o)) for o in owners]
    assert claimable == [0, fees, fees]
    reputation = [
        tuple(int(x) for x in net.net.call("TaskMarket", "reputation", o)) for o in owners
    ]
    assert reputation == [(0, 2, 0), (2, 0, 0), (2, 0, 0)]
