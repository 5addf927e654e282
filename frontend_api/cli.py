"""``agentnet api``: serve the API and the dashboard against any chain."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from pathlib import Path

from oracles.cli_common import Chain, int_range
from oracles.errors import UsageError


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``api`` command to the CLI."""
    api = subparsers.add_parser(
        "api", help="serve the HTTP API, its event indexer and the dashboard page"
    )
    api.add_argument(
        "--rpc",
        action="append",
        required=True,
        metavar="URL",
        help="JSON-RPC URL (repeat for failover)",
    )
    api.add_argument(
        "--deployment",
        required=True,
        type=Path,
        metavar="FILE",
        help="deployment record (deployments/<chain_id>.json)",
    )
    api.add_argument(
        "--db",
        type=Path,
        default=None,
        metavar="FILE",
        help="index database (default .agentnet/api-<chain_id>.sqlite)",
    )
    api.add_argument("--host", default="127.0.0.1")
    api.add_argument("--port", type=int_range(0, 65535), default=8080, help="0: any free port")
    api.add_argument("--poll-interval", type=float, default=1.0, metavar="S")
    api.add_argument("--confirmations", type=int_range(0), default=0, metavar="N")
    api.set_defaults(func=run)


async def _serve(args: argparse.Namespace, db: Path) -> None:
    from frontend_api.app import ApiServer

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
    try:
        await server.start()
    except OSError as exc:  # the index folder was checked before: this is the listening socket
        raise UsageError(
            f"cannot serve on {args.host}:{args.port} ({exc.strerror or exc}): "
            "choose another --port or --host"
        ) from None
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
    """Check the chain and the deployment record, then serve until SIGINT/SIGTERM."""
    chain = Chain(args.rpc, args.deployment)  # one clear line if either is wrong
    db: Path = args.db or Path(".agentnet") / f"api-{chain.chain_id}.sqlite"
    try:
        db.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"cannot create {db.parent} for the index ({exc.strerror}): give --db FILE"
        ) from None
    asyncio.run(_serve(args, db))
    return 0
