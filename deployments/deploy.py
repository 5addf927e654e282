"""Deploy the protocol to any JSON-RPC chain and write ``deployments/<chain_id>.json``.

The record has exactly the shape PROTOCOL.md pins::

    {"chain_id": 31337, "block": 1,
     "contracts": {"ModelRegistry": {"address": "0x..", "abi": [..]},
                   "AgentStaking": {...}, "TaskMarket": {...}}}

Every transaction goes through the chain layer's ``TxSender`` (simulated, signed,
fee-bumped, waited for), in the order and with the constructor arguments of
:mod:`deployments.plan`, which the titanoboa deploy used by the tests follows too.

Deploying is idempotent: when the record exists and the code at its addresses is
the code we compile now, nothing is sent. A record whose addresses hold no code
(a devnet that was restarted) is replaced; one whose addresses hold other code is
refused unless ``force`` is set, so a real deployment is never overwritten by
accident.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_abi import encode
from eth_account.signers.local import LocalAccount
from eth_utils.abi import collapse_if_tuple

from deployments.artifacts import Artifact, compile_all
from deployments.params import Params
from deployments.plan import CONTRACT_NAMES, constructor_args, wiring
from oracles.chain.contracts import DEPLOYMENTS_DIR, Contract
from oracles.chain.errors import ChainError
from oracles.chain.rpc import AsyncRpcClient
from oracles.chain.sender import TxSender
from oracles.errors import AgentnetError


class DeployError(AgentnetError):
    """A deployment could not be made or verified."""


@dataclass
class DeployResult:
    record: dict[str, Any]
    path: Path
    reused: bool


def record_path(chain_id: int, out_dir: Path | None = None) -> Path:
    return (out_dir or DEPLOYMENTS_DIR) / f"{chain_id}.json"


async def _code_state(
    rpc: AsyncRpcClient, record: dict[str, Any], artifacts: dict[str, Artifact]
) -> str:
    """'match' when every address holds our code, 'empty' when none holds code, else 'other'."""
    states = []
    for name in CONTRACT_NAMES:
        entry = record.get("contracts", {}).get(name)
        if not entry or "address" not in entry:
            return "other"
        raw = await rpc.call("eth_getCode", [entry["address"], "latest"])
        code = bytes.fromhex(str(raw).removeprefix("0x"))
        if not code:
            states.append("empty")
        elif code.startswith(artifacts[name].runtime):
            states.append("match")
        else:
            states.append("other")
    if all(s == "match" for s in states):
        return "match"
    if all(s == "empty" for s in states):
        return "empty"
    return "other"


def initcode(artifact: Artifact, args: Sequence[object]) -> bytes:
    """Creation code followed by the ABI-encoded constructor arguments."""
    ctor = next((i for i in artifact.abi if i.get("type") == "constructor"), None)
    types = [collapse_if_tuple(i) for i in (ctor or {}).get("inputs", [])]
    return artifact.bytecode + (encode(types, list(args)) if types else b"")


async def deploy_async(
    rpc: AsyncRpcClient,
    account: LocalAccount,
    params: Params | None = None,
    out_dir: Path | None = None,
    force: bool = False,
) -> DeployResult:
    """Deploy and wire the contracts as :mod:`deployments.plan` says, unless a matching
    record exists; every transaction is simulated, signed and sent by ``TxSender``."""
    params = params or Params()
    artifacts = compile_all()
    chain_id = await rpc.chain_id()
    path = record_path(chain_id, out_dir)
    if path.exists() and not force:
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise DeployError(f"cannot read {path}: {exc}") from exc
        state = await _code_state(rpc, record, artifacts)
        if state == "match":
            return DeployResult(record=record, path=path, reused=True)
        if state == "other":
            raise DeployError(
                f"{path} points at contracts whose code differs from contracts/; "
                "pass --force to deploy anew and overwrite it"
            )

    sender = TxSender(rpc, account, poll_interval=0.1)
    addresses: dict[str, str] = {}
    first_block = 0
    for name in CONTRACT_NAMES:
        args = constructor_args(name, params, addresses)
        try:
            address, receipt = await sender.deploy(initcode(artifacts[name], args))
        except ChainError as exc:
            raise DeployError(f"deploying {name} failed: {exc}") from exc
        addresses[name] = address
        first_block = first_block or int(receipt["blockNumber"], 16)
    for call in wiring(addresses):
        contract = Contract(call.contract, addresses[call.contract], artifacts[call.contract].abi)
        try:
            await sender.send(contract.address, contract.encode(call.function, *call.args))
        except ChainError as exc:
            raise DeployError(f"{call.contract}.{call.function} failed: {exc}") from exc

    record = {
        "chain_id": chain_id,
        "block": first_block,
        "contracts": {
            name: {"address": addresses[name], "abi": artifacts[name].abi}
            for name in CONTRACT_NAMES
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record, indent=2) + "\n")
    tmp.replace(path)
    return DeployResult(record=record, path=path, reused=False)


def deploy(
    rpc_urls: str | list[str],
    account: LocalAccount,
    params: Params | None = None,
    out_dir: Path | None = None,
    force: bool = False,
) -> DeployResult:
    """:func:`deploy_async` from blocking code (the CLI, the devnet)."""

    async def main() -> DeployResult:
        async with AsyncRpcClient(rpc_urls) as rpc:
            return await deploy_async(rpc, account, params, out_dir, force)

    return asyncio.run(main())
