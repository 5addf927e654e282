"""The requester's Python client: post inference tasks, wait, get decoded results.

::

    from oracles.client import Client

    with Client("http://127.0.0.1:8545", account=my_account) as client:
        vector = client.embed("agentnet runs verifiable inference")   # numpy int8
        index, label = client.classify("2-1 after extra time", ["sports", "politics"])
        text = client.generate("What is Ethereum?", max_new_tokens=24)

:class:`Client` blocks; :class:`AsyncClient` has the same methods as coroutines.
Modules: :mod:`~oracles.client.models` (model references), :mod:`~.inputs` and
:mod:`~.outputs` (the canonical formats), :mod:`~.market` (the contract calls),
:mod:`~.handle` (waiting for a task), :mod:`~.info` (what a task is and who serves
it), :mod:`~.workflow` (map-reduce through ``parents``), :mod:`~.errors`. See
``docs/client.md``.
"""

from oracles.client.async_client import AsyncClient
from oracles.client.errors import (
    BadOutput,
    ClientError,
    InvalidInput,
    NoAccount,
    NoEligibleAgent,
    Reverted,
    TaskFailed,
    TaskNotFinished,
    TaskTimeout,
    UnknownModel,
    UnknownTask,
)
from oracles.client.handle import AsyncTaskHandle
from oracles.client.info import Committee, Member, TaskInfo
from oracles.client.models import resolve_model
from oracles.client.sync_client import Client, TaskHandle, Workflow
from oracles.client.workflow import AsyncWorkflow, TaskSpec
from oracles.protocol import Phase

__all__ = [
    "AsyncClient",
    "AsyncTaskHandle",
    "AsyncWorkflow",
    "BadOutput",
    "Client",
    "ClientError",
    "Committee",
    "InvalidInput",
    "Member",
    "NoAccount",
    "NoEligibleAgent",
    "Phase",
    "Reverted",
    "TaskFailed",
    "TaskHandle",
    "TaskInfo",
    "TaskNotFinished",
    "TaskSpec",
    "TaskTimeout",
    "UnknownModel",
    "UnknownTask",
    "Workflow",
    "resolve_model",
]
