"""``AsyncClient``: post inference tasks and get their results, with asyncio.

Built on the chain layer: :class:`~oracles.chain.rpc.AsyncRpcClient` (failover across
URLs), :class:`~oracles.chain.sender.TxSender` (nonces, simulation before sending,
fee bumps), :meth:`~oracles.chain.contracts.Contract.acall` for reads and the
:class:`~oracles.chain.contracts.Deployment` record for addresses and ABIs.

An ``AsyncClient`` belongs to the event loop it first runs on; it is not thread-safe
(use :class:`oracles.client.Client` from threads). Its calls may run concurrently on
that loop: transactions go out one nonce after the other, pipelined.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import numpy.typing as npt
from eth_account.signers.local import LocalAccount

from oracles.chain.contracts import Deployment
from oracles.chain.errors import ChainError
from oracles.chain.keys import load_keystore
from oracles.chain.rpc import AsyncRpcClient, RetryPolicy
from oracles.chain.sender import TxSender
from oracles.client import inputs, outputs
from oracles.client.deliver import send_delivery
from oracles.client.errors import ClientError, NoEligibleAgent, Reverted, UnknownTask
from oracles.client.handle import AsyncTaskHandle, WaitPolicy
from oracles.client.inputs import TaskInput
from oracles.client.market import Market
from oracles.client.models import KINDS, AliasSource, ModelRef, input_kind, resolve_model
from oracles.client.workflow import AsyncWorkflow, Step, post_workflow
from oracles.protocol import MAX_PARENTS, Phase

DEFAULT_COMMITTEE = 3
DeploymentSource = str | os.PathLike[str] | Mapping[str, Any] | Deployment


def _uint(name: str, value: int, bits: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**bits:
        raise ClientError(f"{name} must be an integer from 0 to {2**bits - 1}, not {value!r}")
    return value


def _kind_of(data: TaskInput) -> str | None:
    """The model kind an input is for, when it is (or encodes) a JSON object."""
    if not isinstance(data, Mapping):
        try:
            data = json.loads(data)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
    return input_kind(data)


class AsyncClient:
    """A requester's connection to one deployment; see the module docstring.

    ``rpc_url``: one URL or several (failover). ``deployment``: a record's path, the
    parsed record, or a :class:`Deployment` (default ``deployments/<chain_id>.json``).
    ``account``: the requester's key (an eth-account ``LocalAccount``); without one the
    client can only read. ``aliases``: model aliases (a JSON file or a mapping; default
    the devnet's ``.agentnet/models.json``). ``timeout`` (``None``: no limit),
    ``poll_interval`` and ``help_after`` set how tasks are awaited (see
    :mod:`oracles.client.handle`).
    """

    def __init__(
        self,
        rpc_url: str | Sequence[str],
        deployment: DeploymentSource | None = None,
        account: LocalAccount | None = None,
        *,
        aliases: AliasSource | None = None,
        timeout: float | None = 300.0,
        poll_interval: float = 1.0,
        help_after: float | None = 30.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.rpc = AsyncRpcClient(rpc_url, retry=retry)
        self.account = account
        self.aliases = aliases
        self.policy = WaitPolicy(timeout, poll_interval, help_after)
        self._deployment_source = deployment
        self._market: Market | None = None
        self._connecting: asyncio.Lock | None = None

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
    ) -> AsyncClient:
        """A client signing with an encrypted keystore.

        The password comes from ``password``, ``password_file``, ``$AGENTNET_PASSWORD``
        or a prompt on the terminal, in that order (as every ``agentnet`` command).
        """
        account = load_keystore(path, password, password_file)
        return cls(rpc_url, deployment, account, **options)

    @property
    def address(self) -> str | None:
        """The requester's address (``None`` for a read-only client)."""
        return None if self.account is None else str(self.account.address)

    # --- connection -------------------------------------------------------------------
    async def connect(self) -> AsyncClient:
        """Read the chain id and load the deployment (done on first use otherwise)."""
        await self._ready()
        return self

    async def _ready(self) -> Market:
        if self._market is not None:
            return self._market
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            if self._market is None:
                deployment = await asyncio.to_thread(self._load_deployment, await self._chain_id())
                sender = None if self.account is None else TxSender(self.rpc, self.account)
                self._market = Market(self.rpc, deployment, sender)
        return self._market

    async def _chain_id(self) -> int:
        return await self.rpc.chain_id()

    def _load_deployment(self, chain_id: int) -> Deployment:
        source = self._deployment_source
        if isinstance(source, Deployment):
            deployment = source
        elif isinstance(source, Mapping):
            deployment = Deployment.from_dict(dict(source))
        elif source is None:
            return Deployment.load(chain_id=chain_id)
        else:
            deployment = Deployment.load(path=Path(source))
        if deployment.chain_id != chain_id:
            raise ChainError(
                f"the deployment is for chain {deployment.chain_id}, "
                f"but the RPC serves chain {chain_id}"
            )
        return deployment

    async def close(self) -> None:
        """Close the HTTP session."""
        await self.rpc.close()

    async def __aenter__(self) -> AsyncClient:
        return await self.connect()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # --- tasks ------------------------------------------------------------------------
    async def model_id(self, model: ModelRef | None, kind: str | None = None) -> bytes:
        """The id ``model`` names, or with ``None`` the default model of ``kind``."""
        if model is not None:
            return await asyncio.to_thread(resolve_model, model, kind, self.aliases)
        if kind is None:
            raise ClientError("name a model: the input does not tell which kind of model")
        return await self.default_model(kind)

    async def default_model(self, kind: str) -> bytes:
        """The registered, usable model of ``kind`` with the most eligible agents.

        Ties go to the most recently registered one.
        """
        if kind not in KINDS:
            raise ClientError(f"unknown model kind {kind!r}: one of {', '.join(KINDS)}")
        market = await self._ready()
        latest = {m.model_id: m for m in await market.registered_models()}
        best: tuple[int, int, bytes] | None = None
        for m in latest.values():
            if m.kind != KINDS.index(kind):
                continue
            eligible = await market.eligible_agents(m.model_id)
            if eligible and await market.model_usable(m.model_id):
                best = max(best or (0, 0, b""), (eligible, m.block, m.model_id))
        if best is None:
            raise NoEligibleAgent(
                f"no {kind} model on chain {market.deployment.chain_id} has an eligible "
                "agent: name one with model="
            )
        return best[2]

    async def submit(
        self,
        model: ModelRef | None,
        input: TaskInput,
        committee_size: int | None = None,
        quorum: int | None = None,
        fee: int | None = None,
        parents: Sequence[int] = (),
    ) -> AsyncTaskHandle:
        """Post a task and return its handle once ``createTask`` is mined.

        Defaults read from the chain: ``committee_size`` min(3, eligible agents),
        ``quorum`` a majority of it, ``fee`` ``min_fee_per_agent * committee_size``.
        ``input``: a mapping (sent as compact JSON), text or bytes (sent as they are).
        Raises :class:`NoEligibleAgent`, or :class:`Reverted` with the contract's reason.
        """
        market = await self._ready()
        data = inputs.encode_input(input)
        model_id = await self.model_id(model, _kind_of(input))
        parents = [_uint("parent", p, 256) for p in parents]
        if len(parents) > MAX_PARENTS:
            raise ClientError(f"a task has at most {MAX_PARENTS} parents, not {len(parents)}")
        eligible = await market.eligible_agents(model_id)
        if eligible == 0:
            raise NoEligibleAgent(
                f"no agent is eligible for model 0x{model_id.hex()}: choose a model "
                "that agents serve",
                model_id,
            )
        size = _uint(
            "committee_size",
            committee_size if committee_size is not None else min(DEFAULT_COMMITTEE, eligible),
            8,
        )
        quorum = _uint("quorum", quorum if quorum is not None else size // 2 + 1, 8)
        fee = _uint("fee", fee if fee is not None else await market.min_fee_per_agent() * size, 256)
        try:
            receipt = await market.send(
                "createTask", model_id, data, size, quorum, parents, value=fee
            )
        except Reverted as exc:
            if exc.reason and "eligible" in exc.reason.lower():
                raise NoEligibleAgent(f"createTask reverted: {exc.reason}", model_id) from exc
            raise
        created = [
            e
            for e in market.deployment["TaskMarket"].receipt_events(receipt)
            if e.name == "TaskCreated"
        ]
        if not created:
            raise ClientError(f"createTask in {receipt['transactionHash']} emitted no TaskCreated")
        return AsyncTaskHandle(market, int(created[0].args["task_id"]), self.policy, created[0])

    async def task(self, task_id: int) -> AsyncTaskHandle:
        """The handle of a task already posted (by anyone)."""
        market = await self._ready()
        if await market.phase(task_id) == Phase.UNKNOWN:
            chain = market.deployment.chain_id
            raise UnknownTask(f"task {task_id} does not exist on chain {chain}")
        return AsyncTaskHandle(market, task_id, self.policy)

    async def task_count(self) -> int:
        """How many tasks were posted on this deployment (by anyone); ids run from 1."""
        return await (await self._ready()).task_count()

    async def _run(
        self,
        model: ModelRef | None,
        data: dict[str, Any],
        timeout: float | None,  # noqa: ASYNC109 (the task's wait, as TaskHandle.wait)
    ) -> tuple[int, bytes]:
        handle = await self.submit(model, data)
        return handle.task_id, await handle.wait(timeout)

    async def embed(
        self,
        text: str,
        model: ModelRef | None = None,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 (the task's wait, as TaskHandle.wait)
    ) -> npt.NDArray[np.int8]:
        """The text's embedding as int8 values (round(127·x) of the unit vector)."""
        task_id, out = await self._run(model, inputs.embedding_input(text), timeout)
        return outputs.decode_embedding(out, task_id)

    async def classify(
        self,
        text: str,
        labels: Sequence[str],
        model: ModelRef | None = None,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 (the task's wait, as TaskHandle.wait)
    ) -> tuple[int, str]:
        """``(index, label)`` of the label the text fits best (zero-shot)."""
        data = inputs.classification_input(text, labels)
        task_id, out = await self._run(model, data, timeout)
        return outputs.decode_classification(out, task_id)

    async def generate(
        self,
        prompt: str,
        max_new_tokens: int = 32,
        model: ModelRef | None = None,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 (the task's wait, as TaskHandle.wait)
    ) -> str:
        """The greedy continuation of ``prompt`` (at most ``max_new_tokens`` tokens)."""
        data = inputs.generation_input(prompt, max_new_tokens)
        task_id, out = await self._run(model, data, timeout)
        return outputs.decode_generation(out, task_id)

    async def post_workflow(
        self, maps: Sequence[Step], reduce: Step, model: ModelRef | None = None
    ) -> AsyncWorkflow:
        """Post a map-reduce workflow (see :mod:`oracles.client.workflow`); don't wait."""
        return await post_workflow(self.submit, maps, reduce, model)

    async def workflow(
        self,
        maps: Sequence[Step],
        reduce: Step,
        model: ModelRef | None = None,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 (the task's wait, as TaskHandle.wait)
    ) -> bytes:
        """Post a map-reduce workflow and return the reduce task's output bytes."""
        return await (await self.post_workflow(maps, reduce, model)).wait(timeout)

    # --- consumer contracts -------------------------------------------------------------
    async def deliver(
        self,
        consumer: str,
        task_id: int,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 (the task's wait, as TaskHandle.wait)
    ) -> str:
        """Wait for a task a consumer contract posted, then send it the output; the tx hash.

        ``consumer.deliver(task_id, output)`` checks the output against the task's result
        (see :mod:`oracles.client.deliver`). Raises :class:`TaskFailed` (then the contract
        can refund whoever paid), :class:`TaskTimeout`, or :class:`Reverted` with the
        contract's reason (e.g. ``consumer: result already delivered``).
        """
        handle = await self.task(task_id)
        output = await handle.wait(timeout)
        receipt = await send_delivery(await self._ready(), consumer, task_id, output)
        return str(receipt["transactionHash"])

    # --- payments ---------------------------------------------------------------------
    async def claimable(self, account: str | None = None) -> int:
        """Wei credited to ``account`` (default: this requester), e.g. refunds."""
        market = await self._ready()
        who = account or self.address
        if who is None:
            raise ClientError("name an account: this client has none")
        return await market.claimable(who)

    async def withdraw(self) -> int:
        """Send this requester's claimable balance (refunds) to it; return the wei sent."""
        if not await self.claimable():
            return 0
        market = await self._ready()
        receipt = await market.send("withdraw")
        events = market.deployment["TaskMarket"].receipt_events(receipt)
        return sum(int(e.args["amount"]) for e in events if e.name == "Withdrawn")
