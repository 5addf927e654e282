"""The worker node: follow events, reconcile each task with the chain, act.

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
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import structlog
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from oracles.chain.contracts import Deployment
from oracles.chain.errors import ChainError, TransactionError
from oracles.chain.follower import Log, LogFollower, open_db
from oracles.chain.rpc import AsyncRpcClient
from oracles.chain.sender import TxSender
from oracles.errors import AgentnetError
from oracles.protocol import commitment, sign_commit, sign_reveal
from oracles.worker import chainview as cv
from oracles.worker.compose import compose
from oracles.worker.store import TaskRow, TaskStore
from oracles.worker.telemetry import HealthServer, WorkerMetrics

log = structlog.get_logger("agentnet.worker")

# (action, task ids, when _send began) of the submission being broadcast.
_SUBMISSION: contextvars.ContextVar[tuple[str, list[int], float]] = contextvars.ContextVar(
    "submission"
)


class WorkerError(AgentnetError):
    """The worker cannot start or go on (bad setup, not an agent, model mismatch)."""


class Runner(Protocol):
    """What the worker needs from an engine: one batch of inputs to canonical outputs."""

    def run_batch(self, inputs: Sequence[bytes]) -> list[bytes]: ...


@dataclass
class WorkerSettings:
    rpc_urls: list[str]
    deployment: str
    db: str
    confirmations: int = 1
    poll_interval: float = 0.5
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 0
    batch_submissions: bool = True
    max_batch: int = 32
    finalize_backoff: float = 4.0
    claim_threshold: int | None = None
    dishonest: bool = False  # test-only: reveal a wrong output


class Worker:
    """One agent's worker: a signer key, some engines, one SQLite file."""

    def __init__(
        self,
        settings: WorkerSettings,
        signer: LocalAccount,
        engines: dict[str, Runner],
        owner: LocalAccount | None = None,
    ) -> None:
        self.settings = settings
        self.signer = signer
        self.owner = owner
        self.engines = {k.lower(): v for k, v in engines.items()}
        self.metrics = WorkerMetrics()
        self.agent = ""
        self.chain_id = 0
        self._wake = asyncio.Event()
        self._inflight: set[tuple[int, str]] = set()
        self._background: set[asyncio.Task[None]] = set()
        self._ready_since: dict[int, float] = {}
        self._retry_at: dict[int, float] = {}
        self._last_reconcile = 0.0
        self._head = 0
        self.health_port = 0
        self.follower: LogFollower | None = None

    # --- lifecycle ----------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        """Run until ``stop`` is set; the first unexpected error stops everything."""
        s = self.settings
        rpc = AsyncRpcClient(s.rpc_urls, metrics=self.metrics.chain)
        conn: sqlite3.Connection | None = None
        health: HealthServer | None = None
        try:
            deployment = Deployment.load(path=s.deployment)
            self.chain_id = await rpc.chain_id()
            if self.chain_id != deployment.chain_id:
                raise WorkerError(
                    f"RPC is chain {self.chain_id} but {s.deployment} is for chain "
                    f"{deployment.chain_id}"
                )
            self.view = cv.ChainView(rpc, deployment)
            self.market = deployment["TaskMarket"]
            await self._check_identity()
            conn = open_db(s.db)
            self.store = TaskStore(conn)
            self.sender = TxSender(rpc, self.signer, on_sent=self._on_sent)
            self.follower = LogFollower(
                rpc,
                conn,
                name="worker",
                addresses=[self.market.address],
                on_logs=self._on_logs,
                on_rollback=self._on_rollback,
                start_block=deployment.block,
                confirmations=s.confirmations,
                poll_interval=s.poll_interval,
                table_prefix="worker_chain_",
            )
            health = HealthServer(self.metrics, self._health, s.metrics_host, s.metrics_port)
            self.health_port = await health.start()
            log.info(
                "worker.started",
                agent=self.agent,
                signer=self.signer.address,
                models=sorted(self.engines),
                chain_id=self.chain_id,
                metrics=f"http://{s.metrics_host}:{self.health_port}/metrics",
            )
            async with asyncio.TaskGroup() as group:
                group.create_task(self._follow(stop))
                group.create_task(self._reconcile_loop(stop))
                group.create_task(self._gauges_loop(stop))
        finally:
            for task in list(self._background):
                task.cancel()
            if self._background:
                await asyncio.gather(*self._background, return_exceptions=True)
            if health is not None:
                await health.stop()
            await rpc.close()
            if conn is not None:
                conn.close()
            log.info("worker.stopped", agent=self.agent)

    async def _check_identity(self) -> None:
        agent = await self.view.agent_of_signer(self.signer.address)
        if int(agent, 16) == 0:
            raise WorkerError(
                f"signer {self.signer.address} is not bound to any agent; "
                "register with `agentnet agent register` first"
            )
        self.agent = agent
        for model_id in self.engines:
            if not await self.view.model_active(bytes.fromhex(model_id[2:])):
                raise WorkerError(f"model {model_id} is not registered or is deprecated on chain")

    async def _follow(self, stop: asyncio.Event) -> None:
        assert self.follower is not None
        await self.follower.run(stop)

    def _health(self) -> dict[str, Any]:
        age = time.time() - self._last_reconcile
        cursor = self.follower.cursor if self.follower else 0
        return {
            "ok": age < 30,
            "agent": self.agent,
            "chain_id": self.chain_id,
            "cursor": cursor,
            "head": self._head,
            "last_reconcile_s": round(age, 3),
            "tasks": self.store.counts() if hasattr(self, "store") else {},
        }

    # --- events -------------------------------------------------------------------
    def _on_logs(self, conn: sqlite3.Connection, logs: list[Log]) -> None:
        for raw in logs:
            event = self.market.decode_log(raw)
            if event is None:
                continue
            args = event.args
            if event.name == "TaskCreated":
                model_id = "0x" + bytes(args["model_id"]).hex()
                if model_id not in self.engines:
                    continue
                committee = [str(a) for a in args["committee"]]
                self.store.upsert_task(
                    task_id=int(args["task_id"]),
                    model_id=model_id,
                    task_input=bytes(args["input"]),
                    parents=[int(p) for p in args["parents"]],
                    committee=committee,
                    quorum=int(args["quorum"]),
                    member=self.agent in committee,
                    created_block=raw.block_number,
                )
                if self.agent in committee:
                    self.metrics.tasks.labels("seen").inc()
            elif event.name == "TaskActivated":
                committee = [str(a) for a in args["committee"]]
                self.store.set_committee(int(args["task_id"]), committee, self.agent in committee)
                if self.agent in committee:
                    self.metrics.tasks.labels("seen").inc()
            elif event.name == "TaskFinalized":
                self.store.record_final(
                    int(args["task_id"]),
                    int(args["status"]),
                    "0x" + bytes(args["result_hash"]).hex(),
                    bytes(args["output"]),
                    raw.block_number,
                )
        self._wake.set()

    def _on_rollback(self, conn: sqlite3.Connection, ancestor: int) -> None:
        log.warning("worker.reorg", ancestor=ancestor)
        self.store.rollback(ancestor)
        # A node that does not put a reorg's dropped transactions back in its pool
        # (anvil) leaves our later pending ones behind a nonce gap: their receipts never
        # come, and the task would be skipped while they are "in flight". Stop waiting
        # for them; the reconcile loop resubmits whatever the chain now lacks (same
        # output and salt), from the first nonce the chain has not mined.
        for task in list(self._background):
            task.cancel()
        self.sender.forget_pending()
        self._wake.set()

    # --- the reconcile loop -----------------------------------------------------------
    async def _reconcile_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self._wake.clear()
            try:
                await self.reconcile_once()
            except ChainError as exc:
                log.warning("worker.reconcile_failed", error=str(exc))
            self._last_reconcile = time.time()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.settings.poll_interval)

    async def reconcile_once(self) -> None:
        """One look at every open task: read the chain (concurrently), then act."""
        now = time.time()
        busy = {task_id for task_id, _ in self._inflight}
        rows = [
            r
            for r in self.store.active()
            if r.task_id not in busy and self._retry_at.get(r.task_id, 0.0) <= now
        ]
        phases = await asyncio.gather(*(self.view.phase(r.task_id) for r in rows))
        to_compute: list[TaskRow] = []
        submitted: list[tuple[TaskRow, int]] = []
        for row, phase in zip(rows, phases, strict=True):
            if phase in (cv.PHASE_SUCCEEDED, cv.PHASE_FAILED):
                await self._settle(row, phase)
            elif phase == cv.PHASE_WAITING:
                await self._maybe_activate(row)
            elif phase == cv.PHASE_READY and not row.member:
                await self._maybe_settle(row)
            elif phase == cv.PHASE_UNKNOWN or not row.member:
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
            self._mirror(row, state)
            if phase == cv.PHASE_COMMIT and not state.committed:
                commits.append(row)
            elif phase == cv.PHASE_REVEAL and state.committed and not state.revealed:
                reveals.append(row)
            elif phase == cv.PHASE_READY:
                await self._maybe_finalize(row, state)
        if to_compute:
            computed = await self._compute(to_compute)
            # A task computed just now cannot have been committed (no salt existed):
            # commit it in this pass instead of waiting for the next look.
            phase_of = {r.task_id: p for r, p in zip(rows, phases, strict=True)}
            commits += [r for r in computed if phase_of.get(r.task_id) == cv.PHASE_COMMIT]
        if commits:
            self._submit("commit", commits)
        if reveals:
            self._submit("reveal", reveals)

    def _mirror(self, row: TaskRow, state: cv.MemberState) -> None:
        """Keep the local state equal to what the chain says we did."""
        want = "revealed" if state.revealed else "committed" if state.committed else "computed"
        if want != row.state:
            if want == "computed" and row.state in ("committed", "revealed"):
                log.warning("worker.commit_lost", task_id=row.task_id, was=row.state)
            self.store.set_state(row.task_id, want)

    async def _settle(self, row: TaskRow, phase: int) -> None:
        done = "finalized" if phase == cv.PHASE_SUCCEEDED else "failed"
        self.store.set_state(row.task_id, done)
        self._ready_since.pop(row.task_id, None)
        self._retry_at.pop(row.task_id, None)
        if not row.member:
            return
        self.metrics.tasks.labels(done).inc()
        _, accepted = await self.view.call("TaskMarket", "taskResult", row.task_id)
        agreed = row.result_hash is not None and "0x" + bytes(accepted).hex() == row.result_hash
        log.info(
            "task.done",
            task_id=row.task_id,
            status=done,
            agreed=agreed,
            commit_tx=row.commit_tx,
            reveal_tx=row.reveal_tx,
            finalize_tx=row.finalize_tx,
            inference_ms=row.inference_ms,
            total_s=round(time.time() - row.seen_at, 3),
        )

    # --- inference ---------------------------------------------------------------------
    async def _compute(self, rows: list[TaskRow]) -> list[TaskRow]:
        """Run the engine over the rows whose inputs are complete; return those computed."""
        done: list[TaskRow] = []
        by_model: dict[str, list[tuple[TaskRow, bytes]]] = {}
        for row in rows:
            parent_outputs: list[bytes] = []
            for parent in row.parents:
                final = self.store.final(parent)
                if final is None:
                    break  # the follower has not delivered it yet
                parent_outputs.append(final[1])
            else:
                data = compose(row.input, parent_outputs)
                by_model.setdefault(row.model_id, []).append((row, data))
        for model_id, items in by_model.items():
            for start in range(0, len(items), self.settings.max_batch):
                chunk = items[start : start + self.settings.max_batch]
                began = time.perf_counter()
                outputs = await asyncio.to_thread(
                    self.engines[model_id].run_batch, [data for _, data in chunk]
                )
                elapsed = time.perf_counter() - began
                self.metrics.inference_seconds.labels(model_id[:10]).observe(elapsed)
                for (row, _), output in zip(chunk, outputs, strict=True):
                    if self.settings.dishonest:
                        output = b'{"error":"dishonest"}' if output[:1] == b"{" else b"{}"
                    self.store.save_output(
                        row.task_id,
                        output,
                        "0x" + keccak(output).hex(),
                        os.urandom(32).hex(),
                        elapsed * 1000 / len(chunk),
                    )
                    self.metrics.tasks.labels("computed").inc()
                    done.append(row)
                    log.info(
                        "task.computed",
                        task_id=row.task_id,
                        batch=len(chunk),
                        inference_ms=round(elapsed * 1000, 2),
                    )
        return done

    # --- submissions ------------------------------------------------------------------
    def _submit(self, action: str, rows: list[TaskRow]) -> None:
        rows = [self.store.get(r.task_id) or r for r in rows]
        batched = self.settings.batch_submissions and len(rows) > 1
        for start in range(0, len(rows), self.settings.max_batch if batched else 1):
            chunk = rows[start : start + (self.settings.max_batch if batched else 1)]
            data = self._calldata(action, chunk, batched)
            for row in chunk:
                self._inflight.add((row.task_id, action))
            self._spawn(self._send(action, chunk, data))

    def _calldata(self, action: str, rows: list[TaskRow], batched: bool) -> bytes:
        m = self.market
        items = []
        for row in rows:
            assert row.output is not None and row.salt is not None and row.result_hash
            rh = bytes.fromhex(row.result_hash[2:])
            salt = bytes.fromhex(row.salt)
            items.append((row.task_id, rh, salt, commitment(row.task_id, self.agent, rh, salt)))
        if not batched:
            task_id, rh, salt, c = items[0]
            if action == "commit":
                return m.encode("commit", task_id, c)
            return m.encode("reveal", task_id, rh, salt)
        ids = [i[0] for i in items]
        agents = [self.agent] * len(items)
        if action == "commit":
            sigs = [
                sign_commit(self.signer, self.chain_id, m.address, t, self.agent, c)
                for t, _, _, c in items
            ]
            return m.encode("commitBatch", ids, agents, [i[3] for i in items], sigs)
        sigs = [
            sign_reveal(self.signer, self.chain_id, m.address, t, self.agent, rh, salt)
            for t, rh, salt, _ in items
        ]
        return m.encode(
            "revealBatch", ids, agents, [i[1] for i in items], [i[2] for i in items], sigs
        )

    def _on_sent(self, sent: Any) -> None:
        """Called by the sender right after a broadcast: record when, for the overhead."""
        action, ids, began = _SUBMISSION.get(("", [], 0.0))
        if action != "commit" or sent.attempt != 0:
            return
        now = time.time()
        for task_id in ids:
            row = self.store.get(task_id)
            if row is None:
                continue
            self.store.set_sent(task_id, now)
            overhead = max(0.0, now - row.seen_at - (row.inference_ms or 0) / 1000)
            self.metrics.overhead_seconds.observe(overhead)
            log.debug(
                "worker.commit_sent",
                task_id=task_id,
                overhead_ms=round(overhead * 1000, 2),
                sender_ms=round((now - began) * 1000, 2),
            )

    async def _send(self, action: str, rows: list[TaskRow], data: bytes) -> None:
        ids = [r.task_id for r in rows]
        _SUBMISSION.set((action, ids, time.time()))
        try:
            receipt = await self.sender.send(self.market.address, data)
        except (TransactionError, ChainError) as exc:
            # Typically a window closed between our read and the next block. Look again
            # after a block, not at once: a failing submission must not become a busy loop.
            self.metrics.tx.labels(action, "failed").inc()
            name = "worker.tx_failed" if isinstance(exc, TransactionError) else "worker.tx_error"
            log.warning(name, action=action, task_ids=ids, error=str(exc))
            retry_at = time.time() + max(1.0, 2 * self.settings.poll_interval)
            for task_id in ids:
                self._retry_at[task_id] = retry_at
            return
        finally:
            for task_id in ids:
                self._inflight.discard((task_id, action))
        self._wake.set()
        tx_hash = receipt["transactionHash"]
        self.metrics.tx.labels(action, "sent").inc()
        for task_id in ids:
            if action == "commit":
                self.store.set_tx(task_id, "commit_tx", tx_hash)
                self.store.set_state(task_id, "committed")
                self.metrics.tasks.labels("committed").inc()
            elif action == "reveal":
                self.store.set_tx(task_id, "reveal_tx", tx_hash)
                self.store.set_state(task_id, "revealed")
                self.metrics.tasks.labels("revealed").inc()
            elif action == "finalize":
                self.store.set_tx(task_id, "finalize_tx", tx_hash)
        log.info("worker.tx", action=action, task_ids=ids, tx=tx_hash)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # --- finalize and activate --------------------------------------------------------
    async def _maybe_settle(self, row: TaskRow) -> None:
        """Finalize a task without a quorum that nobody with a stake in it settles.

        Members that revealed finalize at once (or after a back-off); when none did,
        the fee would stay escrowed and the silent members unslashed until an outside
        caller stepped in. Any worker serving the model does it after a longer wait.
        """
        first_seen = self._ready_since.setdefault(row.task_id, time.time())
        if time.time() - first_seen < 3 * self.settings.finalize_backoff:
            return
        view = await self.view.task(row.task_id)
        if max(view.tally().values(), default=0) >= view.quorum:
            return  # a quorum exists: its members hold the output and finalize
        self._inflight.add((row.task_id, "finalize"))
        self._spawn(self._send("finalize", [row], self.market.encode("finalize", row.task_id, b"")))

    async def _maybe_finalize(self, row: TaskRow, state: cv.MemberState) -> None:
        if not state.revealed or row.output is None:
            await self._maybe_settle(row)
            return
        view = await self.view.task(row.task_id)
        tally = view.tally()
        ours = bytes.fromhex(row.result_hash[2:]) if row.result_hash else b""
        best = max(tally.values(), default=0)
        won = tally.get(ours, 0) >= view.quorum and tally.get(ours, 0) == best
        quorum_reached = best >= view.quorum
        if quorum_reached and not won:
            return  # someone else's result won; its agents finalize
        # The first member (in committee order) on the winning side, or the first
        # revealer when there is no quorum, goes at once; the others back off.
        leaders = [
            a
            for a, rev, h in zip(view.committee, view.revealed, view.result_hashes, strict=True)
            if rev and (not quorum_reached or h == ours)
        ]
        first_seen = self._ready_since.setdefault(row.task_id, time.time())
        backing_off = time.time() - first_seen < self.settings.finalize_backoff
        if leaders and leaders[0] != self.agent and backing_off:
            return
        output = row.output if won else b""
        self._inflight.add((row.task_id, "finalize"))
        self._spawn(
            self._send("finalize", [row], self.market.encode("finalize", row.task_id, output))
        )

    async def _maybe_activate(self, row: TaskRow) -> None:
        for parent in row.parents:
            if await self.view.phase(parent) not in (cv.PHASE_SUCCEEDED, cv.PHASE_FAILED):
                return
        self._inflight.add((row.task_id, "activate"))
        self._spawn(self._send("activate", [row], self.market.encode("activate", row.task_id)))

    # --- gauges -------------------------------------------------------------------
    async def _gauges_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                self._head = await self.view.rpc.block_number()
                if self.follower is not None:
                    self.metrics.chain_lag.set(max(0, self._head - self.follower.cursor))
                self.metrics.balance.set(await self.view.balance(self.signer.address))
                claimable = await self.view.claimable(self.agent)
                self.metrics.claimable.set(claimable)
                await self._maybe_claim(claimable)
            except ChainError as exc:
                log.warning("worker.gauges_failed", error=str(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=5.0)

    async def _maybe_claim(self, claimable: int) -> None:
        threshold = self.settings.claim_threshold
        if self.owner is None or threshold is None or claimable < threshold:
            return
        owner_sender = getattr(self, "_owner_sender", None)
        if owner_sender is None:
            owner_sender = TxSender(self.view.rpc, self.owner)
            self._owner_sender = owner_sender
        try:
            receipt = await owner_sender.send(self.market.address, self.market.encode("withdraw"))
            log.info("worker.claimed", amount=claimable, tx=receipt["transactionHash"])
        except ChainError as exc:
            log.warning("worker.claim_failed", error=str(exc))
