"""Worker throughput and latency on a real anvil with 3 workers (1 s blocks), and
how fast a (re)started worker is back in service.

Default mode: posts tasks at a steady rate, waits for all of them, and reports tasks
finalized per minute and the latency from TaskCreated to TaskFinalized, in blocks and
in seconds (block timestamps), split into inference, waiting for windows and blocks,
and worker overhead (the worker seeing itself seated -> its commit transaction
broadcast, minus inference), read from the workers' SQLite files. Protocol v2: a
task created in block N is seated from its draw block N + 1; the aim is N + 4.

``--startup``: for each package, a task that seats the only agent waits on chain
while a worker process is started (after one with ``--before REV``: that revision's
code, from ``git archive``), with an empty onnxruntime session cache (cold) and then
with the cache it filled (warm). Reported per start: exec -> following the chain
(``worker.started``), exec -> /healthz ready (200 with every model loaded), exec ->
its commit broadcast (the worker's SQLite ``commit_sent_at``), medians of ``--runs``.
The package files are read once first: a restarted worker finds them in the page cache.

    python bench/worker.py [--tasks 30] [--rate 2] [--package DIR] [--json]
    python bench/worker.py --startup [--before REV] [--runs 3] [--package DIR ...] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime
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


# --- start to first commit ------------------------------------------------------------
# folder under .agentnet/models -> (preset, kind) to export it with when missing
STARTUP_PACKAGES = {
    "minilm-embedding": ("minilm", "embedding"),
    "smollm2": ("smollm2", "generation"),
}


def _startup_packages(given: list[str] | None) -> list[Path]:
    """The packages given, else MiniLM and SmolLM2 (exported once if missing)."""
    if given:
        return [Path(g) for g in given]
    folders = []
    for name in STARTUP_PACKAGES:
        folder = ROOT / ".agentnet" / "models" / name
        if not (folder / "manifest.json").is_file():
            from model_export.export import export

            preset, kind = (
                ("smollm2", "generation") if name == "smollm2" else ("minilm", "embedding")
            )
            export(preset, kind, folder, agreement=False)
        folders.append(folder)
    return folders


def _archive(revision: str, into: Path) -> Path:
    """The code of ``revision`` (``git archive``: no checkout, no worktree)."""
    into.mkdir(parents=True)
    tar = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=tar, check=True)
    return into


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthz_ready(port: int) -> bool:
    """/healthz answers 200 with every model loaded (before this change a worker answered
    only once it had loaded its models and reconciled)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as resp:
            return bool(json.loads(resp.read()).get("ready", True))
    except (OSError, ValueError):
        return False


def _commit_sent_at(db: Path, task_id: int) -> float | None:
    if not db.exists():
        return None
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            row = conn.execute(
                "SELECT commit_sent_at FROM worker_tasks WHERE task_id = ?", (task_id,)
            ).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return None if row is None or row[0] is None else float(row[0])


def _log_events(path: Path) -> dict[str, dict[str, Any]]:
    """The first line of each event in a JSON log."""
    events: dict[str, dict[str, Any]] = {}
    for raw in path.read_text(errors="replace").splitlines():
        try:
            line = json.loads(raw)
        except ValueError:
            continue
        if isinstance(line, dict) and "event" in line:
            events.setdefault(str(line["event"]), line)
    return events


def _since(exec_at: float, timestamp: str) -> float:
    moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    return moment.timestamp() - exec_at


def _start_once(
    net: LocalNet, package: Path, model: bytes, tree: Path, cache: Path | None, label: str
) -> dict[str, Any]:
    """Post a task that seats the agent, start a worker from ``tree``, time it."""
    generation = "smol" in package.name or "generation" in package.name
    task_input = (
        {"prompt": "What is Ethereum?", "max_new_tokens": 8}
        if generation
        else {"text": f"start-up benchmark {label}"}
    )
    task_id = net.create_task(model, task_input, size=1, quorum=1)
    draw_block = _draw_block(net, task_id)
    while int(net.rpc.call("eth_blockNumber", []), 16) < draw_block:
        time.sleep(0.05)  # mined, the task waits for its only member
    db, log_path = net.workdir / f"{label}.sqlite", net.workdir / f"{label}.log"
    port = _free_port()
    extra = ["--metrics-port", str(port)]
    if cache is not None:
        extra += ["--session-cache", str(cache)]
    command = net.worker_command(net.agents[0], [package], db, *extra)
    with open(log_path, "wb") as log_file:
        exec_at = time.time()
        proc = subprocess.Popen(
            command,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=str(tree),
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    ready_at = commit_at = None
    try:
        deadline = exec_at + 600
        while commit_at is None or ready_at is None:
            if ready_at is None and _healthz_ready(port):
                ready_at = time.time()
            commit_at = commit_at or _commit_sent_at(db, task_id)
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"worker {label} did not commit: see {log_path}")
            time.sleep(0.01)
        net.wait_phases([task_id], timeout=120)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    events = _log_events(log_path)
    loaded = events.get("worker.model_loaded", {})
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    inference_ms = conn.execute(
        "SELECT inference_ms FROM worker_tasks WHERE task_id = ?", (task_id,)
    ).fetchone()[0]
    conn.close()
    return {
        "following_s": _since(exec_at, events["worker.started"]["timestamp"]),
        "ready_s": ready_at - exec_at,
        "commit_s": commit_at - exec_at,
        "inference_ms": float(inference_ms or 0.0),
        "model_load_s": loaded.get("load_s"),
        "cache": loaded.get("cache"),
    }


