"""Unsigned ``createTask`` transactions for a browser wallet.

The checks are the contract's (``TaskMarket.createTask``), made against the chain's
present state, so that a wallet is not asked to sign a transaction that would revert.
A rule the request breaks given that state (quorum, fee, model, agents, parents, input
size) is a :class:`~frontend_api.errors.Rejected` (HTTP 409) naming the field.
"""

from __future__ import annotations

import json
from typing import Any

from frontend_api.errors import Rejected
from oracles.chain.contracts import Deployment
from oracles.chain.errors import RpcError
from oracles.chain.rpc import AsyncRpcClient
from oracles.protocol import MAX_FEE, MAX_INPUT_BYTES

# The committee draw's gas depends on the block's randomness, so the estimate made
# against one block can fall short in the next: leave a wide margin.
GAS_MARGIN_PERCENT = 50


class Preparer:
    """Validates task requests with ``eth_call`` reads and encodes the calldata."""

    def __init__(self, rpc: AsyncRpcClient, deployment: Deployment) -> None:
        self.rpc = rpc
        self.deployment = deployment
        self.market = deployment["TaskMarket"]

    async def _call(self, contract: str, function: str, *args: Any) -> Any:
        return await self.deployment[contract].acall(self.rpc, function, *args)

    async def prepare(self, req: dict[str, Any], known_task: int) -> dict[str, Any]:
        """``req`` from :func:`validate.prepare_body`; ``known_task``: highest indexed id."""
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
        for parent in parents:
            if parent > known_task:
                raise Rejected("parents", f"task {parent} does not exist")
        if not parents:
            eligible = int(await self._call("AgentStaking", "eligibleCount", model))
            if eligible < size:
                raise Rejected("committee_size", f"only {eligible} agents serve this model")
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
