"""Running the tasks that are due through their model's engine, in batches.

A task's engine input is its own input plus its parents' finalized outputs
(:func:`~oracles.worker.compose.compose`); a task whose parent outputs the follower
has not delivered yet waits for the next pass. Outputs are stored with a fresh salt
before anything is sent, so that a restarted worker commits and reveals the same.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Mapping, Sequence
from typing import Protocol

import structlog

from oracles.protocol import result_hash
from oracles.worker.compose import compose
from oracles.worker.store import TaskRow, TaskStore
from oracles.worker.telemetry import WorkerMetrics

log = structlog.get_logger("agentnet.worker")


class Runner(Protocol):
    """What the worker needs from an engine: one batch of inputs to canonical outputs."""

    def run_batch(self, inputs: Sequence[bytes]) -> list[bytes]: ...


class Inference:
    """The engines of one worker, by model id, and the batches it runs through them.

    ``engines`` is the worker's live mapping: a model appears in it once loaded
    (:mod:`~oracles.worker.models`); rows of a model not in it yet are left alone.
    """

    def __init__(
        self,
        engines: Mapping[bytes, Runner],
        store: TaskStore,
        metrics: WorkerMetrics,
        max_batch: int,
    ) -> None:
        self.engines = engines
        self.store = store
        self.metrics = metrics
        self.max_batch = max_batch

    def loaded(self, model_id: bytes) -> bool:
        """Whether the model's engine is loaded (its tasks can be computed)."""
        return model_id in self.engines

    async def compute(self, rows: Sequence[TaskRow]) -> list[TaskRow]:
        """Run the engine over the rows whose model is loaded and whose inputs are
        complete; return them updated (with output, result hash and salt), as stored."""
        done: list[TaskRow] = []
        by_model: dict[bytes, list[tuple[TaskRow, bytes]]] = {}
        for row in rows:
            if not self.loaded(row.model_id):
                continue
            data = self._engine_input(row)
            if data is not None:
                by_model.setdefault(row.model_id, []).append((row, data))
        for model_id, items in by_model.items():
            for start in range(0, len(items), self.max_batch):
                done += await self._run_batch(model_id, items[start : start + self.max_batch])
        return done

    def _engine_input(self, row: TaskRow) -> bytes | None:
        parent_outputs: list[bytes] = []
        for parent in row.parents:
            output = self.store.finalized_output(parent)
            if output is None:
                return None  # the follower has not delivered it yet
            parent_outputs.append(output)
        return compose(row.input, parent_outputs)

    async def _run_batch(
        self, model_id: bytes, chunk: list[tuple[TaskRow, bytes]]
    ) -> list[TaskRow]:
        began = time.perf_counter()
        outputs = await asyncio.to_thread(
            self.engines[model_id].run_batch, [data for _, data in chunk]
        )
        elapsed = time.perf_counter() - began
        self.metrics.inference_seconds.labels("0x" + model_id[:4].hex()).observe(elapsed)
        done: list[TaskRow] = []
        for (row, _), output in zip(chunk, outputs, strict=True):
            saved = self.store.save_output(
                row, output, result_hash(output), os.urandom(32), elapsed * 1000 / len(chunk)
            )
            if saved is None:
                continue  # already computed (and salted) before: keep that
            done.append(saved)
            self.metrics.tasks.labels("computed").inc()
            log.info(
                "task.computed",
                task_id=row.task_id,
                batch=len(chunk),
                inference_ms=round(elapsed * 1000, 2),
            )
        return done
