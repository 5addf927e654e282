"""``agentnet worker`` and ``agentnet agent ...``: run a node, manage an agent's stake.

Protocol v2 counts stake in epochs of ``AgentStaking.epochBlocks()`` blocks: a stake
change made in epoch ``k`` counts for committees drawn from epoch ``k + 1`` on, and
stake asked out in epoch ``k`` can be withdrawn from epoch ``k + 2`` (besides the
unbonding time and no open task). The agent commands say so where it matters.
"""

from __future__ import annotations

import argparse
import errno
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eth_utils.address import to_checksum_address

from oracles.cli_common import (
    Chain,
    add_chain_args,
    add_password_args,
    address,
    format_eth,
    int_range,
    keystore_address_of,
    load_account,
    parse_amount,
    print_help_and_fail,
)
from oracles.errors import UsageError

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

STATUS = {0: "unknown", 1: "active", 2: "deregistered"}
# SQLite errors that mean the --db file is unusable (not a bug in a query).
_UNUSABLE_DATABASE = {
    "SQLITE_CANTOPEN",
    "SQLITE_READONLY",
    "SQLITE_PERM",
    "SQLITE_BUSY",
    "SQLITE_NOTADB",
    "SQLITE_CORRUPT",
}
_UNBINDABLE_ADDRESS = {errno.EADDRINUSE, errno.EADDRNOTAVAIL}


# ---------------------------------------------------------------- worker


def _worker(args: argparse.Namespace) -> int:
    from oracles.worker.launch import run_worker
    from oracles.worker.settings import flags_of, resolve

    return run_worker(resolve(flags_of(args), args.config))


def _run_worker(args: argparse.Namespace) -> int:
    """``agentnet worker``: :func:`_worker`, with the user errors it lets through made one line.

    Those are a state file SQLite cannot open and a metrics address that cannot be
    bound; any other exception is a bug and keeps its traceback.
    """
    try:
        return _worker(args)
    except sqlite3.DatabaseError as exc:
        if exc.sqlite_errorname not in _UNUSABLE_DATABASE:
            raise
        raise UsageError(
            f"cannot use the worker's state file ({exc}): give --db a SQLite file "
            "in a writable folder that no other worker uses"
        ) from None
    except OSError as exc:
        if exc.errno not in _UNBINDABLE_ADDRESS:
            raise
        raise UsageError(
            f"cannot serve /metrics and /healthz ({exc.strerror}): "
            "choose another --metrics-port (0: any free port) or --metrics-host"
        ) from None


# ---------------------------------------------------------------- agent


def _model_ids(folders: list[str], chain: Chain) -> list[bytes]:
    """The ids of the packages in ``folders``; each must be registered and active on chain."""
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
    stake = parse_amount(args.stake)
    signer = keystore_address_of(args.signer_keystore)
    owner = load_account(args.owner_keystore, args.password_file)
    chain = Chain(args.rpc, args.deployment)
    models = _model_ids(args.model, chain)
    minimum = int(chain.call("AgentStaking", "min_stake"))
    if stake < minimum:
        raise UsageError(f"stake {format_eth(stake)} is below the minimum {format_eth(minimum)}")
    receipt = chain.send(
        owner, "AgentStaking", "register", signer, models, args.endpoint or "", value=stake
    )
    print(f"agent   {owner.address}")
    print(f"signer  {signer}")
    print(f"stake   {format_eth(stake)}")
    print(f"models  {', '.join('0x' + model_id.hex() for model_id in models)}")
    print(f"tx      {receipt['transactionHash']}")
    epochs = Epochs.read(chain)
    if epochs is not None:
        drawn = epochs.of(int(receipt["blockNumber"], 16)) + 1
        print(f"drawn   from epoch {drawn} (block {epochs.first_block(drawn)})")
    return 0


