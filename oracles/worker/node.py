"""The worker node: its parts wired together and the loops that run them.

The decisions are the reconcile pass's (:mod:`~oracles.worker.reconcile`), run every
``poll_interval`` and whenever the follower delivers logs, a send is mined or a model
has loaded. The models load in the background (:mod:`~oracles.worker.models`): the
worker follows the chain, and sends, from its first second.

Every long-lived part (log follower, reconcile loop, model loading, gauges, reward
claims, and each transaction being sent) runs in one :class:`asyncio.TaskGroup`: the first
unexpected error is logged as ``worker.failed`` and stops the whole worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time

import structlog
from eth_account.signers.local import LocalAccount

from oracles.chain.contracts import Contract
from oracles.chain.errors import ChainError
from oracles.chain.follower import LogFollower, open_db
from oracles.chain.rpc import AsyncRpcClient
from oracles.chain.sender import TxSender
from oracles.cli_common import load_deployment
from oracles.engine.compare import AgreementRule
from oracles.errors import AgentnetError
from oracles.worker.chainview import ChainReads, ChainView
from oracles.worker.inference import Inference
from oracles.worker.intake import Intake
from oracles.worker.models import Models
from oracles.worker.pokes import Pokes
from oracles.worker.reconcile import Reconciler
from oracles.worker.rewards import RewardClaimer
from oracles.worker.seating import Seating
from oracles.worker.settings import NodeSettings
from oracles.worker.settlement import Settlement
from oracles.worker.store import TaskStore
from oracles.worker.submission import Submitter
from oracles.worker.telemetry import HealthServer, WorkerMetrics

log = structlog.get_logger("agentnet.worker")

GAUGES_INTERVAL = 5.0
NONCES_INTERVAL = 1.0
CLAIMS_INTERVAL = 5.0


class WorkerError(AgentnetError):
    """The worker cannot start or go on (bad setup, not an agent, model mismatch)."""


class Worker:
    """One agent's worker: a signer key, its models (loading, then loaded), one SQLite file."""

    def __init__(
        self,
        settings: NodeSettings,
        signer: LocalAccount,
        models: Models,
        owner: LocalAccount | None = None,
    ) -> None:
        self.settings = settings
        self.signer = signer
        self.owner = owner
        self.models = models
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
            staking = deployment["AgentStaking"]
            self.agent = await self._check_identity(view)
            conn = open_db(settings.db)
            store = self._store = TaskStore(conn)
            submitter = Submitter(
                rpc,
                self.signer,
                self.agent,
                self.chain_id,
                market,
                staking,
                store,
                self.metrics,
                settings,
                on_mined=self._wake.set,
            )
            intake = Intake(
                store,
                market,
                staking,
                self.agent,
                self.models.ids,
                self.metrics,
                on_news=self._wake.set,
                on_reorg=submitter.after_reorg,
            )
            backoff = settings.finalize_backoff
            reconciler = Reconciler(
                self.agent,
                view,
                store,
                Inference(self.models.engines, store, self.metrics, settings.max_batch),
                submitter,
                Seating(view, store, self.metrics, self.agent),
                Settlement(view, store, self.metrics, self.agent, backoff, rule_of=self._rule_of),
                Pokes(view, store, self.agent, self.models.ids, backoff),
            )
            follower = self._follower = LogFollower(
                rpc,
                conn,
                name="worker",
                addresses=[market.address, staking.address],
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
                models=sorted("0x" + m.hex() for m in self.models.ids),
                loaded=sorted("0x" + m.hex() for m in self.models.engines),
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
                reconciler.bind(group)
                group.create_task(self.models.run(self._model_loaded))
                group.create_task(follower.run(stop))
                group.create_task(self._reconcile_loop(stop, reconciler))
                group.create_task(self._gauges_loop(stop, view))
                group.create_task(self._nonces_loop(stop, submitter))
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
        """Our agent, once the chain says the signer is bound to one and every model is
        registered and active (the ids the packages declare: their files are checked
        against them while they load)."""
        ids = self.models.ids
        agent, active = await asyncio.gather(
            view.agent_of_signer(self.signer.address),
            asyncio.gather(*(view.model_active(m) for m in ids)),
        )
        if int(agent, 16) == 0:
            raise WorkerError(
                f"signer {self.signer.address} is not bound to any agent; "
                "register with `agentnet agent register` first"
            )
        for model_id, is_active in zip(ids, active, strict=True):
            if not is_active:
                raise WorkerError(
                    f"model 0x{model_id.hex()} is not registered or is deprecated on chain"
                )
        return agent

    def _model_loaded(self, model_id: bytes, seconds: float) -> None:
        """A model is in: its waiting tasks can be computed now."""
        self.metrics.model_load_seconds.labels("0x" + model_id[:4].hex()).set(seconds)
        self._wake.set()

    def _rule_of(self, model_id: bytes) -> AgreementRule | None:
        """The agreement rule of a loaded model's package (for proofs of agreement)."""
        rule = getattr(self.models.engines.get(model_id), "rule", None)
        return rule if isinstance(rule, AgreementRule) else None

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
            "ready": self.models.ready,
            "models": self.models.health(),
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

    @staticmethod
    async def _nonces_loop(stop: asyncio.Event, submitter: Submitter) -> None:
        """Every second, a look for a transaction of ours stuck behind a nonce gap."""
        while not stop.is_set():
            try:
                await submitter.check_nonce_gap()
            except ChainError as exc:
                log.warning("worker.nonce_check_failed", error=str(exc))
            await _wait(stop, NONCES_INTERVAL)

    async def _gauges_loop(self, stop: asyncio.Event, view: ChainReads) -> None:
        """Chain lag, signer balance and claimable rewards, every few seconds."""
        while not stop.is_set():
            try:
                self._head = (await view.latest()).number
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
