"""API throughput and latency over 100,000 indexed tasks, and indexer catch-up speed.

1. Indexer: synthetic, ABI-encoded logs (TaskCreated, TaskActivated with 3 seats,
   3 Committed, 3 Revealed, TaskFinalized per task, plus the setup events) go through
   the indexer's real ``on_logs`` handler in follower-sized batches, in transactions:
   events/s.
2. The rest of the 100,000 tasks are inserted directly into the same schema.
3. The API serves that index (``read_only_app``) in a child process; this process
   loads it over loopback with a pool of aiohttp clients: requests/s and p50/p99
   latency of ``GET /api/tasks`` (a page of 50, newest first, and a filtered page
   after a cursor) and ``GET /api/tasks/{id}``.

    python bench/api.py [--tasks 100000] [--replay 5000] [--seconds 10] [--concurrency 16] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from eth_abi.abi import encode  # noqa: E402
from eth_utils.abi import collapse_if_tuple  # noqa: E402

from deployments.artifacts import compile_all  # noqa: E402
from frontend_api.apply_tasks import Outcome  # noqa: E402
from frontend_api.db import open_writer  # noqa: E402
from frontend_api.indexer import EventHandler  # noqa: E402
from oracles.chain.contracts import Contract, Deployment  # noqa: E402
from oracles.chain.follower import Log  # noqa: E402

T0 = 1_800_000_000
BATCH = 2_000  # logs per on_logs call (a busy follower chunk)
AGENTS = [f"0x{i:040x}" for i in range(0x1000, 0x1003)]
REQUESTER = "0x" + "ab" * 20
MODEL = "0x" + "cd" * 32
FEE = 3 * 10**15


def deployment() -> Deployment:
    arts = compile_all()
    return Deployment.from_dict(
        {
            "chain_id": 31337,
            "block": 1,
            "contracts": {
                name: {"address": f"0x{0xC0 + i:040x}", "abi": arts[name].abi}
                for i, name in enumerate(("ModelRegistry", "AgentStaking", "TaskMarket"))
            },
        }
    )


class LogMaker:
    """ABI-encodes events into raw logs, numbering blocks and log indexes."""

    def __init__(self, dep: Deployment) -> None:
        self.dep = dep
        self.block = 1
        self.index = 0

    def next_block(self) -> None:
        self.block += 1
        self.index = 0

    def log(self, contract: Contract, event: str, **args: Any) -> Log:
        abi = next(i for i in contract.abi if i.get("type") == "event" and i["name"] == event)
        topics = [contract.topics[event]]
        plain_types, plain_values = [], []
        for param in abi["inputs"]:
            value = args[param["name"]]
            if param["indexed"]:
                topics.append(encode([param["type"]], [value]))
            else:
                plain_types.append(collapse_if_tuple(param))
                plain_values.append(value)
        self.index += 1
        return Log(
            address=contract.address,
            topics=tuple(topics),
            data=encode(plain_types, plain_values),
            block_number=self.block,
            block_hash=f"0x{self.block:064x}",
            tx_hash=f"0x{self.block:032x}{self.index:032x}",
            tx_index=0,
            log_index=self.index,
        )


def params_log(mk: LogMaker, market: Contract, window: int = 20) -> Log:
    """The parameter version the TaskMarket's constructor logs."""
    return mk.log(
        market,
        "ParamsVersionAdded",
        version=1,
        commit_window=window,
        reveal_window=window,
        slash_missed=10**16,
        slash_wrong=5 * 10**16,
    )


