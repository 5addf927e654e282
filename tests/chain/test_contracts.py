"""Deployment records, bindings and log decoding, against a real anvil."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from oracles.chain.anvil import Anvil
from oracles.chain.contracts import Deployment
from oracles.chain.errors import ChainError
from oracles.chain.follower import Log
from oracles.chain.rpc import AsyncRpcClient
from oracles.chain.sender import TxSender


def test_deployment_binding_encodes_calls_and_decodes_events(
    anvil: Anvil,
    dev_accounts: list[LocalAccount],
    emitter_artifact: dict[str, Any],
    deploy: Callable[[AsyncRpcClient, LocalAccount], Any],
    tmp_path: Path,
) -> None:
    async def main() -> None:
        async with AsyncRpcClient(anvil.url) as rpc:
            address = await deploy(rpc, dev_accounts[0])
            record = {
                "chain_id": 31337,
                "block": 1,
                "contracts": {
                    "Emitter": {"address": address.lower(), "abi": emitter_artifact["abi"]}
                },
            }
            path = tmp_path / "31337.json"
            path.write_text(json.dumps(record))
            deployment = Deployment.load(31337, path=path)
            emitter = deployment["Emitter"]
            assert emitter.address == address and deployment.addresses == [address]
            assert set(emitter.topics) == {"Ping", "Big"}

            sender = TxSender(rpc, dev_accounts[1])
            await sender.send(address, emitter.encode("ping", 2, "hello"))
            await sender.send(address, emitter.encode("big", "tag", [1, 2, 3], b"\x01\x02"))
            raw = await rpc.get_logs(
                {
                    "fromBlock": "0x0",
                    "toBlock": "latest",
                    "address": address,
                    "topics": [emitter.topic("Big")],
                }
            )
            assert len(raw) == 1
            big = emitter.decode_log(Log.from_rpc(raw[0]))
            assert big is not None and big.name == "Big"
            assert big.args == {"tag": keccak(b"tag"), "values": (1, 2, 3), "blob": b"\x01\x02"}

            raw = await rpc.get_logs(
                {"fromBlock": "0x0", "toBlock": "latest", "topics": [emitter.topic("Ping")]}
            )
            pings = [emitter.decode_log(Log.from_rpc(r)) for r in raw]
            assert [(p.args["sender"], p.args["n"], p.args["note"]) for p in pings if p] == [
                (dev_accounts[1].address, 1, "hello"),
                (dev_accounts[1].address, 2, "hello"),
            ]
            out = await rpc.call(
                "eth_call",
                [{"to": address, "data": "0x" + emitter.encode("counter").hex()}, "latest"],
            )
            assert emitter.decode_output("counter", out) == 2

    asyncio.run(main())


def test_deployment_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ChainError, match="no deployment record"):
        Deployment.load(path=tmp_path / "1.json")
    (tmp_path / "5.json").write_text(json.dumps({"chain_id": 5, "contracts": {"X": {}}}))
    with pytest.raises(ChainError, match="malformed"):
        Deployment.load(path=tmp_path / "5.json")
    (tmp_path / "6.json").write_text(json.dumps({"chain_id": 6, "block": 0, "contracts": {}}))
    with pytest.raises(ChainError, match="not 7"):
        Deployment.load(7, path=tmp_path / "6.json")
    with pytest.raises(ChainError, match="no Foo"):
        Deployment.load(path=tmp_path / "6.json")["Foo"]
