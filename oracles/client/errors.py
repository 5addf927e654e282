"""The errors the requester client raises, under one base, :class:`ClientError`.

Every one of them is an :class:`oracles.errors.AgentnetError`, so ``except AgentnetError``
catches whatever agentnet raises on purpose (the chain layer's errors included: an RPC
that never answers raises :class:`oracles.chain.RpcUnavailable`). Two of them also
subclass what a Python user would catch anyway: :class:`TaskTimeout` is a builtin
``TimeoutError``, and :class:`Reverted` is the chain layer's
:class:`~oracles.chain.SimulationReverted`.
"""

from __future__ import annotations

from collections.abc import Sequence

from oracles.chain.errors import SimulationReverted
from oracles.errors import AgentnetError, NotFound, UsageError


class ClientError(AgentnetError):
    """Base class of the requester client's errors."""


class UnknownModel(ClientError, NotFound):
    """A model reference is not a model id, a package folder or a known alias."""


class UnknownTask(ClientError, NotFound):
    """No task with this id exists on the chain."""


class NoAccount(ClientError, UsageError):
    """The client was made without an account, and the call has to sign a transaction."""


class NoEligibleAgent(ClientError):
    """No agent is eligible to serve the model, so no task for it can be created.

    ``model_id`` is the model asked for (``None`` when no model was named and none of
    the kind asked for has an eligible agent).
    """

    def __init__(self, message: str, model_id: bytes | None = None) -> None:
        super().__init__(message)
        self.model_id = model_id


class Reverted(ClientError, SimulationReverted):
    """A transaction's simulation reverted with the contract's ``reason``; nothing was sent."""

    def __init__(self, function: str, reason: str | None, data: str | None = None) -> None:
        SimulationReverted.__init__(self, reason, data)
        self.function = function
        self.args = (f"{function} reverted: {reason or 'no reason given'} (nothing was sent)",)


class TaskFailed(ClientError):
    """The task ended without a result; its fee was credited back to the requester.

    ``failed_parents`` names the parent tasks that failed first (the task then fails
    at activation); empty when the task's own committee reached no quorum in time.
    The refund is pull-based: ``withdraw()`` on the client sends it to the requester.
    """

    def __init__(self, task_id: int, failed_parents: Sequence[int] = ()) -> None:
        self.task_id = task_id
        self.failed_parents = tuple(failed_parents)
        if self.failed_parents:
            why = "parent task(s) " + ", ".join(str(p) for p in self.failed_parents) + " failed"
        else:
            why = "its committee reached no quorum in time"
        super().__init__(
            f"task {task_id} failed: {why}; its fee was credited back to the requester"
        )


class TaskTimeout(ClientError, TimeoutError):
    """A wait ran out of time; the task goes on, and ``task_id`` can be waited on again."""

    def __init__(self, task_id: int, timeout: float, phase: str) -> None:
        super().__init__(f"task {task_id} not finalized after {timeout:g} s (phase: {phase})")
        self.task_id = task_id
        self.timeout = timeout
        self.phase = phase


class TaskNotFinished(ClientError):
    """A task's output was asked for before the task was finalized."""

    def __init__(self, task_id: int, phase: str) -> None:
        super().__init__(f"task {task_id} has no output yet (phase: {phase}); wait() for it")
        self.task_id = task_id
        self.phase = phase


class InvalidInput(ClientError):
    """The committee agreed that the task input is invalid: the output is an error code.

    The task itself succeeded (the agents did the work and were paid); ``code`` is one
    of the documented codes of ``oracles.engine.canonical`` (``bad_json``,
    ``too_long``, ``bad_max_new_tokens``, ...).
    """

    def __init__(self, code: str, task_id: int | None = None) -> None:
        where = f"task {task_id}: " if task_id is not None else ""
        super().__init__(f"{where}the network rejected the input: {code}")
        self.code = code
        self.task_id = task_id


class BadOutput(ClientError):
    """A finalized output is not the canonical output of the expected kind."""
