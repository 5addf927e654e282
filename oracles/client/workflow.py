"""Map-reduce workflows: several map tasks and one reduce task that has them as parents.

The reduce task is posted at once with ``parents`` = the map tasks; it waits on chain
until they are finalized, and then every agent of its committee feeds its model the
reduce input with the parents' outputs composed in (``oracles/worker/compose.py``):
each output's text (``text`` of a generation, ``label`` of a classification, the
raw JSON otherwise) as a numbered line ``[1] ...``, put where the reduce input's text
(``prompt`` for generation, ``text`` otherwise) says ``{parents}``, or appended after
a blank line. If a map task fails, the reduce task fails at activation and waiting
for it raises :class:`~oracles.client.errors.TaskFailed` naming the failed parents.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from oracles.client.errors import ClientError
from oracles.client.handle import AsyncTaskHandle
from oracles.client.inputs import TaskInput
from oracles.client.models import ModelRef
from oracles.protocol import MAX_PARENTS

PLACEHOLDER = "{parents}"  # where the parents' outputs go in the reduce input's text


@dataclass(frozen=True)
class TaskSpec:
    """One task of a workflow: its input, and what ``submit`` takes besides.

    ``model=None`` uses the workflow's model, or else the default model of the
    input's kind.
    """

    input: TaskInput
    model: ModelRef | None = None
    committee_size: int | None = None
    quorum: int | None = None
    fee: int | None = None


Step = TaskSpec | Mapping[str, Any] | bytes | str


class Submit(Protocol):
    """``AsyncClient.submit``."""

    async def __call__(
        self,
        model: ModelRef | None,
        input: TaskInput,
        committee_size: int | None = None,
        quorum: int | None = None,
        fee: int | None = None,
        parents: Sequence[int] = (),
    ) -> AsyncTaskHandle: ...


@dataclass(frozen=True)
class AsyncWorkflow:
    """The posted tasks of a workflow: ``maps`` in order, and the ``reduce`` task."""

    maps: tuple[AsyncTaskHandle, ...]
    reduce: AsyncTaskHandle

    async def wait(
        self,
        timeout: float | None = None,  # noqa: ASYNC109 (PROTOCOL.md pins wait(timeout=None))
    ) -> bytes:
        """The reduce task's output; see :meth:`AsyncTaskHandle.wait`."""
        return await self.reduce.wait(timeout)


def as_spec(step: Step) -> TaskSpec:
    """A step given as a bare input is a :class:`TaskSpec` with that input."""
    return step if isinstance(step, TaskSpec) else TaskSpec(input=step)


async def post_workflow(
    submit: Submit, maps: Sequence[Step], reduce: Step, model: ModelRef | None = None
) -> AsyncWorkflow:
    """Post the map tasks (their transactions pipelined), then the reduce task."""
    if isinstance(maps, (str, bytes, Mapping, TaskSpec)):
        raise ClientError("maps must be a list of steps")
    if not 1 <= len(maps) <= MAX_PARENTS:
        raise ClientError(f"a workflow has 1 to {MAX_PARENTS} map tasks, not {len(maps)}")
    specs = [as_spec(step) for step in maps]
    last = as_spec(reduce)

    def post(spec: TaskSpec, parents: Sequence[int] = ()) -> Any:
        return submit(
            spec.model if spec.model is not None else model,
            spec.input,
            spec.committee_size,
            spec.quorum,
            spec.fee,
            parents,
        )

    handles: tuple[AsyncTaskHandle, ...] = tuple(
        await asyncio.gather(*(post(spec) for spec in specs))
    )
    final = await post(last, [h.task_id for h in handles])
    return AsyncWorkflow(handles, final)
