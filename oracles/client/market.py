"""The requester's reads and writes of the protocol contracts, by their pinned names.

Names PROTOCOL.md pins are used (``createTask``, ``activate``, ``finalize``,
``withdraw``, ``claimable``, ``taskPhase``, ``committeeOf``, ``min_fee_per_agent``,
``agentsForModel``, and the events ``TaskCreated``, ``Committed``, ``Revealed``,
``TaskFinalized``, ``ModelRegistered``), besides ``task_count`` and the windows of the
task view, which both contract versions have. Events and the view are decoded by name
with the deployment record's ABI, so the client follows the contracts through changes
of their fields and internals.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog

from oracles.chain.abi import DecodedEvent
from oracles.chain.contracts import Deployment
from oracles.chain.errors import ChainError, SimulationReverted
from oracles.chain.follower import Log
from oracles.chain.rpc import AsyncRpcClient
from oracles.chain.sender import TxSender
from oracles.client.errors import NoAccount, Reverted
from oracles.protocol import Phase

log = structlog.get_logger("agentnet.client")


def topic(value: int | bytes) -> str:
    """A uint256 or bytes32 as a log topic filter (``0x`` hex of 32 bytes)."""
    raw = value.to_bytes(32, "big") if isinstance(value, int) else value.rjust(32, b"\0")
    return "0x" + raw.hex()


@dataclass(frozen=True)
class RegisteredModel:
    """One ``ModelRegistered`` event: the model id, its kind code and its block."""

    model_id: bytes
    kind: int
    block: int


class Market:
    """Calls and logs of one deployment, through one RPC client and (optionally) one key."""

    def __init__(
        self, rpc: AsyncRpcClient, deployment: Deployment, sender: TxSender | None
    ) -> None:
        self.rpc = rpc
        self.deployment = deployment
        self.sender = sender

    # --- reads ------------------------------------------------------------------------
    async def read(self, contract: str, function: str, *args: Any) -> Any:
        """``eth_call`` of a view at the latest block."""
        return await self.deployment[contract].acall(self.rpc, function, *args)

    async def phase(self, task_id: int) -> Phase:
        """``taskPhase``."""
        return Phase(int(await self.read("TaskMarket", "taskPhase", task_id)))

    async def min_fee_per_agent(self) -> int:
        return int(await self.read("TaskMarket", "min_fee_per_agent"))

    async def eligible_agents(self, model_id: bytes) -> int:
        """How many agents are eligible for a model now (``agentsForModel``)."""
        return len(await self.read("AgentStaking", "agentsForModel", model_id))

    async def claimable(self, account: str) -> int:
        return int(await self.read("TaskMarket", "claimable", account))

    async def task_count(self) -> int:
        """How many tasks were posted (their ids run from 1 to it): ``task_count``."""
        return int(await self.read("TaskMarket", "task_count"))

    async def committee(self, task_id: int) -> list[str]:
        """``committeeOf``: one agent per seat, in seat order; empty before activation."""
        return [str(a) for a in await self.read("TaskMarket", "committeeOf", task_id)]

    async def task_windows(self, task_id: int) -> tuple[int, int] | None:
        """``(commit_end, reveal_end)`` of a started task; ``None`` before it starts.

        Read from the task view (``getTask``) by its fields' names, which both
        contract versions share; its layout is not pinned. ``None`` as well where the
        deployment's view has no such fields.
        """
        market = self.deployment["TaskMarket"]
        view = next((i for i in market.abi if i.get("name") == "getTask"), None)
        if view is None or len(view.get("outputs", [])) != 1:
            return None
        names = [str(c.get("name")) for c in view["outputs"][0].get("components", [])]
        if not {"commit_end", "reveal_end"} <= set(names):
            return None
        fields = dict(zip(names, await self.read("TaskMarket", "getTask", task_id), strict=True))
        if not fields["commit_end"]:
            return None
        return int(fields["commit_end"]), int(fields["reveal_end"])

    async def events(
        self, contract: str, event: str, *indexed: str | None, from_block: int | None = None
    ) -> list[DecodedEvent]:
        """Decoded ``event`` logs of ``contract``, filtered by indexed topics, up to latest."""
        c = self.deployment[contract]
        start = self.deployment.block if from_block is None else from_block
        raw = await self.rpc.get_logs(
            {
                "address": c.address,
                "fromBlock": hex(start),
                "toBlock": "latest",
                "topics": [c.topic(event), *indexed],
            }
        )
        decoded = (c.decode_log(Log.from_rpc(entry)) for entry in raw)
        return [e for e in decoded if e is not None]

    async def task_event(
        self, event: str, task_id: int, from_block: int | None = None
    ) -> DecodedEvent | None:
        """The last ``event`` (``TaskCreated``, ``TaskFinalized``) of a task, if any."""
        found = await self.events("TaskMarket", event, topic(task_id), from_block=from_block)
        return found[-1] if found else None

    async def registered_models(self) -> list[RegisteredModel]:
        """Every ``ModelRegistered`` event, oldest first (a correction re-registers)."""
        return [
            RegisteredModel(bytes(e.args["model_id"]), int(e.args["kind"]), e.log.block_number)
            for e in await self.events("ModelRegistry", "ModelRegistered")
        ]

    async def model_usable(self, model_id: bytes) -> bool:
        """Not deprecated, where the registry has an ``isActive`` view (else assumed)."""
        registry = self.deployment["ModelRegistry"]
        if not any(i.get("name") == "isActive" for i in registry.abi):
            return True
        return bool(await registry.acall(self.rpc, "isActive", model_id))

    # --- writes -----------------------------------------------------------------------
    def _sender(self) -> TxSender:
        if self.sender is None:
            raise NoAccount(
                "this client has no account: pass account= or use Client.from_keystore()"
            )
        return self.sender

    async def send(self, function: str, *args: Any, value: int = 0) -> dict[str, Any]:
        """Simulate, send and wait for a TaskMarket call; a revert raises :class:`Reverted`."""
        sender = self._sender()
        market = self.deployment["TaskMarket"]
        try:
            return await sender.send(market.address, market.encode(function, *args), value)
        except SimulationReverted as exc:
            raise Reverted(function, exc.reason, exc.data) from None

    async def nudge(self, function: str, *args: Any) -> bool:
        """Send a TaskMarket call only if its simulation passes; ``True`` if it was mined.

        For calls anyone may make to move a task along (``activate``, ``finalize``):
        a revert or a lost race (someone else sent it first) is not an error.
        """
        if self.sender is None:
            return False
        try:
            await self.send(function, *args)
        except (Reverted, ChainError) as exc:
            log.debug("client.nudge_skipped", function=function, reason=str(exc))
            return False
        log.info("client.nudged", function=function, args=[str(a) for a in args])
        return True
