"""Deploy the protocol to any JSON-RPC chain and write ``deployments/<chain_id>.json``.

The record has exactly the shape PROTOCOL.md pins::

    {"chain_id": 31337, "block": 1,
     "contracts": {"ModelRegistry": {"address": "0x..", "abi": [..]},
                   "AgentStaking": {...}, "TaskMarket": {...}}}

Deploying is idempotent: when the record exists and the code at its addresses is
the code we compile now, nothing is sent. A record whose addresses hold no code
(a devnet that was restarted) is replaced; one whose addresses hold other code is
refused unless ``force`` is set, so a real deployment is never overwritten by
accident.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3

from deployments.artifacts import CONTRACT_NAMES, Artifact, compile_all
from deployments.params import Params
from oracles.chain.contracts import DEPLOYMENTS_DIR
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


def _code_state(w3: Web3, record: dict[str, Any], artifacts: dict[str, Artifact]) -> str:
    """'match' when every address holds our code, 'empty' when none holds code, else 'other'."""
    states = []
    for name in CONTRACT_NAMES:
        entry = record.get("contracts", {}).get(name)
        if not entry:
            return "other"
        code = bytes(w3.eth.get_code(Web3.to_checksum_address(entry["address"])))
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


def _send(w3: Web3, account: LocalAccount, tx: dict[str, Any]) -> dict[str, Any]:
    tx = dict(tx)
    tx.setdefault("from", account.address)
    tx["nonce"] = w3.eth.get_transaction_count(account.address, "pending")
    tx["chainId"] = w3.eth.chain_id
    base_fee = int(w3.eth.get_block("latest").get("baseFeePerGas", 0) or 0)
    priority = int(w3.eth.max_priority_fee)
    tx["maxPriorityFeePerGas"] = priority
    tx["maxFeePerGas"] = 2 * base_fee + priority
    tx["gas"] = int(w3.eth.estimate_gas(tx) * 12 // 10)
    signed = account.sign_transaction(tx)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    receipt = dict(w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120))
    if receipt.get("status") != 1:
        raise DeployError(f"transaction {tx_hash.hex()} reverted")
    return receipt


def _deploy_one(
    w3: Web3, account: LocalAccount, artifact: Artifact, args: list[Any]
) -> tuple[str, int]:
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    tx = factory.constructor(*args).build_transaction({"from": account.address, "gas": 0})
    tx.pop("gas", None)
    receipt = _send(w3, account, {"data": tx["data"], "value": 0})
    return str(receipt["contractAddress"]), int(receipt["blockNumber"])


def deploy(
    w3: Web3,
    account: LocalAccount,
    params: Params | None = None,
    out_dir: Path | None = None,
    force: bool = False,
) -> DeployResult:
    """Deploy and wire the three contracts unless a matching record exists."""
    params = params or Params()
    artifacts = compile_all()
    chain_id = int(w3.eth.chain_id)
    path = record_path(chain_id, out_dir)
    if path.exists() and not force:
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise DeployError(f"cannot read {path}: {exc}") from exc
        state = _code_state(w3, record, artifacts)
        if state == "match":
            return DeployResult(record=record, path=path, reused=True)
        if state == "other":
            raise DeployError(
                f"{path} points at contracts whose code differs from contracts/; "
                "pass --force to deploy anew and overwrite it"
            )

    registry, block = _deploy_one(w3, account, artifacts["ModelRegistry"], [])
    staking, _ = _deploy_one(
        w3,
        account,
        artifacts["AgentStaking"],
        [registry, params.min_stake, params.unbonding_period],
    )
    market, _ = _deploy_one(
        w3,
        account,
        artifacts["TaskMarket"],
        [
            registry,
            staking,
            params.min_fee_per_agent,
            params.commit_window,
            params.reveal_window,
            params.slash_missed,
            params.slash_wrong,
        ],
    )
    staking_contract = w3.eth.contract(address=staking, abi=artifacts["AgentStaking"].abi)
    data = staking_contract.encode_abi("setMarket", args=[market])
    _send(w3, account, {"to": staking, "data": data, "value": 0})

    record = {
        "chain_id": chain_id,
        "block": block,
        "contracts": {
            name: {"address": address, "abi": artifacts[name].abi}
            for name, address in zip(CONTRACT_NAMES, (registry, staking, market), strict=True)
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record, indent=2) + "\n")
    tmp.replace(path)
    return DeployResult(record=record, path=path, reused=False)
