"""``Client``: the blocking face of :class:`~oracles.client.AsyncClient`, for plain scripts.

Each ``Client`` owns one event loop, run in a daemon thread of its own; every method
hands its coroutine to that loop and blocks until it is done. So a ``Client`` works
from scripts, from threads, and from code that already runs an event loop (a
notebook), where ``asyncio.run`` would refuse.

Thread safety: a ``Client`` may be shared by threads. Their calls run concurrently
on the client's loop; transactions are sent one nonce after the other (pipelined, not
one block each). Ctrl-C while a call blocks cancels that call. ``close()`` (or a
``with`` block) stops the loop; a client dropped without it is closed when collected.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import weakref
from collections.abc import Coroutine, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
from eth_account.signers.local import LocalAccount

from oracles.chain.keys import load_keystore
from oracles.client.async_client import AsyncClient, DeploymentSource
from oracles.client.errors import ClientError
from oracles.client.handle import AsyncTaskHandle
from oracles.client.info import Committee, TaskInfo
from oracles.client.inputs import TaskInput
from oracles.client.models import ModelRef
from oracles.client.workflow import AsyncWorkflow, Step
from oracles.protocol import Phase

T = TypeVar("T")


class _LoopThread:
    """An event loop running forever in a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.closed = False
        self.thread = threading.Thread(target=self._main, name="agentnet-client", daemon=True)
        self.thread.start()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the loop and wait for it; cancel it if the wait is interrupted."""
        if self.closed or threading.current_thread() is self.thread:
            coro.close()
            raise ClientError(
                "this Client is closed"
                if self.closed
                else "a Client method was called on its own loop: use AsyncClient in coroutines"
            )
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()
            raise

    def stop(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.loop.call_soon_threadsafe(self.loop.stop)
        if threading.current_thread() is not self.thread:
            self.thread.join(timeout=10)


def _shutdown(runner: _LoopThread, client: AsyncClient) -> None:
    """Close the client's HTTP session, then stop its loop (also run by the finalizer)."""
    # It may be closed already, or collected on its own loop: stopping is what matters.
    with contextlib.suppress(Exception):
        runner.run(client.close())
    runner.stop()


class TaskHandle:
    """A posted task: ``task_id``, ``status()``, ``wait(timeout)``, ``output()``, ``info()``.

    The blocking face of :class:`~oracles.client.handle.AsyncTaskHandle`.
    """

    def __init__(self, handle: AsyncTaskHandle, runner: _LoopThread) -> None:
        self._handle = handle
        self._runner = runner

    def __repr__(self) -> str:
        return f"TaskHandle(task_id={self.task_id})"

    @property
    def task_id(self) -> int:
        return self._handle.task_id

    def status(self) -> Phase:
        """The task's phase now."""
        return self._runner.run(self._handle.status())

    def wait(self, timeout: float | None = None) -> bytes:
        """Block until the task is finalized; return its output bytes.

        Raises :class:`TaskFailed` or, after ``timeout`` seconds (default: the
        client's), :class:`TaskTimeout`, a ``TimeoutError``; the task goes on.
        """
        return self._runner.run(self._handle.wait(timeout))

    def output(self) -> bytes:
        """The finalized output; :class:`TaskNotFinished` while the task is open."""
        return self._runner.run(self._handle.output())

    def parents(self) -> tuple[int, ...]:
        """The task ids this task was posted with as parents."""
        return self._runner.run(self._handle.parents())

    def info(self) -> TaskInfo:
        """What the task is and its phase now; see :meth:`AsyncTaskHandle.info`."""
        return self._runner.run(self._handle.info())

    def committee(self) -> Committee:
        """Members, commits, reveals and windows; see :meth:`AsyncTaskHandle.committee`."""
        return self._runner.run(self._handle.committee())


class Workflow:
    """A posted map-reduce workflow: ``maps`` (handles, in order) and ``reduce``."""

    def __init__(self, posted: AsyncWorkflow, runner: _LoopThread) -> None:
        self.maps = tuple(TaskHandle(h, runner) for h in posted.maps)
        self.reduce = TaskHandle(posted.reduce, runner)

    def wait(self, timeout: float | None = None) -> bytes:
        """The reduce task's output bytes; see :meth:`TaskHandle.wait`."""
        return self.reduce.wait(timeout)


