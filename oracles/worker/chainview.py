"""Typed reads of the protocol contracts over JSON-RPC (``eth_call`` at ``latest``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils.address import to_checksum_address

from oracles.chain.contracts import Deployment
from oracles.chain.rpc import AsyncRpcClient

PHASE_UNKNOWN = 0
PHASE_WAITING = 1
PHASE_COMMIT = 2
PHASE_REVEAL = 3
PHASE_READY = 4
PHASE_SUCCEEDED = 5
PHASE_FAILED = 6


@dataclass(frozen=True)
class MemberState:
    member: bool
    committed: bool
    revealed: bool
    result_hash: bytes


@dataclass(frozen=True)
class TaskView:
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
    phase: int
    result_hash: bytes

    def tally(self) -> dict[bytes, int]:
        """Revealed result hash -> number of members that revealed it."""
        counts: dict[bytes, int] = {}
        for revealed, h in zip(self.revealed, self.result_hashes, strict=True):
            if revealed:
                counts[h] = counts.get(h, 0) + 1
        return counts


class ChainView:
    """Reads of ModelRegistry, AgentStaking and TaskMarket."""

    def __init__(self, rpc: AsyncRpcClient, deployment: Deployment) -> None:
        self.rpc = rpc
        self.deployment = deployment
        self.market = deployment["TaskMarket"]
        self.staking = deployment["AgentStaking"]
        self.registry = deployment["ModelRegistry"]

    async def call(self, contract_name: str, function: str, *args: Any) -> Any:
        return await self.deployment[contract_name].acall(self.rpc, function, *args)

    async def phase(self, task_id: int) -> int:
        return int(await self.call("TaskMarket", "taskPhase", task_id))

    async def member_state(self, task_id: int, agent: str) -> MemberState:
        member, committed, revealed, h = await self.call(
            "TaskMarket", "memberState", task_id, agent
        )
        return MemberState(bool(member), bool(committed), bool(revealed), bytes(h))

    async def task(self, task_id: int) -> TaskView:
        v = await self.call("TaskMarket", "getTask", task_id)
        return TaskView(
            requester=to_checksum_address(v[0]),
            model_id=bytes(v[1]),
            fee=int(v[2]),
            committee=[to_checksum_address(a) for a in v[3]],
            quorum=int(v[4]),
            parents=[int(p) for p in v[5]],
            start=int(v[6]),
            commit_end=int(v[7]),
            reveal_end=int(v[8]),
            committed=list(v[9]),
            revealed=list(v[10]),
            result_hashes=[bytes(h) for h in v[11]],
            phase=int(v[12]),
            result_hash=bytes(v[13]),
        )

    async def agent_of_signer(self, signer: str) -> str:
        return to_checksum_address(await self.call("AgentStaking", "agentOfSigner", signer))

    async def model_active(self, model_id: bytes) -> bool:
        return bool(await self.call("ModelRegistry", "isActive", model_id))

    async def claimable(self, account: str) -> int:
        return int(await self.call("TaskMarket", "claimable", account))

    async def balance(self, account: str) -> int:
        return int(await self.rpc.call("eth_getBalance", [account, "latest"]), 16)
