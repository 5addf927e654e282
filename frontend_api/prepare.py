"""Unsigned ``createTask`` transactions for a browser wallet.

The checks are the contract's (``TaskMarket.createTask``), made against the chain's
present state, so that a wallet is not asked to sign a transaction that would revert.
A rule the request breaks given that state (quorum, fee, model, agents, parents, input
size) is a :class:`~frontend_api.errors.Rejected` (HTTP 409) naming the field.

Protocol v2 seats are drawn with replacement, so one agent can fill a committee of
any size: the model needs at least one agent with weight in the epoch of the task's
draw block (the block after the one the transaction lands in), since a stake change
counts for draws from the next epoch on (docs/protocol-v2.md, section 2).
"""

from __future__ import annotations

import json
from typing import Any

from frontend_api.errors import Rejected
from oracles.chain.contracts import Deployment
from oracles.chain.errors import RpcError
from oracles.chain.rpc import AsyncRpcClient
from oracles.protocol import MAX_FEE, MAX_INPUT_BYTES

# createTask draws nothing, so its gas hardly moves between the estimate and the block
# that includes it; the margin covers storage another transaction warms or fills first.
GAS_MARGIN_PERCENT = 20


class Preparer:
    """Validates task requests with ``eth_call`` reads and encodes the calldata."""

    def __init__(self, rpc: AsyncRpcClient, deployment: Deployment) -> None:
        self.rpc = rpc
        self.deployment = deployment
        self.market = deployment["TaskMarket"]
        self._epoch_blocks: int | None = None

    async def _call(self, contract: str, function: str, *args: Any) -> Any:
        return await self.deployment[contract].acall(self.rpc, function, *args)

    async def prepare(self, req: dict[str, Any]) -> dict[str, Any]:
        """``req`` from :func:`validate.prepare_body`."""
        size = int(req["committee_size"])
        quorum = req["quorum"] if req["quorum"] is not None else size // 2 + 1
        if not size // 2 < quorum <= size:
            raise Rejected("quorum", f"must be more than {size // 2} and at most {size}")
        raw_input = req["input"]
        text = (
            raw_input
            if isinstance(raw_input, str)
            else json.dumps(raw_input, separators=(",", ":"), ensure_ascii=False)
        )
        data = text.encode("utf-8", "surrogatepass")  # bytes as given, even lone surrogates
        if len(data) > MAX_INPUT_BYTES:
            raise Rejected("input", f"is {len(data)} bytes; at most {MAX_INPUT_BYTES}")
        model = bytes.fromhex(req["model"][2:])
        if not await self._call("ModelRegistry", "isActive", model):
            raise Rejected("model", "is not a registered, active model")
        min_fee = int(await self._call("TaskMarket", "min_fee_per_agent")) * size
        fee = min_fee if req["fee"] is None else int(req["fee"])
        if fee < min_fee:
            raise Rejected("fee", f"is below the minimum of {min_fee} wei")
        if fee > MAX_FEE:
            raise Rejected("fee", f"is above the maximum of {MAX_FEE} wei")
        parents: list[int] = req["parents"]
        if parents:
            last = int(await self._call("TaskMarket", "task_count"))
            for parent in parents:
                if parent > last:
                    raise Rejected("parents", f"task {parent} does not exist")
        await self._check_draw_weight(model)
        calldata = self.market.encode("createTask", model, data, size, quorum, parents)
        tx = {
            "to": self.market.address,
            "data": "0x" + calldata.hex(),
            "value": hex(fee),
            "chainId": hex(self.deployment.chain_id),
        }
        gas = await self._estimate(tx, req.get("from"))
        if gas is not None:
            tx["gas"] = hex(gas)
        return {
            "tx": tx,
            "fee": str(fee),
            "quorum": quorum,
            "input_bytes": len(data),
        }

    async def _check_draw_weight(self, model: bytes) -> None:
        """Some agent of ``model`` has weight in the epoch of the next task's draw block."""
        head = int(await self.rpc.call("eth_blockNumber", []), 16)
        if self._epoch_blocks is None:
            self._epoch_blocks = int(await self._call("AgentStaking", "epochBlocks"))
        epoch = (head + 2) // self._epoch_blocks  # mined in head + 1, drawn from head + 2
        if int(await self._call("AgentStaking", "totalWeightAt", model, epoch)) == 0:
            eligible = int(await self._call("AgentStaking", "eligibleCount", model))
            why = (
                "no agent serves this model"
                if eligible == 0
                else f"its {eligible} agent(s) count for draws from the next stake epoch"
                f" (every {self._epoch_blocks} blocks)"
            )
            raise Rejected("model", f"has no agent with stake in the draw epoch: {why}")

    async def _estimate(self, tx: dict[str, str], sender: str | None) -> int | None:
        """Simulate the transaction (``eth_estimateGas``) and add a margin.

        With the sender known, a revert is the contract's answer (409). Without one
        the simulation may fail for want of funds: then the wallet estimates.
        """
        call = {k: tx[k] for k in ("to", "data", "value")}
        if sender is not None:
            call["from"] = sender
        try:
            gas = int(await self.rpc.call("eth_estimateGas", [call]), 16)
        except RpcError as exc:
            if sender is not None:
                raise Rejected("from", f"the transaction would fail: {exc.rpc_message}") from exc
            return None
        return gas * (100 + GAS_MARGIN_PERCENT) // 100
