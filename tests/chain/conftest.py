"""Fixtures of the chain-layer tests: real anvil nodes, the Emitter contract, a faulty proxy."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import vyper
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address

from oracles.chain.anvil import Anvil
from oracles.chain.rpc import AsyncRpcClient
from oracles.chain.sender import TxSender
from tests.utils.faults import FaultProxy

EMITTER = Path(__file__).parent / "contracts" / "Emitter.vy"


@pytest.fixture(scope="session")
def emitter_artifact() -> dict[str, Any]:
    """ABI and bytecode of tests/chain/contracts/Emitter.vy."""
    out = vyper.compile_code(EMITTER.read_text(), output_formats=["abi", "bytecode"])
    return {"abi": out["abi"], "bytecode": bytes.fromhex(out["bytecode"][2:])}


@pytest.fixture
def anvil_factory() -> Iterator[Callable[..., Anvil]]:
    """Start anvils with custom options; all are stopped at teardown."""
    started: list[Anvil] = []

    def make(**kwargs: Any) -> Anvil:
        node = Anvil(**kwargs).start()
        started.append(node)
        return node

    yield make
    for node in started:
        node.stop()


@pytest.fixture
def anvil(anvil_factory: Callable[..., Anvil]) -> Anvil:
    """A fresh automining anvil."""
    return anvil_factory()


@pytest.fixture
def dev_accounts(anvil: Anvil) -> list[LocalAccount]:
    """The funded dev accounts of ``anvil``."""
    return [Account.from_key(k) for k in anvil.private_keys[:4]]


async def deploy_emitter(
    rpc: AsyncRpcClient, account: LocalAccount, artifact: dict[str, Any]
) -> str:
    """Deploy Emitter with the chain layer's own sender; return its address."""
    receipt = await TxSender(rpc, account).send(None, artifact["bytecode"])
    return str(to_checksum_address(receipt["contractAddress"]))


@pytest.fixture
def fault_proxy() -> Iterator[Callable[..., FaultProxy]]:
    """Start fault proxies in front of a URL; all are stopped at teardown."""
    proxies: list[FaultProxy] = []

    def make(upstream: str, **kwargs: Any) -> FaultProxy:
        proxy = FaultProxy(upstream, **kwargs).start()
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        proxy.stop()


@pytest.fixture
def deploy(
    emitter_artifact: dict[str, Any],
) -> Callable[[AsyncRpcClient, LocalAccount], Any]:
    """``await deploy(rpc, account)`` deploys an Emitter and returns its address."""

    async def _deploy(rpc: AsyncRpcClient, account: LocalAccount) -> str:
        return await deploy_emitter(rpc, account, emitter_artifact)

    return _deploy