@dataclass(frozen=True)
class Epochs:
    """The stake epochs of the deployment's AgentStaking (protocol v2)."""

    blocks: int  # per epoch
    current: int

    @classmethod
    def read(cls, chain: Chain) -> Epochs | None:
        """``None`` for contracts without epochs (protocol v1)."""
        staking = chain.deployment["AgentStaking"]
        if not any(i.get("name") == "epochBlocks" for i in staking.abi):
            return None
        return cls(
            int(chain.call("AgentStaking", "epochBlocks")),
            int(chain.call("AgentStaking", "currentEpoch")),
        )

    def of(self, block: int) -> int:
        return block // self.blocks

    def first_block(self, epoch: int) -> int:
        return epoch * self.blocks


def _status(args: argparse.Namespace) -> int:
    from oracles.worker.chainview import named_fields

    if args.agent is not None:
        agent = args.agent
    elif args.owner_keystore is not None:
        agent = keystore_address_of(args.owner_keystore)
    else:
        raise UsageError("give --agent ADDRESS or --owner-keystore FILE")
    chain = Chain(args.rpc, args.deployment)
    staking = chain.deployment["AgentStaking"]
    info = named_fields(staking, "agentInfo", chain.call("AgentStaking", "agentInfo", agent))
    pending = int(info["pending_unstake"])
    models = [bytes(m) for m in info["models"]]
    epochs = Epochs.read(chain)
    print(f"agent        {agent}")
    print(f"status       {STATUS.get(int(info['status']), info['status'])}")
    print(f"signer       {to_checksum_address(info['signer'])}")
    print(f"stake        {format_eth(int(info['stake']))}")
    unbonding = f"unbonding    {format_eth(pending)}"
    if pending:
        unbonding += f" (withdrawable at {info['unbond_at']}"
        if epochs is not None:
            unbonding += (
                f" and from epoch {chain.call('AgentStaking', 'withdrawableFromEpoch', agent)}"
            )
        unbonding += ")"
    print(unbonding)
    if epochs is None:
        print(f"weight       {format_eth(int(info['weight']))}")
    else:
        print(f"epoch        {epochs.current} (blocks of {epochs.blocks})")
        print(f"weight       {format_eth(int(info['weight']))} (from its stake now)")
        for model_id in models:
            now = int(chain.call("AgentStaking", "weightOf", agent, model_id))
            drawn = int(chain.call("AgentStaking", "weightAt", agent, model_id, epochs.current))
            print(
                f"  drawn      0x{model_id.hex()[:16]}  {format_eth(drawn)} in epoch "
                f"{epochs.current}, {format_eth(now)} from epoch {epochs.current + 1}"
            )
    print(f"models       {', '.join('0x' + model_id.hex() for model_id in models) or '-'}")
    print(f"endpoint     {info['endpoint'] or '-'}")
    print(f"claimable    {format_eth(chain.call('TaskMarket', 'claimable', agent))}")
    print(f"open tasks   {chain.call('TaskMarket', 'openTasks', agent)}")
    agreed, disagreed, missed = info["agreed"], info["disagreed"], info["missed"]
    print(f"reputation   agreed {agreed}, disagreed {disagreed}, missed {missed}")
    return 0


def _owner_and_chain(args: argparse.Namespace) -> tuple[LocalAccount, Chain]:
    """The decrypted owner keystore, then the chain (the local check comes first)."""
    owner = load_account(args.owner_keystore, args.password_file)
    return owner, Chain(args.rpc, args.deployment)


def _send(chain: Chain, owner: LocalAccount, contract: str, function: str, *values: Any) -> int:
    receipt = chain.send(owner, contract, function, *values)
    print(f"{function}: tx {receipt['transactionHash']}")
    return 0


def _withdraw(args: argparse.Namespace) -> int:
    owner, chain = _owner_and_chain(args)
    if int(chain.call("TaskMarket", "claimable", owner.address)) == 0:
        raise UsageError(f"{owner.address} has nothing to withdraw")
    return _send(chain, owner, "TaskMarket", "withdraw")


