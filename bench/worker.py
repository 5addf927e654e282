"""Worker throughput and latency on a real anvil with 3 workers (1 s blocks).

Posts tasks at a steady rate, waits for all of them, and reports tasks finalized
per minute and the latency from TaskCreated to TaskFinalized, in blocks and in
seconds (block timestamps), split into inference, waiting for windows and blocks,
and worker overhead (the worker seeing itself seated -> its commit transaction
broadcast, minus inference), read from the workers' SQLite files. Protocol v2: a
task created in block N is seated from its draw block N + 1; the aim is N + 4.

    python bench/worker.py [--tasks 30] [--rate 2] [--package DIR] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deployments.localnet import ETHER, LocalNet  # noqa: E402
from deployments.params import Params  # noqa: E402
from oracles.chain.anvil import Anvil  # noqa: E402


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def _package(given: str | None) -> Path:
    if given:
        return Path(given)
    cached = ROOT / ".agentnet" / "models" / "minilm-embedding"
    if (cached / "manifest.json").is_file():
        return cached
    from model_export.tiny import tiny_package

    return tiny_package(ROOT / ".agentnet" / "models" / "tiny-build", "embedding")


async def _post(net: LocalNet, model: bytes, tasks: int, rate: float) -> list[int]:
    """Post ``tasks`` tasks at ``rate`` per second without waiting for each receipt."""
    from oracles.chain.rpc import AsyncRpcClient
    from oracles.chain.sender import TxSender

    market = net.deployment["TaskMarket"]
    fee = net.params.min_fee_per_agent * 3 * 10
    async with AsyncRpcClient(net.url) as rpc:
        sender = TxSender(rpc, net.requester)
        pending = []
        began = time.time()
        for i in range(tasks):
            data = json.dumps({"text": f"benchmark sentence number {i}"}).encode()
            call = market.encode("createTask", model, data, 3, 2, [])
            pending.append(asyncio.create_task(sender.send(market.address, call, fee)))
            await asyncio.sleep(max(0.0, began + (i + 1) / rate - time.time()))
        receipts = await asyncio.gather(*pending)
    return [
        int(event.args["task_id"])
        for receipt in receipts
        for event in market.receipt_events(receipt)
        if event.name == "TaskCreated"
    ]


def run(tasks: int, rate: float, package: Path) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="agentnet-bench-worker-"))
    with Anvil(block_time=1) as anvil:
        net = LocalNet(anvil, work, params=Params(commit_window=20, reveal_window=20))
        model = net.register_model(package)
        for stake in (1, 2, 3):
            net.add_agent(stake * ETHER, [model])
        net.cross_epoch()  # the agents can be drawn from the next stake epoch on
        for agent in net.agents:
            net.start_worker(agent, [package])
        try:
            net.wait_workers(timeout=180)
            ids = asyncio.run(_post(net, model, tasks, rate))
            net.wait_phases(ids, timeout=600)
        finally:
            net.stop_workers()

        market = net.deployment["TaskMarket"]
        created: dict[int, int] = {}
        finalized: dict[int, int] = {}
        created_block: dict[int, int] = {}
        finalized_block: dict[int, int] = {}
        block_ts: dict[str, int] = {}
        raw_logs = net.rpc.call(
            "eth_getLogs",
            [
                {
                    "address": market.address,
                    "fromBlock": hex(net.deployment.block),
                    "toBlock": "latest",
                }
            ],
        )
        from oracles.chain.follower import Log

        for raw in raw_logs:
            event = market.decode_log(Log.from_rpc(raw))
            if event is None or event.name not in ("TaskCreated", "TaskFinalized"):
                continue
            bh = raw["blockHash"]
            if bh not in block_ts:
                block_ts[bh] = int(net.rpc.call("eth_getBlockByHash", [bh, False])["timestamp"], 16)
            task_id = int(event.args["task_id"])
            if event.name == "TaskCreated":
                created[task_id], created_block[task_id] = block_ts[bh], int(raw["blockNumber"], 16)
            else:
                finalized[task_id] = block_ts[bh]
                finalized_block[task_id] = int(raw["blockNumber"], 16)

    latency = [float(finalized[t] - created[t]) for t in ids]
    blocks = [float(finalized_block[t] - created_block[t]) for t in ids]
    inference: list[float] = []
    overhead: list[float] = []
    for i in range(3):
        conn = sqlite3.connect(work / f"worker{i}.sqlite")
        conn.row_factory = sqlite3.Row
        for row in conn.execute("SELECT * FROM worker_tasks WHERE member = 1"):
            if row["inference_ms"] is not None:
                inference.append(row["inference_ms"])
            seated = row["seated_at"]
            if row["commit_sent_at"] is not None and row["inference_ms"] and seated:
                spent = (row["commit_sent_at"] - seated) * 1000 - row["inference_ms"]
                overhead.append(max(0.0, spent))
        conn.close()
    span = max(finalized.values()) - min(created.values())
    return {
        "tasks": tasks,
        "post_rate_per_s": rate,
        "package": str(package),
        "tasks_per_minute": round(tasks / max(span, 1) * 60, 1),
        "latency_blocks": {"p50": _pct(blocks, 50), "p95": _pct(blocks, 95)},
        "latency_s": {"p50": _pct(latency, 50), "p95": _pct(latency, 95)},
        "inference_ms": {"p50": _pct(inference, 50), "p95": _pct(inference, 95)},
        "overhead_ms": {"p50": _pct(overhead, 50), "p95": _pct(overhead, 95)},
        "windows_and_blocks_s": {
            "p50": _pct(latency, 50) - _pct(inference, 50) / 1000 - _pct(overhead, 50) / 1000
        },
        "mean_latency_s": statistics.fmean(latency),
        "mean_latency_blocks": statistics.fmean(blocks),
    }


def render(r: dict[str, Any]) -> str:
    rows = [
        ("tasks finalized per minute", f"{r['tasks_per_minute']:.1f}", ""),
        (
            "TaskCreated -> TaskFinalized, blocks",
            f"{r['latency_blocks']['p50']:.0f}",
            f"{r['latency_blocks']['p95']:.0f}",
        ),
        (
            "TaskCreated -> TaskFinalized",
            f"{r['latency_s']['p50']:.1f} s",
            f"{r['latency_s']['p95']:.1f} s",
        ),
        (
            "  inference (per task, batched)",
            f"{r['inference_ms']['p50']:.2f} ms",
            f"{r['inference_ms']['p95']:.2f} ms",
        ),
        (
            "  worker overhead (seated -> commit sent - inference)",
            f"{r['overhead_ms']['p50']:.1f} ms",
            f"{r['overhead_ms']['p95']:.1f} ms",
        ),
        ("  waiting for blocks and windows", f"{r['windows_and_blocks_s']['p50']:.1f} s", ""),
    ]
    width = max(len(a) for a, _, _ in rows)
    lines = [
        f"Worker benchmark: {r['tasks']} tasks at {r['post_rate_per_s']}/s, "
        "3 workers, anvil 1 s blocks",
        f"package: {r['package']}",
        "",
        f"| {'metric'.ljust(width)} | p50 | p95 |",
        f"|{'-' * (width + 2)}|-----|-----|",
    ]
    lines += [f"| {a.ljust(width)} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=30)
    parser.add_argument("--rate", type=float, default=2.0, help="tasks posted per second")
    parser.add_argument("--package", help="model package (default: MiniLM if exported, else tiny)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = run(args.tasks, args.rate, _package(args.package))
    print(json.dumps(result, indent=2) if args.json else render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