def _draw_block(net: LocalNet, task_id: int) -> int:
    """The draw block of a task (from its TaskCreated event)."""
    market = net.deployment["TaskMarket"]
    topic = "0x" + task_id.to_bytes(32, "big").hex()
    (created,) = market.logs(net.rpc, "TaskCreated", topic, from_block=net.deployment.block)
    return int(created.args["draw_block"])


def startup(packages: list[Path], before: str | None, runs: int) -> dict[str, Any]:
    """Start-to-first-commit figures per package, code (before/after) and cache state."""
    work = Path(tempfile.mkdtemp(prefix="agentnet-bench-startup-"))
    trees = {"after": ROOT}
    if before:
        trees = {"before": _archive(before, work / "before"), **trees}
    samples: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    with Anvil(block_time=1) as anvil:
        net = LocalNet(anvil, work / "net", params=Params(commit_window=20, reveal_window=20))
        models = [net.register_model(p) for p in packages]
        net.add_agent(ETHER, models)
        net.cross_epoch()
        for package, model in zip(packages, models, strict=True):
            for path in package.iterdir():  # into the page cache, as after a crash
                path.read_bytes()
            for run in range(runs):
                for code, tree in trees.items():
                    cache = work / f"cache-{package.name}-{run}" if code == "after" else None
                    for state in ("cold", "warm"):
                        label = f"{package.name}-{code}-{state}-{run}"
                        result = _start_once(net, package, model, tree, cache, label)
                        samples.setdefault((package.name, code, state), []).append(result)
                        print(f"{label}: {json.dumps(result)}", file=sys.stderr)
    rows = []
    for (name, code, state), results in samples.items():
        rows.append(
            {
                "package": name,
                "code": code,
                "cache": state,
                "runs": len(results),
                **{
                    key: statistics.median(r[key] for r in results)
                    for key in ("following_s", "ready_s", "commit_s", "inference_ms")
                },
                "cache_status": sorted({str(r["cache"]) for r in results}),
            }
        )
    return {"before": before, "rows": rows}


def render_startup(result: dict[str, Any]) -> str:
    lines = [
        "Worker start to first commit: one agent, a task waiting for it, anvil 1 s blocks "
        f"(medians; before = {result['before'] or 'not run'})",
        "",
        "| package | code | session cache | exec -> following chain | exec -> /healthz ready "
        "| exec -> commit sent | inference |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for r in result["rows"]:
        state = r["cache"] if r["code"] == "after" else f"none ({r['cache']} start)"
        lines.append(
            f"| {r['package']} | {r['code']} | {state} | {r['following_s']:.2f} s "
            f"| {r['ready_s']:.2f} s | {r['commit_s']:.2f} s | {r['inference_ms']:.0f} ms |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=30)
    parser.add_argument("--rate", type=float, default=2.0, help="tasks posted per second")
    parser.add_argument(
        "--package",
        action="append",
        help="model package (default: MiniLM if exported, else tiny; --startup: repeatable, "
        "default MiniLM and SmolLM2)",
    )
    parser.add_argument("--startup", action="store_true", help="time worker starts instead")
    parser.add_argument("--before", metavar="REV", help="--startup: also time this revision")
    parser.add_argument("--runs", type=int, default=3, help="--startup: starts of each kind")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.startup:
        started = startup(_startup_packages(args.package), args.before, args.runs)
        print(json.dumps(started, indent=2) if args.json else render_startup(started))
        return 0
    result = run(args.tasks, args.rate, _package(args.package[0] if args.package else None))
    print(json.dumps(result, indent=2) if args.json else render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
