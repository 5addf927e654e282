"""Typed reads of the protocol contracts over JSON-RPC (``eth_call``).

:class:`ChainReads` is what the rest of the worker may ask the chain; :class:`ChainView`
answers it through :meth:`oracles.chain.contracts.Contract.acall`. Reads are made at
``latest``, except :meth:`ChainView.preview_committee`, made at ``pending``: a draw
block mined in the latest block can seat a committee only from the next block on
(``block.number > draw_block``), which is the block our commit will land in. Struct
views (``getTask``, ``agentInfo``) are decoded by their ABI field names, so a field
added or moved in a view does not shift the others.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Protocol

from eth_utils.address import to_checksum_address

from oracles.chain.contracts import Contract, Deployment
from oracles.chain.rpc import AsyncRpcClient


class Phase(IntEnum):
    """``TaskMarket.taskPhase``."""

    UNKNOWN = 0
    WAITING = 1  # for its draw block or its parents
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
    """``TaskMarket.memberState`` of one agent in one task (``seats`` 0: not seated)."""

    seats: int
    committed: bool
    revealed: bool
    result_hash: bytes

    @property
    def member(self) -> bool:
        return self.seats > 0


@dataclass(frozen=True)
class Member:
    """One member of a seated task (``getTask().members``), in member order."""

    agent: str
    seats: int
    committed: bool
    revealed: bool
    result_hash: bytes


@dataclass(frozen=True)
class TaskView:
    """``TaskMarket.getTask``: what the worker decides with."""

    model_id: bytes
    committee_size: int
    quorum: int
    parents: list[int]
    draw_block: int  # of a waiting task: accounts for the parents finalized so far
    members: list[Member]  # empty before the task is seated
    commit_end: int
    reveal_end: int
    phase: Phase

    def tally(self) -> dict[bytes, int]:
        """Revealed result hash -> seats that revealed it."""
        counts: Counter[bytes] = Counter()
        for member in self.members:
            if member.revealed:
                counts[member.result_hash] += member.seats
        return dict(counts)

    def winner(self) -> tuple[bytes | None, int]:
        """The hash with the most seats and its seats (``None`` when nobody revealed)."""
        tally = self.tally()
        if not tally:
            return None, 0
        best = max(tally, key=lambda h: tally[h])
        return best, tally[best]


@dataclass(frozen=True)
class Head:
    """The latest block."""

    number: int
    timestamp: int


@dataclass(frozen=True)
class AgentWeights:
    """An agent's weight as its stake gives it now, and as the draw trees hold it."""

    registered: bool
    stake_weight: int  # AgentStaking.agentInfo().weight
    tree_weights: dict[bytes, int]  # model -> weightOf(agent, model), for the models asked

    @property
    def stale(self) -> bool:
        """Whether a ``poke`` would change a weight the draws read."""
        return self.registered and any(w != self.stake_weight for w in self.tree_weights.values())


class ChainReads(Protocol):
    """The chain reads the worker makes (a test may answer them from memory)."""

    async def phase(self, task_id: int, pending: bool = False) -> Phase: ...

    async def member_state(self, task_id: int, agent: str) -> MemberState: ...

    async def task(self, task_id: int) -> TaskView: ...

    async def preview_committee(self, task_id: int) -> list[str]: ...

    async def grace_period(self) -> int: ...

    async def agent_weights(self, agent: str, models: Collection[bytes]) -> AgentWeights: ...

    async def accepted_hash(self, task_id: int) -> bytes: ...

    async def deferred_until(self, task_id: int, agent: str) -> int: ...

    async def agent_of_signer(self, signer: str) -> str: ...

    async def model_active(self, model_id: bytes) -> bool: ...

    async def claimable(self, account: str) -> int: ...

    async def balance(self, account: str) -> int: ...

    async def latest(self) -> Head: ...


def named_fields(contract: Contract, function: str, value: Any) -> dict[str, Any]:
    """A struct returned by ``function`` (its only output) as a dict by field name."""
    abi = next(i for i in contract.abi if i.get("type") == "function" and i.get("name") == function)
    components = abi["outputs"][0]["components"]
    return _by_name(components, value)


def _by_name(components: list[dict[str, Any]], value: Any) -> dict[str, Any]:
    return {str(c["name"]): v for c, v in zip(components, value, strict=True)}


def _member_components(contract: Contract) -> list[dict[str, Any]]:
    abi = next(i for i in contract.abi if i.get("name") == "getTask")
    fields = abi["outputs"][0]["components"]
    return list(next(f for f in fields if f["name"] == "members")["components"])