def synthetic_logs(dep: Deployment, tasks: int) -> list[Log]:
    """Setup events, then ``tasks`` complete tasks (9 events each, 3 blocks a task).

    As on chain: created in block N (draw block N + 1), seated by the first member's
    commit in N + 2, revealed and finalized in N + 3.
    """
    mk = LogMaker(dep)
    reg, stk, mkt = dep["ModelRegistry"], dep["AgentStaking"], dep["TaskMarket"]
    model = bytes.fromhex(MODEL[2:])
    logs = [
        params_log(mk, mkt),
        mk.log(
            reg,
            "ModelRegistered",
            model_id=model,
            publisher=REQUESTER,
            kind=0,
            manifest_uri="file:///bench/manifest.json",
        ),
    ]
    for i, agent in enumerate(AGENTS):
        logs.append(
            mk.log(
                stk,
                "AgentRegistered",
                agent=agent,
                signer=f"0x{0x2000 + i:040x}",
                stake=(i + 1) * 10**18,
            )
        )
    output = b'{"dim":4,"i8":"AAECAw=="}'
    result = bytes.fromhex("11" * 32)
    for task_id in range(1, tasks + 1):
        mk.next_block()
        logs.append(
            mk.log(
                mkt,
                "TaskCreated",
                task_id=task_id,
                requester=REQUESTER,
                model_id=model,
                fee=FEE,
                committee_size=len(AGENTS),
                quorum=2,
                input=b'{"text":"bench"}',
                parents=[],
                draw_block=mk.block + 1,
            )
        )
        mk.next_block()
        mk.next_block()
        logs.append(mk.log(mkt, "TaskActivated", task_id=task_id, committee=AGENTS))
        for agent in AGENTS:
            logs.append(mk.log(mkt, "Committed", task_id=task_id, agent=agent))
        mk.next_block()
        for agent in AGENTS:
            logs.append(mk.log(mkt, "Revealed", task_id=task_id, agent=agent, result_hash=result))
        logs.append(
            mk.log(
                mkt, "TaskFinalized", task_id=task_id, status=1, result_hash=result, output=output
            )
        )
    return logs


