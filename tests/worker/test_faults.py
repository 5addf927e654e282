"""Workers behind a faulty RPC proxy, and a worker whose first RPC URL is dead."""

from __future__ import annotations

import urllib.request

from deployments.params import Params
from oracles.chain.anvil import free_port
from tests.utils.faults import FaultProxy
from tests.worker.helpers import PHASE_SUCCEEDED, NetFactory, as_bytes, expected


def test_tasks_finalize_through_rpc_faults_and_failover(nets: NetFactory) -> None:
    net = nets(Params(commit_window=15, reveal_window=15))
    proxies = [FaultProxy(net.anvil.url, rate=0.2, delay=0.5, seed=s).start() for s in (1, 2)]
    try:
        net.start(0, rpc=[proxies[0].url])
        net.start(1, rpc=[proxies[1].url])
        dead = f"http://127.0.0.1:{free_port()}"
        net.start(2, rpc=[dead, net.anvil.url])
        started = [net.wait_started(f"worker{i}") for i in range(3)]

        inputs = [{"text": f"faulty network task {i}"} for i in range(6)]
        task_ids = [net.net.create_task(net.model_ids["embedding"], i) for i in inputs]
        phases = net.net.wait_phases(task_ids, timeout=150)
        assert phases == dict.fromkeys(task_ids, PHASE_SUCCEEDED)
        for task_id, task_input in zip(task_ids, inputs, strict=True):
            status, output = net.net.finalized_output(task_id)
            assert (status, output) == (
                1,
                expected(net.packages["embedding"], as_bytes(task_input)),
            )
            assert net.logs("Slashed", task_id, contract="AgentStaking") == []
        seated = [set(net.seats(t)) for t in task_ids]
        for agent in net.net.agents:
            owner = agent.owner.address
            reputation = net.net.call("TaskMarket", "reputation", owner)
            assert tuple(int(x) for x in reputation) == (sum(owner in s for s in seated), 0, 0)
        for proxy in proxies:
            assert proxy.counts["ok"] > 0
            assert all(proxy.counts[k] > 0 for k in ("error", "error_after", "delay", "drop"))
        with urllib.request.urlopen(started[2]["metrics"], timeout=10) as resp:
            text = resp.read().decode()
        failovers = [
            line
            for line in text.splitlines()
            if line.startswith("agentnet_chain_rpc_failovers_total")
        ]
        assert failovers and float(failovers[0].split()[-1]) >= 1
    finally:
        net.net.stop_workers()
        for proxy in proxies:
            proxy.stop()