class ChainView:
    """Reads of ModelRegistry, AgentStaking and TaskMarket (a :class:`ChainReads`)."""

    def __init__(self, rpc: AsyncRpcClient, deployment: Deployment) -> None:
        self.rpc = rpc
        self.deployment = deployment
        self._grace: int | None = None

    async def _call(
        self, contract_name: str, function: str, *args: object, block: str = "latest"
    ) -> Any:
        return await self.deployment[contract_name].acall(self.rpc, function, *args, block=block)

    async def phase(self, task_id: int, pending: bool = False) -> Phase:
        """``taskPhase`` at ``latest``, or as the next block will see it (``pending``)."""
        block = "pending" if pending else "latest"
        return Phase(int(await self._call("TaskMarket", "taskPhase", task_id, block=block)))

    async def member_state(self, task_id: int, agent: str) -> MemberState:
        seats, committed, revealed, result_hash = await self._call(
            "TaskMarket", "memberState", task_id, agent
        )
        return MemberState(int(seats), bool(committed), bool(revealed), bytes(result_hash))

    async def task(self, task_id: int) -> TaskView:
        market = self.deployment["TaskMarket"]
        fields = named_fields(market, "getTask", await self._call("TaskMarket", "getTask", task_id))
        components = _member_components(market)
        members = []
        for raw in fields["members"]:
            m = _by_name(components, raw)
            members.append(
                Member(
                    agent=to_checksum_address(m["agent"]),
                    seats=int(m["seats"]),
                    committed=bool(m["committed"]),
                    revealed=bool(m["revealed"]),
                    result_hash=bytes(m["result_hash"]),
                )
            )
        return TaskView(
            model_id=bytes(fields["model_id"]),
            committee_size=int(fields["committee_size"]),
            quorum=int(fields["quorum"]),
            parents=[int(p) for p in fields["parents"]],
            draw_block=int(fields["draw_block"]),
            members=members,
            commit_end=int(fields["commit_end"]),
            reveal_end=int(fields["reveal_end"]),
            phase=Phase(int(fields["phase"])),
        )

    async def preview_committee(self, task_id: int) -> list[str]:
        """``previewCommittee`` as the next block will see it (one agent per seat)."""
        seats = await self._call("TaskMarket", "previewCommittee", task_id, block="pending")
        return [to_checksum_address(a) for a in seats]

    async def grace_period(self) -> int:
        """``TaskMarket.grace_period()`` (fixed at deployment: read once)."""
        if self._grace is None:
            self._grace = int(await self._call("TaskMarket", "grace_period"))
        return self._grace

    async def agent_weights(self, agent: str, models: Collection[bytes]) -> AgentWeights:
        """The agent's weight from its stake and in the trees of ``models`` it lists."""
        staking = self.deployment["AgentStaking"]
        info = named_fields(
            staking, "agentInfo", await self._call("AgentStaking", "agentInfo", agent)
        )
        listed = [bytes(m) for m in info["models"] if bytes(m) in models]
        trees = {m: int(await self._call("AgentStaking", "weightOf", agent, m)) for m in listed}
        return AgentWeights(int(info["status"]) != 0, int(info["weight"]), trees)

    async def accepted_hash(self, task_id: int) -> bytes:
        """The result hash the task was finalized with (zero bytes without one)."""
        _, result_hash = await self._call("TaskMarket", "taskResult", task_id)
        return bytes(result_hash)

    async def deferred_until(self, task_id: int, agent: str) -> int:
        """When the dispute window of the agent's deferred slash on the task ends
        (0: none deferred, or already proven or settled)."""
        return int(await self._call("TaskMarket", "deferredSlashUntil", task_id, agent))

    async def agent_of_signer(self, signer: str) -> str:
        return to_checksum_address(await self._call("AgentStaking", "agentOfSigner", signer))

    async def model_active(self, model_id: bytes) -> bool:
        return bool(await self._call("ModelRegistry", "isActive", model_id))

    async def claimable(self, account: str) -> int:
        return int(await self._call("TaskMarket", "claimable", account))

    async def balance(self, account: str) -> int:
        return int(await self.rpc.call("eth_getBalance", [account, "latest"]), 16)

    async def latest(self) -> Head:
        block = await self.rpc.get_block("latest")
        if block is None:
            return Head(await self.rpc.block_number(), 0)
        return Head(int(block["number"], 16), int(block["timestamp"], 16))