async def replay(db: Path, dep: Deployment, logs: list[Log]) -> float:
    """Feed ``logs`` through the indexer's handler in follower-sized transactions."""
    conn = open_writer(db)

    async def stamps(blocks: Any) -> dict[int, int]:
        return {n: T0 + n for n, _ in blocks}

    handler = EventHandler(dep, stamps)
    start = time.perf_counter()
    for i in range(0, len(logs), BATCH):
        conn.execute("BEGIN IMMEDIATE")
        await handler.on_logs(conn, logs[i : i + BATCH])
        conn.commit()
        handler.pending.clear()
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def bulk_fill(db: Path, first: int, last: int) -> None:
    """Tasks ``first..last`` (finalized, 3 agreeing members of one seat) inserted directly."""
    if first > last:
        return
    conn = sqlite3.connect(db)
    result = "0x" + "11" * 32
    output = b'{"dim":4,"i8":"AAECAw=="}'
    rows, members = [], []
    for t in range(first, last + 1):
        created = T0 + 3 * t
        block = 3 * t
        rows.append(
            (t, REQUESTER, MODEL, str(FEE), 3, 2, b'{"text":"bench"}', "[]", 1, block + 1, 1,
             20, 20, str(10**16), str(5 * 10**16), json.dumps(AGENTS), 3, created + 2,
             created + 2, created + 22, 3, 3, 3, 3, result, output, str(FEE // 3), 3, block,
             created, f"0x{t:064x}", block + 2, block + 3, created + 3 + t % 30, f"0x{t:064x}")
        )  # fmt: skip
        members += [
            (t, a, i, 1, 1, 1, result, Outcome.AGREED.value, block + 2, block + 3)
            for i, a in enumerate(AGENTS)
        ]
    columns = (
        "task_id, requester, model_id, fee, committee_size, quorum, input, parents, status,"
        " draw_block, params_version, commit_window, reveal_window, slash_missed, slash_wrong,"
        " committee, members, start_ts, commit_end, reveal_end, commits, reveals,"
        " committed_seats, revealed_seats, result_hash, output, share, agreeing_seats,"
        " created_block, created_ts, created_tx, activated_block, finalized_block,"
        " finalized_ts, finalized_tx"
    )
    conn.executemany(f"INSERT INTO tasks ({columns}) VALUES ({','.join('?' * len(rows[0]))})", rows)
    conn.executemany(
        "INSERT INTO members (task_id, agent, position, seats, committed, revealed, result_hash,"
        " outcome, commit_block, reveal_block) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        members,
    )
    conn.execute(
        "INSERT OR REPLACE INTO blocks VALUES (?, ?, ?)",
        (3 * last + 3, "0x" + "00" * 32, T0 + 3 * last + 40),
    )
    conn.commit()
    conn.close()


def serve(db: str, port_queue: Any) -> None:
    """Child process: the API over the index, on a free loopback port."""
    from aiohttp import web

    from frontend_api.app import read_only_app

    async def main() -> None:
        runner = web.AppRunner(read_only_app(db), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port_queue.put(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        await asyncio.Event().wait()

    asyncio.run(main())


async def load(urls: list[str], seconds: float, concurrency: int) -> dict[str, float]:
    """Request ``urls`` (round robin per client) for ``seconds``: rps, p50, p99 in ms."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    conn = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=conn) as session:

        async def client(k: int) -> None:
            nonlocal errors
            i = k
            while time.perf_counter() < deadline:
                url = urls[i % len(urls)]
                i += concurrency
                t = time.perf_counter()
                async with session.get(url) as resp:
                    await resp.read()
                    if resp.status != 200:
                        errors += 1
                latencies.append(time.perf_counter() - t)

        start = time.perf_counter()
        await asyncio.gather(*(client(k) for k in range(concurrency)))
        elapsed = time.perf_counter() - start
    latencies.sort()
    q = statistics.quantiles(latencies, n=100)
    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / elapsed,
        "p50_ms": q[49] * 1000,
        "p99_ms": q[98] * 1000,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--replay", type=int, default=5_000, help="tasks fed through on_logs")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    dep = deployment()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "api.sqlite"
        logs = synthetic_logs(dep, args.replay)
        elapsed = asyncio.run(replay(db, dep, logs))
        indexer = {"events": len(logs), "seconds": elapsed, "events_per_s": len(logs) / elapsed}
        bulk_fill(db, args.replay + 1, args.tasks)

        ctx = multiprocessing.get_context("spawn")
        ports = ctx.Queue()
        server = ctx.Process(target=serve, args=(str(db), ports), daemon=True)
        server.start()
        try:
            base = f"http://127.0.0.1:{ports.get(timeout=60)}"
            rng = random.Random(1)
            ids = [rng.randint(1, args.tasks) for _ in range(1_000)]
            cases = {
                "GET /api/tasks": [f"{base}/api/tasks"],
                "GET /api/tasks?agent&cursor": [
                    f"{base}/api/tasks?agent={AGENTS[0]}&limit=50&cursor={i}" for i in ids
                ],
                "GET /api/tasks/{id}": [f"{base}/api/tasks/{i}" for i in ids],
            }
            asyncio.run(load(cases["GET /api/tasks"], 1.0, args.concurrency))  # warm up
            routes = {
                name: asyncio.run(load(urls, args.seconds, args.concurrency))
                for name, urls in cases.items()
            }
        finally:
            server.terminate()
            server.join(10)
    result = {
        "tasks": args.tasks,
        "concurrency": args.concurrency,
        "indexer": indexer,
        "routes": routes,
    }
    if args.json:
        print(json.dumps(result))
        return 0
    print(
        f"API over {args.tasks:,} indexed tasks, {args.concurrency} concurrent clients "
        "(separate process, loopback)"
    )
    print(f"{'route':32} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name, r in routes.items():
        print(f"{name:32} {r['rps']:8.0f} {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} {r['errors']:7d}")
    print(
        f"indexer: {indexer['events']:,} events in {indexer['seconds']:.1f} s = "
        f"{indexer['events_per_s']:,.0f} events/s (on_logs, {BATCH}-log transactions)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