class Client:
    """A requester's blocking client; the arguments are :class:`AsyncClient`'s.

    Connects at once (reads the chain id, loads the deployment), so a wrong URL or
    record fails here, in one line.
    """

    def __init__(
        self,
        rpc_url: str | Sequence[str],
        deployment: DeploymentSource | None = None,
        account: LocalAccount | None = None,
        **options: Any,
    ) -> None:
        self._async = AsyncClient(rpc_url, deployment, account, **options)
        self._runner = _LoopThread()
        self._finalizer = weakref.finalize(self, _shutdown, self._runner, self._async)
        try:
            self._runner.run(self._async.connect())
        except BaseException:
            self.close()
            raise

    @classmethod
    def from_keystore(
        cls,
        rpc_url: str | Sequence[str],
        path: str | Path,
        password: str | None = None,
        *,
        password_file: str | Path | None = None,
        deployment: DeploymentSource | None = None,
        **options: Any,
    ) -> Client:
        """A client signing with an encrypted keystore; the password comes from
        ``password``, ``password_file``, ``$AGENTNET_PASSWORD`` or a terminal prompt."""
        account = load_keystore(path, password, password_file)
        return cls(rpc_url, deployment, account, **options)

    @property
    def address(self) -> str | None:
        """The requester's address (``None`` for a read-only client)."""
        return self._async.address

    @property
    def aio(self) -> AsyncClient:
        """The underlying :class:`AsyncClient` (bound to this client's loop thread)."""
        return self._async

    def close(self) -> None:
        """Close the HTTP session and stop the loop thread."""
        self._finalizer()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- tasks ------------------------------------------------------------------------
    def submit(
        self,
        model: ModelRef | None,
        input: TaskInput,
        committee_size: int | None = None,
        quorum: int | None = None,
        fee: int | None = None,
        parents: Sequence[int] = (),
    ) -> TaskHandle:
        """Post a task; see :meth:`AsyncClient.submit`."""
        coro = self._async.submit(model, input, committee_size, quorum, fee, parents)
        return TaskHandle(self._runner.run(coro), self._runner)

    def task(self, task_id: int) -> TaskHandle:
        """The handle of a task already posted."""
        return TaskHandle(self._runner.run(self._async.task(task_id)), self._runner)

    def task_count(self) -> int:
        """How many tasks were posted on this deployment; ids run from 1."""
        return self._runner.run(self._async.task_count())

    def embed(
        self, text: str, model: ModelRef | None = None, *, timeout: float | None = None
    ) -> npt.NDArray[np.int8]:
        """The text's embedding as int8 values; see :meth:`AsyncClient.embed`."""
        return self._runner.run(self._async.embed(text, model, timeout=timeout))

    def classify(
        self,
        text: str,
        labels: Sequence[str],
        model: ModelRef | None = None,
        *,
        timeout: float | None = None,
    ) -> tuple[int, str]:
        """``(index, label)``; see :meth:`AsyncClient.classify`."""
        return self._runner.run(self._async.classify(text, labels, model, timeout=timeout))

    def generate(
        self,
        prompt: str,
        max_new_tokens: int = 32,
        model: ModelRef | None = None,
        *,
        timeout: float | None = None,
    ) -> str:
        """The generated text; see :meth:`AsyncClient.generate`."""
        coro = self._async.generate(prompt, max_new_tokens, model, timeout=timeout)
        return self._runner.run(coro)

    def post_workflow(
        self, maps: Sequence[Step], reduce: Step, model: ModelRef | None = None
    ) -> Workflow:
        """Post a map-reduce workflow without waiting for it."""
        posted = self._runner.run(self._async.post_workflow(maps, reduce, model))
        return Workflow(posted, self._runner)

    def workflow(
        self,
        maps: Sequence[Step],
        reduce: Step,
        model: ModelRef | None = None,
        *,
        timeout: float | None = None,
    ) -> bytes:
        """Post a map-reduce workflow and return the reduce task's output bytes."""
        return self._runner.run(self._async.workflow(maps, reduce, model, timeout=timeout))

    def model_id(self, model: ModelRef | None, kind: str | None = None) -> bytes:
        """The id ``model`` names (or the default model of ``kind``)."""
        return self._runner.run(self._async.model_id(model, kind))

    # --- consumer contracts -------------------------------------------------------------
    def deliver(self, consumer: str, task_id: int, *, timeout: float | None = None) -> str:
        """Wait for the task, then send its output to ``consumer``; the transaction hash.

        See :meth:`AsyncClient.deliver`.
        """
        return self._runner.run(self._async.deliver(consumer, task_id, timeout=timeout))

    # --- payments ---------------------------------------------------------------------
    def claimable(self, account: str | None = None) -> int:
        """Wei credited to ``account`` (default: this requester), e.g. refunds."""
        return self._runner.run(self._async.claimable(account))

    def withdraw(self) -> int:
        """Send this requester's claimable balance to it; return the wei sent."""
        return self._runner.run(self._async.withdraw())
