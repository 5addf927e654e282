"""A tolerant embedding model on a real chain: a member one int8 step off is paid, one
two steps off is slashed once its dispute window ends.

The real all-MiniLM-L6-v2 package (384-d, the dimension the contract checks on chain) is
registered with its manifest's rule (within one int8 step). Agent 0 runs the normal
worker with its engine shifted by N steps in one coordinate (``python -m
tests.worker.liar --off-by N``): an honest agent on another CPU for N = 1. When its
seats lose the vote, its slash is deferred; its worker proves agreement
(``proveAgreement``) and is paid. For N = 2 it cannot; after the window the members
that backed the result settle it (``settleDeferred``): slashed ``slash_wrong`` per seat.
"""

from __future__ import annotations

import time

from deployments.params import Params
from tests.worker.helpers import ETHER, LIAR, PHASE_SUCCEEDED, Net, NetFactory

OFF = 0  # the agent whose outputs are shifted
MODEL = "minilm-embedding"
PARAMS = Params(commit_window=8, reveal_window=8, grace_period=12)


def _start(nets: NetFactory, steps: int) -> Net:
    # The shifted agent holds little stake, so that it rarely wins a vote on its own.
    net = nets(PARAMS, stakes=(ETHER, 3 * ETHER, 3 * ETHER), models=(MODEL,), tolerant=True)
    net.start(OFF, module=f"{LIAR} --off-by {steps}")
    net.start(1)
    net.start(2)
    for index in range(3):
        net.wait_started(f"worker{index}")
    return net


def _task_with_one_off_seat(net: Net, tag: str) -> tuple[int, str]:
    """Post tasks until one seats the shifted agent once, beside two honest seats."""
    off = net.agent(OFF).owner.address
    model = net.model_ids[MODEL]
    for attempt in range(12):
        task_id, _ = net.post_seated(
            model, {"text": f"{tag} {attempt}: stake-weighted committees"}, OFF, size=3, quorum=2
        )
        assert net.net.wait_phases([task_id], timeout=120) == {task_id: PHASE_SUCCEEDED}
        if net.seats(task_id).get(off) == 1:
            return task_id, off
    raise AssertionError("the shifted agent never held exactly one seat")


def _wait_resolved(net: Net, task_id: int, agent: str, timeout: float = 90.0) -> None:
    deadline = time.time() + timeout
    while int(net.net.call("TaskMarket", "deferredSlashUntil", task_id, agent)):
        assert time.time() < deadline, f"the deferred slash of {agent} was never resolved"
        time.sleep(0.5)


def test_member_one_step_off_proves_agreement_and_is_paid(nets: NetFactory) -> None:
    net = _start(nets, steps=1)
    task_id, off = _task_with_one_off_seat(net, "one step")
    (deferred, _) = net.logs("SlashDeferred", task_id)[0]
    assert str(deferred.args["agent"]) == off
    claimable_before = int(net.net.call("TaskMarket", "claimable", off))
    _wait_resolved(net, task_id, off)

    assert [str(e.args["agent"]) for e, _ in net.logs("AgreementProven", task_id)] == [off]
    assert net.logs("Slashed", task_id, contract="AgentStaking") == []
    (created, _) = net.logs("TaskCreated", task_id)[0]
    share = int(created.args["fee"]) // 3  # every seat agreed, within the rule
    assert int(net.net.call("TaskMarket", "claimable", off)) - claimable_before == share
    assert int(net.net.call("AgentStaking", "stakeOf", off)) == ETHER
    row = net.settled_row(f"worker{OFF}", task_id, timeout=30)
    assert row["state"] == "finalized"


def test_member_two_steps_off_is_slashed_after_the_window(nets: NetFactory) -> None:
    net = _start(nets, steps=2)
    task_id, off = _task_with_one_off_seat(net, "two steps")
    (deferred, _) = net.logs("SlashDeferred", task_id)[0]
    assert str(deferred.args["agent"]) == off
    _wait_resolved(net, task_id, off)

    assert net.logs("AgreementProven", task_id) == []
    slashed = [
        (str(e.args["agent"]), int(e.args["amount"]), int(e.args["reason"]))
        for e, _ in net.logs("Slashed", task_id, contract="AgentStaking")
    ]
    assert slashed == [(off, PARAMS.slash_wrong, 2)]
    assert int(net.net.call("AgentStaking", "stakeOf", off)) == ETHER - PARAMS.slash_wrong
    # Settled by a member that backed the result, once the window had ended.
    (_, raw) = net.logs("Slashed", task_id, contract="AgentStaking")[0]
    tx = net.rpc("eth_getTransactionByHash", [raw["transactionHash"]])
    backers = {net.agent(i).signer.address.lower() for i in (1, 2)}
    assert tx["from"].lower() in backers
