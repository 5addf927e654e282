"""Shared fixtures for the contract tests (titanoboa, in-process EVM).

The protocol is deployed once per session through the same deploy code the
demo and benchmarks use; titanoboa's pytest plugin wraps every test (and every
hypothesis example) in `boa.env.anchor()`, so each test starts from the state
these fixtures built and nothing leaks between tests.

Block hashes answer as on a real chain (`deployments.boa_chain`), and stake
weights count one epoch (256 blocks) after they change: `agents` moves to the
next epoch after registering, and `create_task` moves a block or two to seat a
committee (by default one whose seats are held by distinct agents).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import boa
import pytest
from eth_utils import keccak

from deployments.boa_chain import install_block_hashes, mine, to_next_epoch
from deployments.boa_deploy import Protocol, deploy
from deployments.params import Params
from tests.contracts.utils import timing
from tests.contracts.utils.draws import distinct, members_of, move_to_draw
from tests.contracts.utils.protocol import (
    ETHER,
    AgentKeys,
    commitment,
    new_agent,
    new_salt,
)

KIND_EMBEDDING = 0
DEFAULT_OUTPUT = b'{"dim":384,"i8":"AAAA"}'

install_block_hashes()


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
    """Register a fresh agent: make_agent(stake=1 ETH, models=[model_id]).

    Its weight counts for draws from the next epoch on (`to_next_epoch`).
    """

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
    """Five agents serving `model_id`, staking 1..5 ETH, drawable (next epoch)."""
    out = [make_agent(stake=(i + 1) * ETHER) for i in range(5)]
    to_next_epoch()
    return out


@pytest.fixture(scope="session")
def wait_until_withdrawable(staking) -> Callable[[str], None]:
    """wait_until_withdrawable(agent): `withdrawStake` is allowed by time and epoch."""
    return functools.partial(timing.wait_until_withdrawable, staking)


@pytest.fixture(scope="session")
def requester() -> str:
    addr = boa.env.generate_address()
    boa.env.set_balance(addr, 1_000 * ETHER)
    return addr


@pytest.fixture(scope="session")
def activate_task(market) -> Callable[[int], None]:
    """activate_task(task_id): mine past the task's draw block and activate it."""

    def _activate(task_id: int) -> None:
        draw_block = market.getTask(task_id).draw_block
        mine(max(0, draw_block + 1 - int(boa.env.evm.patch.block_number)))
        market.activate(task_id)

    return _activate


@pytest.fixture(scope="session")
def create_task(market, staking, model_id: bytes, requester: str, agents, params: Params):
    """create_task(size=3, quorum=2, fee=None, parents=(), model=None, input=...,
    sender=None, seats=None, distinct=True, activate=True) -> task id.

    A task without parents is activated (its commit phase open), with a committee
    whose seats are `seats` when given, else held by distinct agents when
    `distinct`; `activate=False` leaves it waiting for its draw block.
    """

    def _create(
        size: int = 3,
        quorum: int = 2,
        fee: int | None = None,
        parents: tuple[int, ...] = (),
        model: bytes | None = None,
        input: bytes = b'{"text":"hello"}',
        sender: str | None = None,
        seats: list[str] | None = None,
        distinct_seats: bool = True,
        activate: bool = True,
    ) -> int:
        fee = params.min_fee_per_agent * size if fee is None else fee
        model = model or model_id
        seated = activate and not parents and 1 <= size <= 16 and quorum > size // 2
        if seated and (seats is not None or distinct_seats):

            def want(drawn: list[str]) -> bool:
                if seats is not None:
                    return drawn == [str(s) for s in seats]
                return distinct(drawn)

            move_to_draw(staking, model, size, market.task_count() + 1, want)
        with boa.env.prank(sender or requester):
            task_id = market.createTask(model, input, size, quorum, list(parents), value=fee)
        if seated:
            mine(2)
            market.activate(task_id)
        return task_id

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
            boa.env.time_travel(seconds=market.getTask(task_id).commit_end - boa.env.timestamp)
        for member, salt in salts.items():
            with boa.env.prank(member):
                market.reveal(task_id, keccak(outputs[member]), salt)
        if market.taskPhase(task_id) != 4:
            boa.env.time_travel(seconds=market.getTask(task_id).reveal_end - boa.env.timestamp)
        return salts

    return _play


@pytest.fixture(scope="session")
def members(market) -> Callable[[int], list[str]]:
    """members(task_id) -> its distinct members, in the order of their first seat."""

    def _members(task_id: int) -> list[str]:
        return members_of(market.committeeOf(task_id))

    return _members