def _withdraw_stake(args: argparse.Namespace) -> int:
    owner, chain = _owner_and_chain(args)
    epochs = Epochs.read(chain)
    if epochs is not None and int(chain.call("AgentStaking", "pendingUnstakeOf", owner.address)):
        first = int(chain.call("AgentStaking", "withdrawableFromEpoch", owner.address))
        if epochs.current < first:
            raise UsageError(
                f"the stake asked out still counts in draws until epoch {first} "
                f"(block {epochs.first_block(first)}); this is epoch {epochs.current}"
            )
    return _send(chain, owner, "AgentStaking", "withdrawStake")


def _deregister(args: argparse.Namespace) -> int:
    owner, chain = _owner_and_chain(args)
    return _send(chain, owner, "AgentStaking", "deregister")


def _unstake(args: argparse.Namespace) -> int:
    amount = parse_amount(args.amount)
    owner, chain = _owner_and_chain(args)
    _send(chain, owner, "AgentStaking", "requestUnstake", amount)
    unbond_at = chain.call("AgentStaking", "unbondAt", owner.address)
    line = f"withdrawable at {unbond_at}"
    if Epochs.read(chain) is not None:
        first = int(chain.call("AgentStaking", "withdrawableFromEpoch", owner.address))
        line += f" and from epoch {first}"
    print(line + " (with no open task)")
    return 0


# ---------------------------------------------------------------- parsers


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``agent`` group and the ``worker`` command to the CLI."""
    agent = subparsers.add_parser("agent", help="register and manage an agent (owner key)")
    actions = agent.add_subparsers(dest="agent_command", metavar="ACTION")
    agent.set_defaults(func=print_help_and_fail(agent))

    register = actions.add_parser(
        "register", help="register an agent with its signer, stake and models"
    )
    add_chain_args(register)
    register.add_argument("--owner-keystore", required=True, metavar="FILE")
    register.add_argument("--signer-keystore", required=True, metavar="FILE")
    add_password_args(register)
    register.add_argument("--stake", required=True, help="e.g. 1ether")
    register.add_argument("--model", action="append", required=True, metavar="DIR")
    register.add_argument("--endpoint", help="public URL of the worker's /healthz")
    register.set_defaults(func=_register)

    status = actions.add_parser("status", help="stake, unbonding, rewards and reputation")
    add_chain_args(status)
    status.add_argument("--agent", type=address, metavar="ADDRESS")
    status.add_argument("--owner-keystore", metavar="FILE")
    status.set_defaults(func=_status)

    for name, command, summary in (
        ("withdraw", _withdraw, "withdraw claimable rewards to the owner"),
        ("withdraw-stake", _withdraw_stake, "withdraw unbonded stake"),
        ("deregister", _deregister, "leave every model and unbond the whole stake"),
        ("unstake", _unstake, "request to unstake an amount (starts unbonding)"),
    ):
        owner_command = actions.add_parser(name, help=summary)
        add_chain_args(owner_command)
        owner_command.add_argument("--owner-keystore", required=True, metavar="FILE")
        add_password_args(owner_command)
        if name == "unstake":
            owner_command.add_argument("--amount", required=True, help="e.g. 0.5ether")
        owner_command.set_defaults(func=command)

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
    worker.add_argument("--threads", type=int_range(1), help="onnxruntime intra-op threads")
    worker.add_argument(
        "--session-cache",
        metavar="DIR",
        help="where optimized model graphs are kept (default .agentnet/session-cache; off: none)",
    )
    worker.add_argument("--no-batch", action="store_true", help="never use the batch functions")
    worker.add_argument("--max-batch", type=int, help="most items in one batch")
    worker.add_argument("--claim-threshold", help="withdraw rewards above this (needs owner key)")
    worker.add_argument("--log-format", choices=("console", "json"))
    worker.set_defaults(func=_run_worker)
