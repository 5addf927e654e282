"""Async batching of task inputs that arrive close together."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Protocol


class BatchRunner(Protocol):
    """Anything with ``run_batch`` (an Engine)."""

    def run_batch(self, inputs: list[bytes]) -> list[bytes]:
        """Canonical outputs, one per input."""
        ...


class Batcher:
    """Groups concurrent ``submit`` calls into ``engine.run_batch`` calls.

    A batch starts with the first waiting input and closes when it holds
    ``max_batch`` inputs or ``max_wait_ms`` have passed since that first input.
    The engine runs in a worker thread, one batch at a time, so the event loop
    stays free. Because the engine's batched outputs equal its unbatched ones,
    batching never changes what a caller gets.
    """

    def __init__(self, engine: BatchRunner, max_batch: int = 8, max_wait_ms: float = 5.0):
        if max_batch < 1 or max_wait_ms < 0:
            raise ValueError("max_batch must be >= 1 and max_wait_ms >= 0")
        self.engine = engine
        self.max_batch = max_batch
        self.max_wait = max_wait_ms / 1000.0
        self._queue: asyncio.Queue[tuple[bytes, asyncio.Future[bytes]]] | None = None
        self._task: asyncio.Task[None] | None = None
        self.batches_run = 0

    async def submit(self, data: bytes) -> bytes:
        """Canonical output for one input, computed in some batch."""
        if self._task is None:
            self._queue = asyncio.Queue()
            self._task = asyncio.create_task(self._loop(), name="agentnet-batcher")
        assert self._queue is not None
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        await self._queue.put((data, future))
        return await future

    async def _collect(self) -> list[tuple[bytes, asyncio.Future[bytes]]]:
        assert self._queue is not None
        batch = [await self._queue.get()]
        deadline = asyncio.get_running_loop().time() + self.max_wait
        while len(batch) < self.max_batch:
            timeout = deadline - asyncio.get_running_loop().time()
            if timeout <= 0:
                while len(batch) < self.max_batch and not self._queue.empty():
                    batch.append(self._queue.get_nowait())
                break
            try:
                batch.append(await asyncio.wait_for(self._queue.get(), timeout))
            except TimeoutError:
                break
        return batch

    async def _loop(self) -> None:
        while True:
            batch = await self._collect()
            try:
                outputs = await asyncio.to_thread(self.engine.run_batch, [d for d, _ in batch])
            except Exception as exc:  # hand the failure to every caller of this batch
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            self.batches_run += 1
            for (_, future), output in zip(batch, outputs, strict=True):
                if not future.done():
                    future.set_result(output)

    async def close(self) -> None:
        """Stop the batching task; pending callers get CancelledError."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._queue is not None:
            while not self._queue.empty():
                self._queue.get_nowait()[1].cancel()

    async def __aenter__(self) -> Batcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
