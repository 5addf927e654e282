"""``agentnet api``: serve the API and the dashboard against any chain."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from pathlib import Path

from frontend_api.app import ApiServer


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "api", help="serve the HTTP API, its event indexer and the dashboard page"
    )
    p.add_argument(
        "--rpc",
        action="append",
        required=True,
        metavar="URL",
        help="JSON-RPC URL (repeat for failover)",
    )
    p.add_argument(
        "--deployment",
        required=True,
        type=Path,
        metavar="FILE",
        help="deployment record (deployments/<chain_id>.json)",
    )
    p.add_argument(
        "--db",
        type=Path,
        default=None,
        metavar="FILE",
        help="index database (default .agentnet/api-<chain_id>.sqlite)",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--poll-interval", type=float, default=1.0, metavar="S")
    p.add_argument("--confirmations", type=int, default=0, metavar="N")
    p.set_defaults(func=run)


async def _serve(args: argparse.Namespace) -> None:
    db = args.db
    if db is None:
        from oracles.chain.contracts import Deployment

        db = Path(".agentnet") / f"api-{Deployment.load(path=args.deployment).chain_id}.sqlite"
    server = ApiServer(
        args.rpc,
        args.deployment,
        db,
        args.host,
        args.port,
        poll_interval=args.poll_interval,
        confirmations=args.confirmations,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await server.start()
    print(f"agentnet api: serving {server.url} (index {db})", flush=True)
    try:
        assert server.indexer is not None and server.indexer.task is not None
        indexing = server.indexer.task
        waiter = asyncio.create_task(stop.wait())
        await asyncio.wait({indexing, waiter}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        failure = indexing.exception() if indexing.done() else None
        if failure is not None:
            raise failure  # the indexer stopped for good (broken handler, deep reorg)
    finally:
        await server.stop()


def run(args: argparse.Namespace) -> int:
    asyncio.run(_serve(args))
    return 0
