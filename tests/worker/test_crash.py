"""kill -9 a worker at every step of a task's life, restart it on the same database.

The victim is killed right after it computed, after it broadcast its commit but
before the commit was mined (interval mining is paused around that kill, so the
transaction is provably pending), after it saw its commit's receipt, and after it
broadcast its reveal (again still pending). Each time it is restarted with the
same ``--db``. Every task must still finalize with every member agreeing, and no
agent may ever have two ``Committed`` or two ``Revealed`` events for one task.
Committees are drawn by stake, so each task is posted until the victim is seated
(and, for a first kill after the commit broadcast, mining pauses as soon as the draw
block is mined: the victim's commit waits in the pool).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from deployments.params import Params
from tests.worker.helpers import (
    PHASE_SUCCEEDED,
    Net,
    NetFactory,
    as_bytes,
    expected,
    function_of,
    set_mining,
    wait_log,
)

VICTIM = 0
NAME = f"worker{VICTIM}"
PLANS = [
    ["commit_sent", "reveal_sent"],
    ["committed", "reveal_sent"],
    ["computed"],
    ["commit_sent", "reveal_sent"],
    ["computed", "commit_sent"],
    ["committed"],
]


def delayed(condition: Callable[[], bool], grace: float = 3.0) -> Callable[[], bool]:
    """True once ``condition`` has held for ``grace`` seconds (lets the log catch up)."""
    since: list[float] = []

    def check() -> bool:
        if not condition():
            since.clear()
            return False
        if not since:
            since.append(time.time())
        return time.time() - since[0] >= grace

    return check


def prepare(net: Net, point: str, task_id: int, victim_dead: bool = False) -> bool:
    """Get ready for ``point``; False if the victim is already past it.

    For a ``*_sent`` point interval mining is paused (until the kill), so the
    victim's next transaction of that kind stays pending; for ``reveal_sent`` only
    once the reveal phase has begun on mined blocks (every commit is in).
    """
    if not point.endswith("_sent"):
        return True
    member = 1 if point == "commit_sent" else 2
    if point == "reveal_sent":
        deadline = time.time() + 60
        while (phase := net.net.phase(task_id)) != 3:
            if phase > 3 or net.member_state(task_id, VICTIM)[2]:
                return False
            assert time.time() < deadline, "the reveal phase never began"
            time.sleep(0.1)
    set_mining(net, False)
    signer = net.agent(VICTIM).signer.address
    pending = int(net.rpc("eth_getTransactionCount", [signer, "pending"]), 16)
    mined = int(net.rpc("eth_getTransactionCount", [signer, "latest"]), 16)
    # Past it: done on chain, or (with the victim dead) the killed process already
    # broadcast it. A running victim's pending transaction is the one to kill after.
    if net.member_state(task_id, VICTIM)[member] or (victim_dead and pending > mined):
        set_mining(net, True)
        return False
    return True


def kill_at(net: Net, point: str, task_id: int, offset: int) -> dict[str, Any]:
    """Kill the victim at ``point`` of ``task_id`` (after ``prepare``); {} if it went past."""
    signer = net.agent(VICTIM).signer.address

    def committed() -> bool:
        return net.member_state(task_id, VICTIM)[1]

    def revealed() -> bool:
        return net.member_state(task_id, VICTIM)[2]

    if point == "computed":

        def match(e: dict[str, Any]) -> bool:
            return e.get("event") == "task.computed" and e.get("task_id") == task_id

        give_up = delayed(committed)
    elif point == "committed":

        def match(e: dict[str, Any]) -> bool:
            return (
                e.get("event") == "worker.tx"
                and e.get("action") == "commit"
                and task_id in e.get("task_ids", [])
            )

        give_up = delayed(committed)
    else:  # commit_sent, reveal_sent: the victim broadcast a commit / reveal transaction
        wanted = ("commit", "commitBatch") if point == "commit_sent" else ("reveal", "revealBatch")

        def match(e: dict[str, Any]) -> bool:
            if e.get("event") != "tx.sent" or e.get("sender") != signer:
                return False
            tx = net.rpc("eth_getTransactionByHash", [e["tx"]])
            return tx is not None and function_of(net, tx["input"]) in wanted

        give_up = delayed(committed if point == "commit_sent" else revealed)
    try:
        line, _ = wait_log(
            net.log_path(NAME), match, offset, 60, proc=net.workers[NAME], give_up=give_up
        )
        if not line:
            return {}
        net.kill(NAME)
        if point.endswith("_sent"):
            # the process died with its transaction still waiting to be mined
            assert net.rpc("eth_getTransactionReceipt", [line["tx"]]) is None
            assert net.rpc("eth_getTransactionByHash", [line["tx"]]) is not None
        return {"point": point, "task_id": task_id, **line}
    finally:
        set_mining(net, True)


def test_killed_worker_restarts_and_never_double_submits(nets: NetFactory) -> None:
    net = nets(Params(commit_window=20, reveal_window=20))
    for index in range(3):
        net.start(index)
    for index in range(3):
        net.wait_started(f"worker{index}")
    model = net.model_ids["embedding"]
    log = net.log_path(NAME)

    kills: list[dict[str, Any]] = []
    inputs: dict[int, bytes] = {}
    extra: list[int] = []  # posted while the victim was not seated
    for number, plan in enumerate(PLANS):
        task_input = {"text": f"crash test task number {number}"}
        offset = log.stat().st_size
        first_sent = plan[0] == "commit_sent"
        task_id, others = net.post_seated(model, task_input, VICTIM, pause=first_sent)
        extra += others
        inputs[task_id] = as_bytes(task_input)
        ready = True if first_sent else prepare(net, plan[0], task_id)
        for step, point in enumerate(plan):
            following = plan[step + 1] if step + 1 < len(plan) else None
            kill = kill_at(net, point, task_id, offset) if ready else {}
            if not kill:
                ready = following is not None and prepare(net, following, task_id)
                continue
            kills.append(kill)
            # pause mining before the restart when the next kill needs it: a restarted
            # worker reveals at once, before this test could pause it afterwards
            ready = following is not None and prepare(net, following, task_id, victim_dead=True)
            offset = log.stat().st_size
            net.start(VICTIM)
            net.wait_started(NAME, offset)
        assert net.net.wait_phases([task_id], timeout=90) == {task_id: PHASE_SUCCEEDED}

    points = [k["point"] for k in kills]
    assert len(kills) >= 6, points
    assert {"computed", "commit_sent", "committed", "reveal_sent"} <= set(points), points
    for task_id, data in inputs.items():
        status, output = net.net.finalized_output(task_id)
        assert (status, output) == (1, expected(net.packages["embedding"], data))
        for event in ("Committed", "Revealed"):
            agents = sorted(str(e.args["agent"]) for e, _ in net.logs(event, task_id))
            assert agents == sorted(net.seats(task_id)), (event, task_id)  # exactly one each
        assert net.logs("Slashed", task_id, contract="AgentStaking") == []
    assert net.net.wait_phases(extra, timeout=90) == dict.fromkeys(extra, PHASE_SUCCEEDED)
    victim = net.agent(VICTIM).owner.address
    assert tuple(int(x) for x in net.net.call("TaskMarket", "reputation", victim)) == (
        len(PLANS),
        0,
        0,
    )
    states = {t: net.settled_row(NAME, t)["state"] for t in inputs}
    assert states == dict.fromkeys(inputs, "finalized")
