"""Sending the worker's transactions: calldata, EIP-712 signatures, batches, outcomes.

Commits and reveals that are due together go out as one ``commitBatch`` /
``revealBatch`` signed by our signer (or one ``commit`` / ``reveal`` each, with
batching off or for a single task); ``finalize``, ``activate`` and ``poke`` (on
AgentStaking) go alone. Each send runs as a task of the worker's
:class:`asyncio.TaskGroup`, so an unexpected error in one stops the worker instead
of vanishing. A batch skips the items it cannot apply instead of reverting
(``SubmissionSkipped``): only the items whose ``Committed`` / ``Revealed`` event
for our agent is in the receipt count as done. A send that fails (typically a
window that closed between our read and the next block), and a skipped item, rest
their tasks for a block before the reconcile loop looks at them again.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import structlog
from eth_account.signers.local import LocalAccount

from oracles.chain.contracts import Contract
from oracles.chain.errors import ChainError, TransactionError
from oracles.chain.rpc import AsyncRpcClient
from oracles.chain.sender import SentTx, TxSender
from oracles.protocol import commitment, sign_commit, sign_reveal
from oracles.worker.nonces import NonceWatch
from oracles.worker.settings import NodeSettings
from oracles.worker.store import TaskRow, TaskStore
from oracles.worker.telemetry import WorkerMetrics

log = structlog.get_logger("agentnet.worker")

# Seconds a transaction waits behind a nonce gap before the pending sends are forgotten.
NONCE_GAP_AFTER_S = 3.0

# The event a mined commit or reveal emits for each item that took effect.
STEP_EVENTS = {"commit": "Committed", "reveal": "Revealed"}

# (action, task ids, when the send began) of the send running in this asyncio task.
_CURRENT_SEND: contextvars.ContextVar[tuple[str, list[int], float]] = contextvars.ContextVar(
    "current_send"
)


class Submissions(Protocol):
    """What the reconcile loop hands over to be sent."""

    def held(self, now: float) -> set[int]:
        """Tasks not to look at now: a transaction in flight, or resting after a failure."""
        ...

    def forget(self, task_id: int) -> None: ...

    def commit(self, rows: Sequence[TaskRow]) -> None: ...

    def reveal(self, rows: Sequence[TaskRow]) -> None: ...

    def finalize(self, row: TaskRow, output: bytes) -> None: ...

    def activate(self, row: TaskRow) -> None: ...

    def prove(self, row: TaskRow, output: bytes, member_output: bytes) -> None: ...

    def settle_deferred(self, row: TaskRow, agent: str) -> None: ...

    def poke(self, agent: str) -> None: ...

    def held_pokes(self) -> set[str]:
        """Agents whose ``poke`` is in flight."""
        ...


class Submitter:
    """Sends one signer's transactions to the TaskMarket (a :class:`Submissions`)."""

    def __init__(
        self,
        rpc: AsyncRpcClient,
        signer: LocalAccount,
        agent: str,
        chain_id: int,
        market: Contract,
        staking: Contract,
        store: TaskStore,
        metrics: WorkerMetrics,
        settings: NodeSettings,
        on_mined: Callable[[], None],
    ) -> None:
        """``on_mined`` is called after each successful send (wake the reconcile loop)."""
        self.signer = signer
        self.agent = agent
        self.chain_id = chain_id
        self.market = market
        self.staking = staking
        self.store = store
        self.metrics = metrics
        self.settings = settings
        self.on_mined = on_mined
        self.sender = TxSender(rpc, signer, on_sent=self._on_broadcast)
        self.nonces = NonceWatch(rpc, self.sender.address)
        self._group: asyncio.TaskGroup | None = None
        self._closed = False
        self._sends: set[asyncio.Task[None]] = set()
        self._inflight: set[tuple[int, str]] = set()
        self._retry_at: dict[int, float] = {}
        self._pokes: set[str] = set()
        self._poke_retry_at: dict[str, float] = {}

    # --- lifecycle ------------------------------------------------------------------
    def bind(self, group: asyncio.TaskGroup) -> None:
        """Run every send from now on as a task of ``group``."""
        self._group = group
        self._closed = False

    def close(self) -> None:
        """Cancel the sends in flight and accept no new ones (the worker is stopping)."""
        self._closed = True
        self._cancel_sends()

    def after_reorg(self) -> None:
        """Stop waiting for sends a reorg may have stranded; the next look resends.

        A node that does not put a reorg's dropped transactions back in its pool (anvil)
        leaves our later pending ones behind a nonce gap: their receipts never come, and
        the task would be skipped while they are "in flight". The reconcile loop
        resubmits whatever the chain now lacks (same output and salt), from the first
        nonce the chain has not mined.
        """
        self._cancel_sends()
        self.sender.forget_pending()

    async def check_nonce_gap(self) -> None:
        """Forget the pending sends when one waits behind a nonce nobody will fill
        (:mod:`~oracles.worker.nonces`): the next look resends from the mined count."""
        gap = await self.nonces.gap(NONCE_GAP_AFTER_S)
        if gap is not None:
            log.warning("worker.nonce_gap", mined=gap[0], waiting_from=gap[1])
            self.after_reorg()

    def _cancel_sends(self) -> None:
        for task in list(self._sends):
            task.cancel()

    # --- what the reconcile loop asks ---------------------------------------------
    def held(self, now: float) -> set[int]:
        resting = {t for t, at in self._retry_at.items() if at > now}
        return {task_id for task_id, _ in self._inflight} | resting

    def forget(self, task_id: int) -> None:
        self._retry_at.pop(task_id, None)

    def commit(self, rows: Sequence[TaskRow]) -> None:
        for chunk, batched in self._chunks(rows):
            self._spawn("commit", chunk, self._commit_calldata(chunk, batched))

    def reveal(self, rows: Sequence[TaskRow]) -> None:
        for chunk, batched in self._chunks(rows):
            self._spawn("reveal", chunk, self._reveal_calldata(chunk, batched))

    def finalize(self, row: TaskRow, output: bytes) -> None:
        self._spawn("finalize", [row], self.market.encode("finalize", row.task_id, output))

    def activate(self, row: TaskRow) -> None:
        self._spawn("activate", [row], self.market.encode("activate", row.task_id))

    def prove(self, row: TaskRow, output: bytes, member_output: bytes) -> None:
        """``proveAgreement``: our output, within the model's tolerance of the accepted one."""
        data = self.market.encode("proveAgreement", row.task_id, self.agent, output, member_output)
        self._spawn("prove", [row], data)

    def settle_deferred(self, row: TaskRow, agent: str) -> None:
        """``settleDeferred``: a member's deferred slash nobody disproved in time."""
        self._spawn("settle", [row], self.market.encode("settleDeferred", row.task_id, agent))

    def poke(self, agent: str) -> None:
        if self._closed or agent in self._pokes:
            return
        if self._group is None:
            raise RuntimeError("Submitter.bind(group) must come before the first send")
        self._pokes.add(agent)
        task = self._group.create_task(self._send_poke(agent))
        self._sends.add(task)
        task.add_done_callback(self._sends.discard)

    def held_pokes(self) -> set[str]:
        now = time.time()
        return self._pokes | {a for a, at in self._poke_retry_at.items() if at > now}

    # --- calldata -------------------------------------------------------------------
    def _chunks(self, rows: Sequence[TaskRow]) -> list[tuple[list[TaskRow], bool]]:
        batched = self.settings.batch_submissions and len(rows) > 1
        size = self.settings.max_batch if batched else 1
        return [(list(rows[i : i + size]), batched) for i in range(0, len(rows), size)]

    @staticmethod
    def _secret(row: TaskRow) -> tuple[bytes, bytes]:
        if row.result_hash is None or row.salt is None:
            raise ValueError(f"task {row.task_id} has no stored result to submit")
        return row.result_hash, row.salt

    def _commit_calldata(self, rows: list[TaskRow], batched: bool) -> bytes:
        commitments = [commitment(r.task_id, self.agent, *self._secret(r)) for r in rows]
        if not batched:
            return self.market.encode("commit", rows[0].task_id, commitments[0])
        signatures = [
            sign_commit(self.signer, self.chain_id, self.market.address, r.task_id, self.agent, c)
            for r, c in zip(rows, commitments, strict=True)
        ]
        ids = [r.task_id for r in rows]
        agents = [self.agent] * len(rows)
        return self.market.encode("commitBatch", ids, agents, commitments, signatures)

    def _reveal_calldata(self, rows: list[TaskRow], batched: bool) -> bytes:
        secrets = [self._secret(r) for r in rows]
        if not batched:
            result_hash, salt = secrets[0]
            return self.market.encode("reveal", rows[0].task_id, result_hash, salt)
        signatures = [
            sign_reveal(
                self.signer, self.chain_id, self.market.address, r.task_id, self.agent, h, s
            )
            for r, (h, s) in zip(rows, secrets, strict=True)
        ]
        ids = [r.task_id for r in rows]
        agents = [self.agent] * len(rows)
        hashes = [h for h, _ in secrets]
        salts = [s for _, s in secrets]
        return self.market.encode("revealBatch", ids, agents, hashes, salts, signatures)

    # --- sending ---------------------------------------------------------------------
    def _spawn(self, action: str, rows: list[TaskRow], data: bytes) -> None:
        if self._closed:
            return
        if self._group is None:
            raise RuntimeError("Submitter.bind(group) must come before the first send")
        ids = [r.task_id for r in rows]
        for task_id in ids:
            self._inflight.add((task_id, action))
        task = self._group.create_task(self._send(action, ids, data))
        self._sends.add(task)
        task.add_done_callback(self._sends.discard)

    def _on_broadcast(self, sent: SentTx) -> None:
        """Called by the sender right after a broadcast: its nonce, and (for a commit)
        when, for the overhead."""
        self.nonces.sent(asyncio.current_task(), sent.nonce)
        action, ids, began = _CURRENT_SEND.get(("", [], 0.0))
        if action != "commit" or sent.attempt != 0:
            return
        now = time.time()
        for task_id in ids:
            row = self.store.get(task_id)
            if row is None:
                continue
            self.store.mark_commit_broadcast(task_id, now)
            seated = row.seated_at if row.seated_at is not None else row.seen_at
            overhead = max(0.0, now - seated - (row.inference_ms or 0) / 1000)
            self.metrics.overhead_seconds.observe(overhead)
            log.debug(
                "worker.commit_sent",
                task_id=task_id,
                overhead_ms=round(overhead * 1000, 2),
                sender_ms=round((now - began) * 1000, 2),
            )

    async def _send(self, action: str, ids: list[int], data: bytes) -> None:
        _CURRENT_SEND.set((action, ids, time.time()))
        try:
            receipt = await self.sender.send(self.market.address, data)
        except ChainError as exc:
            # Typically a window closed between our read and the next block. Look again
            # after a block, not at once: a failing submission must not become a busy loop.
            self.metrics.tx.labels(action, "failed").inc()
            name = "worker.tx_failed" if isinstance(exc, TransactionError) else "worker.tx_error"
            log.warning(name, action=action, task_ids=ids, error=str(exc))
            self._rest(ids)
            return
        finally:
            self.nonces.done(asyncio.current_task())
            for task_id in ids:
                self._inflight.discard((task_id, action))
        self.on_mined()
        tx_hash = receipt["transactionHash"]
        self.metrics.tx.labels(action, "sent").inc()
        applied = self._applied(action, ids, receipt)
        for task_id in applied:
            if action in ("commit", "reveal", "finalize"):
                self.store.record_tx(task_id, action, tx_hash)
            if action == "commit":
                self.store.set_state(task_id, "committed")
                self.metrics.tasks.labels("committed").inc()
            elif action == "reveal":
                self.store.set_state(task_id, "revealed")
                self.metrics.tasks.labels("revealed").inc()
        log.info("worker.tx", action=action, task_ids=applied, tx=tx_hash)

    def _applied(self, action: str, ids: list[int], receipt: dict[str, Any]) -> list[int]:
        """The tasks a mined send took effect for; skipped batch items rest a block."""
        step = STEP_EVENTS.get(action)
        if step is None:
            return ids
        done: set[int] = set()
        skipped: dict[int, int] = {}
        for event in self.market.receipt_events(receipt):
            if str(event.args.get("agent")) != self.agent:
                continue
            if event.name == step:
                done.add(int(event.args["task_id"]))
            elif event.name == "SubmissionSkipped":
                skipped[int(event.args["task_id"])] = int(event.args["reason"])
        left = [t for t in ids if t not in done]
        if left:
            log.warning(
                "worker.items_skipped",
                action=action,
                task_ids=left,
                reasons=[skipped.get(t) for t in left],
                tx=receipt["transactionHash"],
            )
            self._rest(left)
        return [t for t in ids if t in done]

    def _rest(self, ids: list[int]) -> None:
        retry_at = time.time() + max(1.0, 2 * self.settings.poll_interval)
        for task_id in ids:
            self._retry_at[task_id] = retry_at

    async def _send_poke(self, agent: str) -> None:
        try:
            receipt = await self.sender.send(
                self.staking.address, self.staking.encode("poke", agent)
            )
        except ChainError as exc:
            self.metrics.tx.labels("poke", "failed").inc()
            log.warning("worker.tx_failed", action="poke", agent=agent, error=str(exc))
            self._poke_retry_at[agent] = time.time() + max(1.0, 2 * self.settings.poll_interval)
            return
        finally:
            self.nonces.done(asyncio.current_task())
            self._pokes.discard(agent)
        self.on_mined()
        self.metrics.tx.labels("poke", "sent").inc()
        log.info("worker.tx", action="poke", agent=agent, tx=receipt["transactionHash"])
