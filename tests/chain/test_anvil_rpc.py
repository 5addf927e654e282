"""The anvil launcher and the JSON-RPC clients, against a real anvil."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from oracles.chain import anvil as anvil_mod
from oracles.chain.anvil import Anvil, anvil_binary
from oracles.chain.errors import AnvilError, RpcError, RpcUnavailable
from oracles.chain.rpc import AsyncRpcClient, RetryPolicy, SyncRpcClient

FAST = RetryPolicy(attempts=4, backoff_base=0.01, backoff_max=0.05, timeout=2.0)


def dead_url() -> str:
    """A loopback URL nobody listens on."""
    return f"http://127.0.0.1:{anvil_mod.free_port()}"


def test_anvil_answers_and_leaves_no_process() -> None:
    node = Anvil(chain_id=4242)
    with node:
        assert SyncRpcClient(node.url).call("eth_chainId") == hex(4242)
        pid = node._proc.pid if node._proc else 0
        assert pid and node.running
    assert not node.running
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_anvil_retries_when_the_port_is_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    ports = iter([busy.getsockname()[1]])
    real = anvil_mod.free_port
    monkeypatch.setattr(
        anvil_mod, "free_port", lambda host="127.0.0.1": next(ports, None) or real(host)
    )
    try:
        with Anvil() as node:
            assert node.port != busy.getsockname()[1]
            assert SyncRpcClient(node.url).call("eth_blockNumber") == "0x0"
    finally:
        busy.close()


def test_anvil_binary_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTNET_ANVIL", "/nonexistent/anvil")
    with pytest.raises(AnvilError, match="AGENTNET_ANVIL"):
        anvil_binary()


def test_block_time_mines_on_its_own(anvil_factory: Callable[..., Anvil]) -> None:
    node = anvil_factory(block_time=0.2)
    rpc = SyncRpcClient(node.url)
    for _ in range(600):
        if int(rpc.call("eth_blockNumber"), 16) >= 2:
            break
        time.sleep(0.05)
    assert int(rpc.call("eth_blockNumber"), 16) >= 2


def test_async_client_fails_over_from_a_dead_url(anvil: Anvil) -> None:
    async def main() -> None:
        async with AsyncRpcClient([dead_url(), anvil.url], retry=FAST) as rpc:
            assert await rpc.chain_id() == 31337
            assert rpc.stats.failovers == 1
            assert rpc.stats.transport_errors == 1
            # The URL that answered is preferred from then on.
            assert await rpc.block_number() == 0
            assert rpc.stats.transport_errors == 1

    asyncio.run(main())


def test_rpc_error_is_the_answer_not_retried(anvil: Anvil) -> None:
    async def main() -> None:
        async with AsyncRpcClient(anvil.url, retry=FAST) as rpc:
            with pytest.raises(RpcError) as info:
                await rpc.call("eth_noSuchMethod")
            assert rpc.stats.requests == 1
            assert info.value.code != 0

    asyncio.run(main())


def test_all_urls_dead_raises_unavailable() -> None:
    async def main() -> None:
        async with AsyncRpcClient([dead_url(), dead_url()], retry=FAST) as rpc:
            with pytest.raises(RpcUnavailable, match="eth_chainId"):
                await rpc.chain_id()
            assert rpc.stats.requests == FAST.attempts

    asyncio.run(main())


def test_sync_client_fails_over_and_raises_rpc_errors(anvil: Anvil) -> None:
    rpc = SyncRpcClient([dead_url(), anvil.url], retry=FAST)
    assert rpc.call("eth_chainId") == hex(31337)
    assert rpc.stats.failovers == 1
    with pytest.raises(RpcError):
        rpc.call("eth_noSuchMethod")
    with pytest.raises(RpcUnavailable):
        SyncRpcClient(dead_url(), retry=FAST).call("eth_chainId")


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting to be reaped."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_anvil_dies_with_a_killed_parent(tmp_path: Path) -> None:
    script = tmp_path / "orphan.py"
    script.write_text(
        "import os\n"
        "from oracles.chain.anvil import Anvil\n"
        "node = Anvil().start()\n"
        "print(node._proc.pid, flush=True)\n"
        "os.kill(os.getpid(), 9)\n"
    )
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    pid = int(out.stdout.strip())
    for _ in range(600):  # a generous bound, so a regression fails instead of hanging
        if not _alive(pid):
            break
        time.sleep(0.05)
    assert not _alive(pid)
