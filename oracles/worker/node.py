"""The worker node: its parts wired together, the loops that run them, the reconcile pass.

Level-triggered by design. Events only tell the worker that a task exists or
moved; what to do next is decided from the chain's current state (``taskPhase``,
``memberState``, ``getTask``) and the local row, every poll and on every event:

* no output yet -> run the engine (tasks that are due together form one batch),
  then persist output and a fresh salt *before* anything is sent;
* commit phase, not committed on chain -> commit (``commitBatch`` signed by our
  signer when several are due at once);
* reveal phase, committed, not revealed -> reveal (``revealBatch`` likewise);
* ready to finalize, our result won -> ``finalize`` with our output (the first
  agreeing member at once, the others after a back-off, only if still needed);
* waiting for parents that are all finalized -> ``activate``.

So a worker killed at any point, or one whose commit was dropped by a reorg,
simply does the next right thing when it looks again, with the same salt; and it
never sends a second commit or reveal, because the chain says it was done (and
the contract would refuse it anyway).

Every long-lived part (log follower, reconcile loop, gauges, reward claims, and
each transaction being sent) runs in one :class:`asyncio.TaskGroup`: the first
unexpected error is logged as ``worker.failed`` and stops the whole worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import Callable, Mapping

import structlog
from eth_account.signers.local import LocalAccount

from oracles.chain.contracts import Contract
from oracles.chain.errors import ChainError
from oracles.chain.follower import LogFollower, open_db
from oracles.chain.rpc import AsyncRpcClient
from oracles.chain.sender import TxSender
from oracles.cli_common import load_deployment
from oracles.errors import AgentnetError
from oracles.worker.chainview import ChainReads, ChainView, MemberState, Phase
from oracles.worker.inference import Inference, Runner
from oracles.worker.intake import Intake
from oracles.worker.rewards import RewardClaimer
from oracles.worker.settings import NodeSettings
from oracles.worker.settlement import Settlement
from oracles.worker.store import TaskRow, TaskStore
from oracles.worker.submission import Submissions, Submitter
from oracles.worker.telemetry import HealthServer, WorkerMetrics

log = structlog.get_logger("agentnet.worker")

GAUGES_INTERVAL = 5.0
CLAIMS_INTERVAL = 5.0


class WorkerError(AgentnetError):
    """The worker cannot start or go on (bad setup, not an agent, model mismatch)."""


class Reconciler:
    """One look at every open task: read the chain, decide, hand the work on."""

    def __init__(
        self,
        agent: str,
        view: ChainReads,
        store: TaskStore,
        inference: Inference,
        submissions: Submissions,
        settlement: Settlement,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.agent = agent
        self.view = view
        self.store = store
        self.inference = inference
        self.submissions = submissions
        self.settlement = settlement
        self.clock = clock

    async def reconcile_once(self) -> None:
        """Read every open task's phase (concurrently), then act on each."""
        held = self.submissions.held(self.clock())
        rows = [r for r in self.store.open_tasks() if r.task_id not in held]
        phases = await asyncio.gather(*(self.view.phase(r.task_id) for r in rows))
        to_compute: list[TaskRow] = []
        submitted: list[tuple[TaskRow, Phase]] = []
        for row, phase in zip(rows, phases, strict=True):
            if phase.done:
                self.submissions.forget(row.task_id)
                await self.settlement.record_outcome(row, phase)
            elif phase == Phase.WAITING:
                if await self.settlement.parents_done(row):
                    self.submissions.activate(row)
            elif phase == Phase.READY and not row.member:
                if await self.settlement.abandoned(row):
                    self.submissions.finalize(row, b"")
            elif phase == Phase.UNKNOWN or not row.member:
                continue
            elif row.salt is None:
                to_compute.append(row)
            else:
                submitted.append((row, phase))
        states = await asyncio.gather(
            *(self.view.member_state(r.task_id, self.agent) for r, _ in submitted)
        )
        commits: list[TaskRow] = []
        reveals: list[TaskRow] = []
        for (row, phase), state in zip(submitted, states, strict=True):
            self._copy_chain_state(row, state)
            if phase == Phase.COMMIT and not state.committed:
                commits.append(row)
            elif phase == Phase.REVEAL and state.committed and not state.revealed:
                reveals.append(row)
            elif phase == Phase.READY:
                output = await self.settlement.finalize_output(row, state)
                if output is not None:
                    self.submissions.finalize(row, output)
        if to_compute:
            computed = await self.inference.compute(to_compute)
            # A task computed just now cannot have been committed (no salt existed):
            # commit it in this pass instead of waiting for the next look.
            phase_of = {r.task_id: p for r, p in zip(rows, phases, strict=True)}
            commits += [r for r in computed if phase_of.get(r.task_id) == Phase.COMMIT]
        if commits:
            self.submissions.commit(commits)
        if reveals:
            self.submissions.reveal(reveals)

    def _copy_chain_state(self, row: TaskRow, state: MemberState) -> None:
        """Keep the local state equal to what the chain says we did."""
        want = "revealed" if state.revealed else "committed" if state.committed else "computed"
        if want != row.state:
            if want == "computed" and row.state in ("committed", "revealed"):
                log.warning("worker.commit_lost", task_id=row.task_id, was=row.state)
            self.store.set_state(row.task_id, want)


