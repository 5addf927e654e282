"""A posted task: its phase, what it is and who serves it, waiting for it to end, its output.

Waiting polls ``taskPhase`` every ``poll_interval`` seconds (an ``asyncio.sleep``, never
a busy loop) until the task is finalized, then reads the output from its
``TaskFinalized`` event. A task that sits ``help_after`` seconds in a phase where
anyone may move it along is moved by the waiting client itself, when it has a key and
the call's simulation passes: ``activate`` for a task whose draw block and parents
are done but that no worker activated, ``finalize(task_id, b"")`` for a task whose
windows are over without a quorum that nobody settled (the fee comes back to the
requester). So a wait ends with the result, :class:`TaskFailed`, or the timeout.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from oracles.chain.abi import DecodedEvent
from oracles.client.errors import TaskFailed, TaskNotFinished, TaskTimeout, UnknownTask
from oracles.client.info import Committee, TaskInfo
from oracles.client.market import Market, topic
from oracles.protocol import FinalStatus, Phase


@dataclass(frozen=True)
class WaitPolicy:
    """How a client waits: default ``timeout`` (``None``: no limit), poll interval, help."""

    timeout: float | None = 300.0
    poll_interval: float = 1.0
    help_after: float | None = 30.0

    def __post_init__(self) -> None:
        if self.poll_interval <= 0:
            raise ValueError("poll_interval must be positive")
        if self.timeout is not None and self.timeout < 0:
            raise ValueError("timeout must be positive or None")


class AsyncTaskHandle:
    """One task on chain, as its requester (or anyone) sees it; see the module docstring."""

    def __init__(
        self,
        market: Market,
        task_id: int,
        policy: WaitPolicy,
        created: DecodedEvent | None = None,
    ) -> None:
        self._market = market
        self.task_id = task_id
        self._policy = policy
        self._created = created  # its TaskCreated event, once known
        self._final: DecodedEvent | None = None

    def __repr__(self) -> str:
        return f"AsyncTaskHandle(task_id={self.task_id})"

    async def status(self) -> Phase:
        """The task's phase now (``Phase.SUCCEEDED`` / ``Phase.FAILED`` once finalized)."""
        if self._final is not None:
            status = int(self._final.args["status"])
            return Phase.SUCCEEDED if status == FinalStatus.SUCCEEDED else Phase.FAILED
        return await self._market.phase(self.task_id)

    async def _created_event(self) -> DecodedEvent:
        if self._created is None:
            created = await self._market.task_event("TaskCreated", self.task_id)
            if created is None:
                raise UnknownTask(f"task {self.task_id} has no TaskCreated event on this chain")
            self._created = created
        return self._created

    async def parents(self) -> tuple[int, ...]:
        """The task's parents, from its ``TaskCreated`` event."""
        return tuple(int(p) for p in (await self._created_event()).args["parents"])

    async def info(self) -> TaskInfo:
        """What the task is (requester, model, fee, quorum, input, ...) and its phase now."""
        return TaskInfo.from_event(await self._created_event(), await self.status())

    async def committee(self) -> Committee:
        """Its members in seat order, who committed and revealed what, and its windows.

        Empty before the committee is seated (a task waiting for its parents or its
        draw block).
        """
        since = (await self._created_event()).log.block_number
        seats = await self._market.committee(self.task_id)
        commits, reveals = await asyncio.gather(
            self._market.events("TaskMarket", "Committed", topic(self.task_id), from_block=since),
            self._market.events("TaskMarket", "Revealed", topic(self.task_id), from_block=since),
        )
        windows = await self._market.task_windows(self.task_id) if seats else None
        return Committee.from_chain(seats, commits, reveals, windows)

    async def output(self) -> bytes:
        """The finalized output bytes; :class:`TaskFailed` if the task failed.

        Raises :class:`TaskNotFinished` while the task is still open.
        """
        if self._final is None:
            phase = await self._market.phase(self.task_id)
            if phase == Phase.UNKNOWN:
                raise UnknownTask(f"task {self.task_id} does not exist on this chain")
            if not phase.final:
                raise TaskNotFinished(self.task_id, phase.label)
            since = (await self._created_event()).log.block_number
            final = await self._market.task_event("TaskFinalized", self.task_id, since)
            if final is None:  # the node's logs lag its state by a moment
                raise TaskNotFinished(self.task_id, "finalizing")
            self._final = final
        if int(self._final.args["status"]) != FinalStatus.SUCCEEDED:
            raise TaskFailed(self.task_id, await self._failed_parents())
        return bytes(self._final.args["output"])

    async def _failed_parents(self) -> list[int]:
        failed = []
        for parent in await self.parents():
            if await self._market.phase(parent) == Phase.FAILED:
                failed.append(parent)
        return failed

    async def wait(
        self,
        timeout: float | None = None,  # noqa: ASYNC109 (PROTOCOL.md pins wait(timeout=None))
    ) -> bytes:
        """Wait until the task is finalized and return its output bytes.

        ``timeout`` in seconds (default: the client's); past it, :class:`TaskTimeout`
        (a ``TimeoutError``) is raised and the task goes on. A failed task raises
        :class:`TaskFailed`.
        """
        limit = self._policy.timeout if timeout is None else timeout
        last = [Phase.UNKNOWN]
        deadline = asyncio.timeout(limit)
        try:
            async with deadline:
                return await self._wait(last)
        except TimeoutError:
            if limit is None or not deadline.expired():
                raise
            raise TaskTimeout(self.task_id, limit, last[0].label) from None

    async def _wait(self, last: list[Phase]) -> bytes:
        since = time.monotonic()
        while True:
            phase = await self.status()
            if phase == Phase.UNKNOWN:
                raise UnknownTask(f"task {self.task_id} does not exist on this chain")
            if phase.final:
                try:
                    return await self.output()
                except TaskNotFinished:
                    pass  # the event is not indexed yet: look again next poll
            if phase != last[0]:
                last[0], since = phase, time.monotonic()
            elif self._stalled(since):
                await self._help(phase)
                since = time.monotonic()
            await asyncio.sleep(self._policy.poll_interval)

    def _stalled(self, since: float) -> bool:
        help_after = self._policy.help_after
        return help_after is not None and time.monotonic() - since >= help_after

    async def _help(self, phase: Phase) -> None:
        if phase == Phase.WAITING:
            await self._market.nudge("activate", self.task_id)
        elif phase == Phase.READY:
            await self._market.nudge("finalize", self.task_id, b"")
