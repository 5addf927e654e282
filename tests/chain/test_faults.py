"""The follower and the sender behind a proxy that drops, delays and fails requests."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from prometheus_client import CollectorRegistry

from oracles.chain.anvil import Anvil
from oracles.chain.contracts import Contract
from oracles.chain.follower import Log, LogFollower
from oracles.chain.metrics import ChainMetrics
from oracles.chain.rpc import AsyncRpcClient, RetryPolicy
from oracles.chain.sender import TxSender

# Delays in the proxy (1 s) outlast this per-request timeout, so they count as faults.
FLAKY = RetryPolicy(attempts=12, backoff_base=0.01, backoff_max=0.1, timeout=0.5)


@pytest.mark.parametrize("seed", [1, 2])
def test_sender_and_follower_survive_a_faulty_endpoint(
    seed: int,
    anvil: Anvil,
    dev_accounts: list[LocalAccount],
    emitter_artifact: dict[str, Any],
    deploy: Callable[[AsyncRpcClient, LocalAccount], Any],
    fault_proxy: Callable[..., Any],
    tmp_path: Path,
) -> None:
    proxy = fault_proxy(anvil.url, rate=0.3, seed=seed)
    seen: list[tuple[int, int]] = []
    registry = CollectorRegistry()
    metrics = ChainMetrics(registry)

    def on_logs(conn: sqlite3.Connection, logs: list[Log]) -> None:
        seen.extend((lg.block_number, lg.log_index) for lg in logs)

    async def main() -> None:
        async with (
            AsyncRpcClient(proxy.url, retry=FLAKY, metrics=metrics) as flaky,
            AsyncRpcClient(anvil.url) as direct,
        ):
            address = await deploy(flaky, dev_accounts[0])
            emitter = Contract("Emitter", address, emitter_artifact["abi"])
            sender = TxSender(flaky, dev_accounts[1], poll_interval=0.05)
            receipts = await asyncio.gather(
                *(sender.send(address, emitter.encode("ping", 2, f"f{i}")) for i in range(6))
            )
            assert all(r["status"] == "0x1" for r in receipts)
            # Each send ran exactly once, whatever the proxy did to the requests.
            out = await direct.call(
                "eth_call",
                [{"to": address, "data": "0x" + emitter.encode("counter").hex()}, "latest"],
            )
            assert emitter.decode_output("counter", out) == 12

            follower = LogFollower(
                flaky,
                tmp_path / "f.db",
                name="f",
                addresses=[address],
                on_logs=on_logs,
                chunk_size=2,
            )
            while follower.cursor < await direct.block_number():
                await follower.poll_once()
            expected = sorted(
                (int(r["blockNumber"], 16), int(r["logIndex"], 16))
                for r in await direct.get_logs(
                    {"fromBlock": "0x0", "toBlock": "latest", "address": address}
                )
            )
            assert seen == expected and len(seen) == 12
            sample = registry.get_sample_value
            assert (
                sample("agentnet_chain_follower_cursor_block", {"follower": "f"}) == follower.cursor
            )
            assert sample("agentnet_chain_follower_logs_total", {"follower": "f"}) == 12
            sender_labels = {"sender": sender.address, "outcome": "mined"}
            assert sample("agentnet_chain_tx_outcomes_total", sender_labels) == 6
            faults = sum(
                sample(
                    "agentnet_chain_rpc_requests_total", {"method": m, "outcome": "transport_error"}
                )
                or 0
                for m in (
                    "eth_blockNumber",
                    "eth_getBlockByNumber",
                    "eth_getLogs",
                    "eth_call",
                    "eth_sendRawTransaction",
                    "eth_getTransactionReceipt",
                    "eth_getTransactionCount",
                    "eth_estimateGas",
                    "eth_maxPriorityFeePerGas",
                    "eth_chainId",
                    "eth_getTransactionByHash",
                )
            )
            assert faults == flaky.stats.transport_errors > 0
            follower.close()
        assert sum(v for k, v in proxy.counts.items() if k != "ok") > 0

    asyncio.run(main())
