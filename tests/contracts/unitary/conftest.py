"""Fixtures shared by the unit tests of the three contracts.

Everything here is session-scoped and built on the root conftest's single
deployment; titanoboa's plugin rolls every test back to this state.
"""

from __future__ import annotations

from collections.abc import Callable

import boa
import pytest
from eth_utils import keccak

from tests.contracts.conftest import DEFAULT_OUTPUT
from tests.contracts.unitary.helpers import REJECTOR_SOURCE
from tests.contracts.utils.draws import members_of
from tests.contracts.utils.protocol import ETHER, AgentKeys, commitment, new_salt

OTHER_OUTPUT = b'{"dim":384,"i8":"BBBB"}'
THIRD_OUTPUT = b'{"dim":384,"i8":"CCCC"}'


@pytest.fixture(scope="session")
def stranger() -> str:
    """An address with ETH that is nothing in the protocol."""
    addr = boa.env.generate_address()
    boa.env.set_balance(addr, 1_000 * ETHER)
    return addr


@pytest.fixture(scope="session")
def rejector():
    """A contract that cannot receive ETH."""
    return boa.loads(REJECTOR_SOURCE)


@pytest.fixture(scope="session")
def outsiders(market, agents) -> Callable[[int], list[AgentKeys]]:
    """outsiders(task_id) -> registered agents that are not on the task's committee."""

    def _outsiders(task_id: int) -> list[AgentKeys]:
        seated = set(members_of(market.committeeOf(task_id)))
        return [a for a in agents if a.owner not in seated]

    return _outsiders


@pytest.fixture(scope="session")
def commit_as(market) -> Callable[..., bytes]:
    """commit_as(task_id, member, output=DEFAULT_OUTPUT, salt=None, sender=None) -> salt."""

    def _commit(
        task_id: int,
        member: str,
        output: bytes = DEFAULT_OUTPUT,
        salt: bytes | None = None,
        sender: str | None = None,
    ) -> bytes:
        salt = new_salt() if salt is None else salt
        with boa.env.prank(sender or member):
            market.commit(task_id, commitment(task_id, member, keccak(output), salt))
        return salt

    return _commit


@pytest.fixture(scope="session")
def reveal_as(market) -> Callable[..., None]:
    """reveal_as(task_id, member, salt, output=DEFAULT_OUTPUT, sender=None)."""

    def _reveal(
        task_id: int,
        member: str,
        salt: bytes,
        output: bytes = DEFAULT_OUTPUT,
        sender: str | None = None,
    ) -> None:
        with boa.env.prank(sender or member):
            market.reveal(task_id, keccak(output), salt)

    return _reveal


@pytest.fixture(scope="session")
def finalize_failed_task(market, create_task, params) -> Callable[..., int]:
    """A task whose committee stayed silent, finalized as failed; returns its id."""

    def _failed(**kwargs) -> int:
        task_id = create_task(**kwargs)
        boa.env.time_travel(seconds=params.commit_window + params.reveal_window)
        market.finalize(task_id, b"")
        return task_id

    return _failed


@pytest.fixture(scope="session")
def finalize_succeeded_task(market, create_task, members, play) -> Callable[..., int]:
    """A task whose whole committee agreed on DEFAULT_OUTPUT, finalized; returns its id."""

    def _succeeded(**kwargs) -> int:
        task_id = create_task(**kwargs)
        play(task_id, dict.fromkeys(members(task_id), DEFAULT_OUTPUT))
        market.finalize(task_id, DEFAULT_OUTPUT)
        return task_id

    return _succeeded