class Worker:
    """One agent's worker: a signer key, some engines (by model id), one SQLite file."""

    def __init__(
        self,
        settings: NodeSettings,
        signer: LocalAccount,
        engines: Mapping[bytes, Runner],
        owner: LocalAccount | None = None,
    ) -> None:
        self.settings = settings
        self.signer = signer
        self.owner = owner
        self.engines = dict(engines)
        self.metrics = WorkerMetrics()
        self.agent = ""
        self.chain_id = 0
        self.health_port = 0
        self._wake = asyncio.Event()
        self._last_reconcile = 0.0
        self._head = 0
        self._store: TaskStore | None = None
        self._follower: LogFollower | None = None

    # --- lifecycle ----------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        """Run until ``stop`` is set; the first unexpected error stops everything."""
        settings = self.settings
        rpc = AsyncRpcClient(settings.rpc_urls, metrics=self.metrics.chain)
        conn: sqlite3.Connection | None = None
        health: HealthServer | None = None
        submitter: Submitter | None = None
        try:
            self.chain_id = await rpc.chain_id()
            deployment = load_deployment(settings.deployment, self.chain_id)
            view = ChainView(rpc, deployment)
            market = deployment["TaskMarket"]
            self.agent = await self._check_identity(view)
            conn = open_db(settings.db)
            store = self._store = TaskStore(conn)
            submitter = Submitter(
                rpc,
                self.signer,
                self.agent,
                self.chain_id,
                market,
                store,
                self.metrics,
                settings,
                on_mined=self._wake.set,
            )
            intake = Intake(
                store,
                market,
                self.agent,
                self.engines,
                self.metrics,
                on_news=self._wake.set,
                on_reorg=submitter.after_reorg,
            )
            reconciler = Reconciler(
                self.agent,
                view,
                store,
                Inference(self.engines, store, self.metrics, settings.max_batch),
                submitter,
                Settlement(view, store, self.metrics, self.agent, settings.finalize_backoff),
            )
            follower = self._follower = LogFollower(
                rpc,
                conn,
                name="worker",
                addresses=[market.address],
                on_logs=intake.on_logs,
                on_rollback=intake.on_rollback,
                start_block=deployment.block,
                confirmations=settings.confirmations,
                poll_interval=settings.poll_interval,
                table_prefix="worker_chain_",
            )
            claimer = self._reward_claimer(rpc, view, market)
            health = HealthServer(
                self.metrics, self._health, settings.metrics_host, settings.metrics_port
            )
            self.health_port = await health.start()
            log.info(
                "worker.started",
                agent=self.agent,
                signer=self.signer.address,
                models=sorted("0x" + m.hex() for m in self.engines),
                chain_id=self.chain_id,
                metrics=f"http://{settings.metrics_host}:{self.health_port}/metrics",
            )
            await self._supervise(stop, follower, reconciler, submitter, view, claimer)
        finally:
            if submitter is not None:
                submitter.close()
            if health is not None:
                await health.stop()
            await rpc.close()
            if conn is not None:
                conn.close()
            log.info("worker.stopped", agent=self.agent)

    async def _supervise(
        self,
        stop: asyncio.Event,
        follower: LogFollower,
        reconciler: Reconciler,
        submitter: Submitter,
        view: ChainReads,
        claimer: RewardClaimer | None,
    ) -> None:
        """Run every part in one task group; log and re-raise the first failure."""
        try:
            async with asyncio.TaskGroup() as group:
                submitter.bind(group)
                group.create_task(follower.run(stop))
                group.create_task(self._reconcile_loop(stop, reconciler))
                group.create_task(self._gauges_loop(stop, view))
                if claimer is not None:
                    group.create_task(self._claims_loop(stop, claimer))
                group.create_task(self._close_on_stop(stop, submitter))
        except BaseExceptionGroup as failed:
            errors = _leaves(failed)
            for error in errors:
                log.error("worker.failed", error=f"{type(error).__name__}: {error}")
            if len(errors) == 1:
                raise errors[0] from None
            raise

    @staticmethod
    async def _close_on_stop(stop: asyncio.Event, submitter: Submitter) -> None:
        """Once stopping, cancel the sends in flight instead of waiting for receipts."""
        await stop.wait()
        submitter.close()

    async def _check_identity(self, view: ChainReads) -> str:
        agent = await view.agent_of_signer(self.signer.address)
        if int(agent, 16) == 0:
            raise WorkerError(
                f"signer {self.signer.address} is not bound to any agent; "
                "register with `agentnet agent register` first"
            )
        for model_id in self.engines:
            if not await view.model_active(model_id):
                raise WorkerError(
                    f"model 0x{model_id.hex()} is not registered or is deprecated on chain"
                )
        return agent

    def _reward_claimer(
        self, rpc: AsyncRpcClient, view: ChainReads, market: Contract
    ) -> RewardClaimer | None:
        threshold = self.settings.claim_threshold
        if self.owner is None or threshold is None:
            return None
        return RewardClaimer(view, TxSender(rpc, self.owner), market, self.agent, threshold)

    def _health(self) -> dict[str, object]:
        age = time.time() - self._last_reconcile
        return {
            "ok": age < 30,
            "agent": self.agent,
            "chain_id": self.chain_id,
            "cursor": self._follower.cursor if self._follower else 0,
            "head": self._head,
            "last_reconcile_s": round(age, 3),
            "tasks": self._store.counts() if self._store else {},
        }

    # --- loops --------------------------------------------------------------------
    async def _reconcile_loop(self, stop: asyncio.Event, reconciler: Reconciler) -> None:
        while not stop.is_set():
            self._wake.clear()
            try:
                await reconciler.reconcile_once()
            except ChainError as exc:
                log.warning("worker.reconcile_failed", error=str(exc))
            self._last_reconcile = time.time()
            await _wait(self._wake, self.settings.poll_interval)

    async def _gauges_loop(self, stop: asyncio.Event, view: ChainReads) -> None:
        """Chain lag, signer balance and claimable rewards, every few seconds."""
        while not stop.is_set():
            try:
                self._head = await view.head()
                if self._follower is not None:
                    self.metrics.chain_lag.set(max(0, self._head - self._follower.cursor))
                self.metrics.balance.set(await view.balance(self.signer.address))
                self.metrics.claimable.set(await view.claimable(self.agent))
            except ChainError as exc:
                log.warning("worker.gauges_failed", error=str(exc))
            await _wait(stop, GAUGES_INTERVAL)

    @staticmethod
    async def _claims_loop(stop: asyncio.Event, claimer: RewardClaimer) -> None:
        while not stop.is_set():
            await claimer.claim_if_due()
            await _wait(stop, CLAIMS_INTERVAL)


async def _wait(event: asyncio.Event, seconds: float) -> None:
    """Until ``event`` is set or ``seconds`` passed (cancellation always goes through:
    Python 3.11's ``wait_for`` can swallow it when the event is set at that moment)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()


def _leaves(group: BaseExceptionGroup) -> list[BaseException]:
    """The exceptions in a (nested) exception group."""
    out: list[BaseException] = []
    for error in group.exceptions:
        out += _leaves(error) if isinstance(error, BaseExceptionGroup) else [error]
    return out
