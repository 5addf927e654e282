"""Shared fixtures for the contract tests (titanoboa, in-process EVM).

The protocol is deployed once per session through the same deploy code the
demo and benchmarks use; titanoboa's pytest plugin wraps every test (and every
hypothesis example) in `boa.env.anchor()`, so each test starts from the state
these fixtures built and nothing leaks between tests.
"""

from __future__ import annotations

from collections.abc import Callable

import boa
import pytest
from eth_utils import keccak

from deployments.boa_deploy import Protocol, deploy
from deployments.params import Params
from tests.contracts.utils.protocol import (
    ETHER,
    AgentKeys,
    commitment,
    new_agent,
    new_salt,
)

KIND_EMBEDDING = 0
DEFAULT_OUTPUT = b'{"dim":384,"i8":"AAAA"}'


@pytest.fixture(scope="session")
def params() -> Params:
    return Params()


@pytest.fixture(scope="session")
def protocol(params: Params) -> Protocol:
    return deploy(params)


@pytest.fixture(scope="session")
def registry(protocol: Protocol):
    return protocol.registry


@pytest.fixture(scope="session")
def staking(protocol: Protocol):
    return protocol.staking


@pytest.fixture(scope="session")
def market(protocol: Protocol):
    return protocol.market


@pytest.fixture(scope="session")
def owner(protocol: Protocol) -> str:
    return protocol.owner


@pytest.fixture(scope="session")
def publisher() -> str:
    return boa.env.generate_address()


@pytest.fixture(scope="session")
def model_id(registry, publisher: str) -> bytes:
    mid = keccak(b"agentnet test model: minilm")
    with boa.env.prank(publisher):
        registry.registerModel(mid, KIND_EMBEDDING, "file://models/minilm/manifest.json")
    return mid


@pytest.fixture(scope="session")
def other_model_id(registry, publisher: str) -> bytes:
    mid = keccak(b"agentnet test model: smollm2")
    with boa.env.prank(publisher):
        registry.registerModel(mid, 2, "file://models/smollm2/manifest.json")
    return mid


@pytest.fixture(scope="session")
def make_agent(staking, model_id: bytes) -> Callable[..., AgentKeys]:
    """Register a fresh agent: make_agent(stake=1 ETH, models=[model_id])."""

    def _make(stake: int = ETHER, models: list[bytes] | None = None) -> AgentKeys:
        agent = new_agent(balance=stake + 100 * ETHER)
        with boa.env.prank(agent.owner):
            staking.register(
                agent.signer.address,
                models if models is not None else [model_id],
                "http://127.0.0.1:9000",
                value=stake,
            )
        return agent

    return _make


@pytest.fixture(scope="session")
def agents(make_agent) -> list[AgentKeys]:
    """Five agents serving `model_id`, staking 1..5 ETH."""
    return [make_agent(stake=(i + 1) * ETHER) for i in range(5)]


@pytest.fixture(scope="session")
def requester() -> str:
    addr = boa.env.generate_address()
    boa.env.set_balance(addr, 1_000 * ETHER)
    return addr


@pytest.fixture(scope="session")
def create_task(market, model_id: bytes, requester: str, agents, params: Params):
    """create_task(size=3, quorum=2, fee=None, parents=(), model=None, input=...) -> id."""

    def _create(
        size: int = 3,
        quorum: int = 2,
        fee: int | None = None,
        parents: tuple[int, ...] = (),
        model: bytes | None = None,
        input: bytes = b'{"text":"hello"}',
        sender: str | None = None,
    ) -> int:
        fee = params.min_fee_per_agent * size if fee is None else fee
        with boa.env.prank(sender or requester):
            return market.createTask(
                model or model_id, input, size, quorum, list(parents), value=fee
            )

    return _create


@pytest.fixture(scope="session")
def by_owner(agents) -> Callable[[str], AgentKeys]:
    table = {a.owner: a for a in agents}

    def _lookup(owner: str) -> AgentKeys:
        return table[str(owner)]

    return _lookup


@pytest.fixture(scope="session")
def play(market, params: Params):
    """play(task_id, outputs: {member: bytes|None}) commits and reveals directly.

    A member mapped to None stays silent. Returns {member: salt}.
    """

    def _play(task_id: int, outputs: dict[str, bytes | None]) -> dict[str, bytes]:
        salts: dict[str, bytes] = {}
        for member, output in outputs.items():
            if output is None:
                continue
            salt = new_salt()
            salts[member] = salt
            with boa.env.prank(member):
                market.commit(task_id, commitment(task_id, member, keccak(output), salt))
        if market.taskPhase(task_id) == 2:
            boa.env.time_travel(seconds=params.commit_window)
        for member, salt in salts.items():
            with boa.env.prank(member):
                market.reveal(task_id, keccak(outputs[member]), salt)
        if market.taskPhase(task_id) != 4:
            boa.env.time_travel(seconds=params.reveal_window)
        return salts

    return _play
