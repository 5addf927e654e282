"""``agentnet worker`` and ``agentnet agent ...``: run a node, manage an agent's stake."""

from __future__ import annotations

import argparse
import asyncio
import signal
from typing import Any

from eth_utils.address import to_checksum_address

from oracles.cli_common import (
    Chain,
    add_chain_args,
    add_password_args,
    format_eth,
    parse_amount,
)
from oracles.errors import UsageError

STATUS = {0: "unknown", 1: "active", 2: "deregistered"}


# ---------------------------------------------------------------- worker


def _worker(args: argparse.Namespace) -> int:
    from oracles import logs
    from oracles.chain.keys import load_keystore
    from oracles.engine import Engine
    from oracles.worker.node import Worker, WorkerSettings
    from oracles.worker.settings import resolve

    flags = {
        "rpc": args.rpc,
        "deployment": args.deployment,
        "signer_keystore": args.signer_keystore,
        "owner_keystore": args.owner_keystore,
        "password_file": args.password_file,
        "model": args.model,
        "db": args.db,
        "confirmations": args.confirmations,
        "poll_interval": args.poll_interval,
        "metrics_host": args.metrics_host,
        "metrics_port": args.metrics_port,
        "threads": args.threads,
        "batch_submissions": False if args.no_batch else None,
        "max_batch": args.max_batch,
        "claim_threshold": args.claim_threshold,
        "log_format": args.log_format,
    }
    s = resolve(flags, args.config)
    logs.configure(s["log_format"])
    signer = load_keystore(s["signer_keystore"], password_file=s["password_file"])
    owner = None
    if s["owner_keystore"]:
        owner = load_keystore(s["owner_keystore"], password_file=s["password_file"])
    engines: dict[str, Any] = {}
    for folder in s["model"]:
        engine = Engine.load(folder, threads=s["threads"])
        engines[engine.model_id] = engine
    deployment = s["deployment"]
    if deployment is None:
        from oracles.chain.contracts import DEPLOYMENTS_DIR

        deployment = str(DEPLOYMENTS_DIR / f"{Chain(s['rpc'], None).chain_id}.json")
    settings = WorkerSettings(
        rpc_urls=s["rpc"],
        deployment=deployment,
        db=s["db"],
        confirmations=s["confirmations"],
        poll_interval=s["poll_interval"],
        metrics_host=s["metrics_host"],
        metrics_port=s["metrics_port"],
        batch_submissions=s["batch_submissions"],
        max_batch=s["max_batch"],
        finalize_backoff=s["finalize_backoff"],
        claim_threshold=parse_amount(s["claim_threshold"]) if s["claim_threshold"] else None,
        dishonest=bool(args.dishonest),
    )
    worker = Worker(settings, signer, engines, owner=owner)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await worker.run(stop)

    asyncio.run(main())
    return 0


# ---------------------------------------------------------------- agent


def _load(path: str, password_file: str | None) -> Any:
    from oracles.chain.keys import load_keystore

    return load_keystore(path, password_file=password_file)


def _model_ids(folders: list[str], chain: Chain) -> list[bytes]:
    from oracles.package import load_package

    ids = []
    for folder in folders:
        package = load_package(folder)
        model_id = bytes.fromhex(package.model_id[2:])
        if not chain.call("ModelRegistry", "isActive", model_id):
            raise UsageError(
                f"model {package.model_id} ({folder}) is not registered or is deprecated "
                "on this chain; register it with `agentnet model register` first"
            )
        ids.append(model_id)
    return ids


def _register(args: argparse.Namespace) -> int:
    from oracles.chain.keys import keystore_address

    chain = Chain(args.rpc, args.deployment)
    stake = parse_amount(args.stake)
    models = _model_ids(args.model, chain)
    signer = keystore_address(args.signer_keystore)
    owner = _load(args.owner_keystore, args.password_file)
    minimum = int(chain.call("AgentStaking", "min_stake"))
    if stake < minimum:
        raise UsageError(f"stake {format_eth(stake)} is below the minimum {format_eth(minimum)}")
    receipt = chain.send(
        owner, "AgentStaking", "register", signer, models, args.endpoint or "", value=stake
    )
    print(f"agent   {owner.address}")
    print(f"signer  {signer}")
    print(f"stake   {format_eth(stake)}")
    print(f"models  {', '.join('0x' + m.hex() for m in models)}")
    print(f"tx      {receipt['transactionHash']}")
    return 0


