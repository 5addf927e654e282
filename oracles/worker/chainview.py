"""Typed reads of the protocol contracts over JSON-RPC (``eth_call`` at ``latest``).

:class:`ChainReads` is what the rest of the worker may ask the chain; :class:`ChainView`
answers it through :meth:`oracles.chain.contracts.Contract.acall`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Protocol

from eth_utils.address import to_checksum_address

from oracles.chain.contracts import Deployment
from oracles.chain.rpc import AsyncRpcClient


class Phase(IntEnum):
    """``TaskMarket.taskPhase``."""

    UNKNOWN = 0
    WAITING = 1  # for its parents
    COMMIT = 2
    REVEAL = 3
    READY = 4  # to finalize
    SUCCEEDED = 5
    FAILED = 6

    @property
    def done(self) -> bool:
        return self in (Phase.SUCCEEDED, Phase.FAILED)


@dataclass(frozen=True)
class MemberState:
    """``TaskMarket.memberState`` of one agent in one task."""

    member: bool
    committed: bool
    revealed: bool
    result_hash: bytes


@dataclass(frozen=True)
class TaskView:
    """``TaskMarket.getTask``."""

    requester: str
    model_id: bytes
    fee: int
    committee: list[str]
    quorum: int
    parents: list[int]
    start: int
    commit_end: int
    reveal_end: int
    committed: list[bool]
    revealed: list[bool]
    result_hashes: list[bytes]
    phase: Phase
    result_hash: bytes

    def tally(self) -> dict[bytes, int]:
        """Revealed result hash -> number of members that revealed it."""
        counts: dict[bytes, int] = {}
        for revealed, result_hash in zip(self.revealed, self.result_hashes, strict=True):
            if revealed:
                counts[result_hash] = counts.get(result_hash, 0) + 1
        return counts


class ChainReads(Protocol):
    """The chain reads the worker makes (a test may answer them from memory)."""

    async def phase(self, task_id: int) -> Phase: ...

    async def member_state(self, task_id: int, agent: str) -> MemberState: ...

    async def task(self, task_id: int) -> TaskView: ...

    async def accepted_hash(self, task_id: int) -> bytes: ...

    async def agent_of_signer(self, signer: str) -> str: ...

    async def model_active(self, model_id: bytes) -> bool: ...

    async def claimable(self, account: str) -> int: ...

    async def balance(self, account: str) -> int: ...

    async def head(self) -> int: ...


class ChainView:
    """Reads of ModelRegistry, AgentStaking and TaskMarket (a :class:`ChainReads`)."""

    def __init__(self, rpc: AsyncRpcClient, deployment: Deployment) -> None:
        self.rpc = rpc
        self.deployment = deployment

    async def _call(self, contract_name: str, function: str, *args: object) -> Any:
        return await self.deployment[contract_name].acall(self.rpc, function, *args)

    async def phase(self, task_id: int) -> Phase:
        return Phase(int(await self._call("TaskMarket", "taskPhase", task_id)))

    async def member_state(self, task_id: int, agent: str) -> MemberState:
        member, committed, revealed, result_hash = await self._call(
            "TaskMarket", "memberState", task_id, agent
        )
        return MemberState(bool(member), bool(committed), bool(revealed), bytes(result_hash))

    async def task(self, task_id: int) -> TaskView:
        fields = await self._call("TaskMarket", "getTask", task_id)
        return TaskView(
            requester=to_checksum_address(fields[0]),
            model_id=bytes(fields[1]),
            fee=int(fields[2]),
            committee=[to_checksum_address(a) for a in fields[3]],
            quorum=int(fields[4]),
            parents=[int(p) for p in fields[5]],
            start=int(fields[6]),
            commit_end=int(fields[7]),
            reveal_end=int(fields[8]),
            committed=[bool(c) for c in fields[9]],
            revealed=[bool(r) for r in fields[10]],
            result_hashes=[bytes(h) for h in fields[11]],
            phase=Phase(int(fields[12])),
            result_hash=bytes(fields[13]),
        )

    async def accepted_hash(self, task_id: int) -> bytes:
        """The result hash the task was finalized with (zero bytes without one)."""
        _, result_hash = await self._call("TaskMarket", "taskResult", task_id)
        return bytes(result_hash)

    async def agent_of_signer(self, signer: str) -> str:
        return to_checksum_address(await self._call("AgentStaking", "agentOfSigner", signer))

    async def model_active(self, model_id: bytes) -> bool:
        return bool(await self._call("ModelRegistry", "isActive", model_id))

    async def claimable(self, account: str) -> int:
        return int(await self._call("TaskMarket", "claimable", account))

    async def balance(self, account: str) -> int:
        return int(await self.rpc.call("eth_getBalance", [account, "latest"]), 16)

    async def head(self) -> int:
        return await self.rpc.block_number()