def _status(args: argparse.Namespace) -> int:
    from oracles.chain.keys import keystore_address

    chain = Chain(args.rpc, args.deployment)
    agent = args.agent or (keystore_address(args.owner_keystore) if args.owner_keystore else None)
    if agent is None:
        raise UsageError("give --agent ADDRESS or --owner-keystore FILE")
    info = chain.call("AgentStaking", "agentInfo", agent)
    (
        signer,
        status,
        stake,
        pending,
        unbond_at,
        weight,
        models,
        endpoint,
        agreed,
        disagreed,
        missed,
    ) = info
    print(f"agent        {agent}")
    print(f"status       {STATUS.get(int(status), status)}")
    print(f"signer       {to_checksum_address(signer)}")
    print(f"stake        {format_eth(stake)}")
    print(
        f"unbonding    {format_eth(pending)}"
        + (f" (withdrawable at {unbond_at})" if pending else "")
    )
    print(f"weight       {format_eth(weight)}")
    print(f"models       {', '.join('0x' + bytes(m).hex() for m in models) or '-'}")
    print(f"endpoint     {endpoint or '-'}")
    print(f"claimable    {format_eth(chain.call('TaskMarket', 'claimable', agent))}")
    print(f"open tasks   {chain.call('TaskMarket', 'openTasks', agent)}")
    print(f"reputation   agreed {agreed}, disagreed {disagreed}, missed {missed}")
    return 0


def _owner_tx(function: str, *fn_args: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        chain = Chain(args.rpc, args.deployment)
        owner = _load(args.owner_keystore, args.password_file)
        values = [parse_amount(args.amount)] if function == "requestUnstake" else list(fn_args)
        contract = "TaskMarket" if function == "withdraw" else "AgentStaking"
        if function == "withdraw":
            amount = chain.call("TaskMarket", "claimable", owner.address)
            if amount == 0:
                raise UsageError(f"{owner.address} has nothing to withdraw")
        receipt = chain.send(owner, contract, function, *values)
        print(f"{function}: tx {receipt['transactionHash']}")
        return 0

    return run


def add_commands(subparsers: Any) -> None:
    worker = subparsers.add_parser(
        "worker", help="run an oracle worker for an agent until stopped (SIGINT/SIGTERM)"
    )
    worker.add_argument("--rpc", action="append", metavar="URL", help="JSON-RPC URL (repeatable)")
    worker.add_argument("--deployment", metavar="FILE", help="deployment record")
    worker.add_argument("--signer-keystore", metavar="FILE", help="the agent's signer keystore")
    worker.add_argument("--owner-keystore", metavar="FILE", help="owner keystore (auto-claim only)")
    add_password_args(worker)
    worker.add_argument(
        "--model", action="append", metavar="DIR", help="model package (repeatable)"
    )
    worker.add_argument("--db", metavar="FILE", help="SQLite state file")
    worker.add_argument("--config", metavar="FILE", help="TOML settings file")
    worker.add_argument("--confirmations", type=int, help="blocks before an event is acted on")
    worker.add_argument("--poll-interval", type=float, help="seconds between chain polls")
    worker.add_argument("--metrics-host", help="address of /metrics and /healthz")
    worker.add_argument("--metrics-port", type=int, help="port of /metrics and /healthz (0: any)")
    worker.add_argument("--threads", type=int, help="onnxruntime intra-op threads")
    worker.add_argument("--no-batch", action="store_true", help="never use the batch functions")
    worker.add_argument("--max-batch", type=int, help="most items in one batch")
    worker.add_argument("--claim-threshold", help="withdraw rewards above this (needs owner key)")
    worker.add_argument("--log-format", choices=("console", "json"))
    worker.add_argument("--dishonest", action="store_true", help=argparse.SUPPRESS)
    worker.set_defaults(func=_worker)

    agent = subparsers.add_parser("agent", help="register and manage an agent (owner key)")
    sub = agent.add_subparsers(dest="agent_command", metavar="ACTION", required=True)

    reg = sub.add_parser("register", help="register an agent with its signer, stake and models")
    add_chain_args(reg)
    reg.add_argument("--owner-keystore", required=True, metavar="FILE")
    reg.add_argument("--signer-keystore", required=True, metavar="FILE")
    add_password_args(reg)
    reg.add_argument("--stake", required=True, help="e.g. 1ether")
    reg.add_argument("--model", action="append", required=True, metavar="DIR")
    reg.add_argument("--endpoint", help="public URL of the worker's /healthz")
    reg.set_defaults(func=_register)

    status = sub.add_parser("status", help="stake, unbonding, rewards and reputation")
    add_chain_args(status)
    status.add_argument("--agent", metavar="ADDRESS")
    status.add_argument("--owner-keystore", metavar="FILE")
    status.set_defaults(func=_status)

    for name, function, helptext in (
        ("withdraw", "withdraw", "withdraw claimable rewards to the owner"),
        ("withdraw-stake", "withdrawStake", "withdraw unbonded stake"),
        ("deregister", "deregister", "leave every model and unbond the whole stake"),
    ):
        p = sub.add_parser(name, help=helptext)
        add_chain_args(p)
        p.add_argument("--owner-keystore", required=True, metavar="FILE")
        add_password_args(p)
        p.set_defaults(func=_owner_tx(function))

    unstake = sub.add_parser("unstake", help="request to unstake an amount (starts unbonding)")
    add_chain_args(unstake)
    unstake.add_argument("--owner-keystore", required=True, metavar="FILE")
    add_password_args(unstake)
    unstake.add_argument("--amount", required=True, help="e.g. 0.5ether")
    unstake.set_defaults(func=_owner_tx("requestUnstake"))
