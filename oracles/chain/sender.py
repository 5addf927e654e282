"""Send transactions from one signer key: nonces, EIP-1559 fees, simulation, fee bumps.

One :class:`TxSender` per key. Nonces are assigned under an ``asyncio.Lock`` from a local
counter, read from the chain (``eth_getTransactionCount(addr, "pending")``) on first use
and again after any nonce error ("nonce too low", "replacement underpriced"). Every
transaction is simulated with ``eth_call`` first; a revert raises
:class:`SimulationReverted` carrying the reason string, and nothing is sent.

Fee policy (EIP-1559, type-2 transactions):

* priority fee: ``eth_maxPriorityFeePerGas``, or ``FeePolicy.fallback_priority_fee``
  (1 gwei) when the node does not answer it;
* max fee: ``base_fee_multiplier`` (2) x the latest block's base fee + priority fee, so a
  transaction stays includable through several blocks of rising base fee;
* bump: a transaction not mined ``bump_after_blocks`` (3) blocks after it was sent is
  replaced, same nonce, with both the max fee and the priority fee raised to at least
  112.5% of the previous ones plus 1 wei (nodes require +10%; 12.5% is the margin most
  use), or to the current market fees if those are higher; at most ``max_bumps`` (5)
  times, never above ``max_fee_cap`` when one is set. Every hash sent for a nonce is
  watched, since any of them may be the one mined. After the last bump the sender keeps
  waiting (until ``receipt_timeout``) rather than give up on a transaction that may
  still be mined.
* a transaction the node no longer knows (dropped by a reorg or a restart) is
  broadcast again, byte for byte.

Sending is idempotent across flaky endpoints: a raw transaction the node reports as
"already known", or whose hash the node already has, counts as sent. The receipt is
returned; status 0 raises :class:`TransactionFailed`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any

import structlog
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address

from oracles.chain.errors import (
    RpcError,
    RpcUnavailable,
    SimulationReverted,
    TransactionError,
    TransactionFailed,
    TransactionNotMined,
)
from oracles.chain.fees import GWEI, FeePolicy, SentTx
from oracles.chain.reverts import is_revert, revert_reason
from oracles.chain.rpc import AsyncRpcClient

__all__ = ["GWEI", "FeePolicy", "SentTx", "TxSender", "revert_reason", "send_sync"]

log = structlog.get_logger(__name__)

_NONCE_ERRORS = ("nonce too low", "already used", "underpriced", "nonce has already been")
_KNOWN_ERRORS = ("already known", "known transaction", "already imported")


class TxSender:
    """Sends transactions signed by ``account``, one nonce sequence, via ``rpc``.

    Use one instance per key per process: two instances of one key would race for
    nonces (the loser resyncs, but a higher-fee one could replace the other's tx).
    Metrics go to ``rpc.metrics`` when the client has them.
    """

    def __init__(
        self,
        rpc: AsyncRpcClient,
        account: LocalAccount,
        *,
        fees: FeePolicy | None = None,
        poll_interval: float = 0.5,
        receipt_timeout: float = 600.0,
        on_sent: Callable[[SentTx], None] | None = None,
    ) -> None:
        self.rpc = rpc
        self.metrics = rpc.metrics
        self.account = account
        self.address = to_checksum_address(account.address)
        self.fees = fees or FeePolicy()
        self.poll_interval = poll_interval
        self.receipt_timeout = receipt_timeout
        self.on_sent = on_sent
        self._lock = asyncio.Lock()
        self._nonce: int | None = None
        self._chain_id: int | None = None
        self._inflight = 0
        self._fee_cache: tuple[float, tuple[int, int]] | None = None
        self._from_mined = False

    # --- chain reads -------------------------------------------------------------
    async def resync_nonce(self) -> int:
        """Reset the local nonce to the chain's pending transaction count (or, once after
        :meth:`forget_pending`, to its mined count)."""
        tag = "latest" if self._from_mined else "pending"
        self._from_mined = False
        count = int(await self.rpc.call("eth_getTransactionCount", [self.address, tag]), 16)
        self._nonce = count
        return count

    def forget_pending(self) -> None:
        """After a reorg, take the next nonce from the mined count, not the pending one.

        A node that does not put a reorg's dropped transactions back in its pool (anvil)
        leaves our later pending ones behind a nonce gap; the pending count would queue a
        resubmission behind the same gap. A transaction at the mined count fills it (or,
        if that nonce is still pending, is refused as an underpriced replacement and the
        next resync falls back to the pending count).
        """
        self._from_mined = True

    async def market_fees(self) -> tuple[int, int]:
        """``(max_fee, priority_fee)`` for a transaction sent now.

        Cached for ``FeePolicy.fee_cache_seconds`` (about a block): the max fee already
        allows for several blocks of rising base fee.
        """
        cached = self._fee_cache
        if cached is not None and time.monotonic() - cached[0] < self.fees.fee_cache_seconds:
            return cached[1]
        fees = await self._market_fees()
        self._fee_cache = (time.monotonic(), fees)
        return fees

    async def _market_fees(self) -> tuple[int, int]:
        block = await self.rpc.get_block("latest")
        base = int((block or {}).get("baseFeePerGas", "0x0"), 16)
        try:
            priority = int(await self.rpc.call("eth_maxPriorityFeePerGas"), 16)
        except RpcError:
            priority = self.fees.fallback_priority_fee
        max_fee = base * self.fees.base_fee_multiplier + priority
        if self.fees.max_fee_cap is not None:
            max_fee = min(max_fee, self.fees.max_fee_cap)
            priority = min(priority, max_fee)
        return max_fee, priority

    def _call_obj(self, to: str | None, data: bytes, value: int) -> dict[str, Any]:
        obj: dict[str, Any] = {"from": self.address, "data": "0x" + data.hex(), "value": hex(value)}
        if to is not None:
            obj["to"] = to_checksum_address(to)
        return obj

    async def simulate(
        self, to: str | None, data: bytes = b"", value: int = 0, block: str = "latest"
    ) -> bytes:
        """``eth_call`` the transaction; return its output or raise :class:`SimulationReverted`."""
        try:
            out = await self.rpc.call("eth_call", [self._call_obj(to, data, value), block])
        except RpcError as exc:
            if is_revert(exc):
                raise SimulationReverted(revert_reason(exc), str(exc.data)) from None
            raise
        return bytes.fromhex(str(out)[2:])

    async def estimate_gas(self, to: str | None, data: bytes = b"", value: int = 0) -> int:
        """``eth_estimateGas`` plus the policy's margin."""
        try:
            gas = int(await self.rpc.call("eth_estimateGas", [self._call_obj(to, data, value)]), 16)
        except RpcError as exc:
            if is_revert(exc):
                raise SimulationReverted(revert_reason(exc), str(exc.data)) from None
            raise
        return gas * (100 + self.fees.gas_margin_percent) // 100

    # --- broadcasting ------------------------------------------------------------
    async def _tx_known(self, tx_hash: str) -> bool:
        try:
            return await self.rpc.call("eth_getTransactionByHash", [tx_hash]) is not None
        except (RpcError, RpcUnavailable):
            return False

    async def _broadcast(self, tx: dict[str, Any], attempt: int) -> SentTx:
        signed = self.account.sign_transaction(tx)
        tx_hash = "0x" + signed.hash.hex()
        raw = "0x" + signed.raw_transaction.hex()
        try:
            await self.rpc.call("eth_sendRawTransaction", [raw])
        except RpcError as exc:
            msg = exc.rpc_message.lower()
            known = any(k in msg for k in _KNOWN_ERRORS)
            if not known and not await self._tx_known(tx_hash):
                raise
        except RpcUnavailable:
            if not await self._tx_known(tx_hash):
                raise
        sent = SentTx(
            tx_hash, tx["nonce"], tx["maxFeePerGas"], tx["maxPriorityFeePerGas"], attempt, raw
        )
        log.info("tx.sent", sender=self.address, tx=tx_hash, nonce=sent.nonce, attempt=attempt)
        if self.on_sent is not None:
            self.on_sent(sent)
        if self.metrics is not None:
            kind = "replacement" if attempt else "new"
            self.metrics.tx_sent.labels(self.address, kind).inc()
        return sent

    async def _send_new(self, base_tx: dict[str, Any]) -> tuple[dict[str, Any], SentTx]:
        """Assign a nonce and broadcast; resync the nonce after nonce errors.

        With nothing of ours in flight, the local nonce is reset to the chain's pending
        count first: a reorg or a node restart may have forgotten transactions, and a
        nonce above the pending count would wait forever behind the gap.
        """
        for _ in range(4):
            if self._nonce is None or self._inflight == 0:
                await self.resync_nonce()
            assert self._nonce is not None
            tx = {**base_tx, "nonce": self._nonce}
            try:
                sent = await self._broadcast(tx, 0)
            except RpcError as exc:
                if any(k in exc.rpc_message.lower() for k in _NONCE_ERRORS):
                    log.info("tx.nonce_resync", sender=self.address, error=exc.rpc_message)
                    self._nonce = None
                    continue
                raise
            self._nonce = tx["nonce"] + 1
            return tx, sent
        raise TransactionError(f"{self.address}: could not get a free nonce after resyncs")

    async def send(
        self,
        to: str | None,
        data: bytes = b"",
        value: int = 0,
        gas: int | None = None,
        *,
        simulate: bool = True,
    ) -> dict[str, Any]:
        """Simulate, sign, send (``to=None`` deploys) and wait; return the receipt.

        Raises :class:`SimulationReverted` (nothing sent), :class:`TransactionFailed`
        (mined with status 0) or :class:`TransactionNotMined` (``receipt_timeout``).
        """
        async with self._lock:
            if self._chain_id is None:
                self._chain_id = await self.rpc.chain_id()
            try:
                # eth_estimateGas executes the call too (and reverts with its reason), so
                # a separate eth_call is only needed when the caller fixed the gas.
                if gas is None:
                    gas = await self.estimate_gas(to, data, value)
                elif simulate:
                    await self.simulate(to, data, value)
            except SimulationReverted:
                self._outcome("simulation_reverted")
                raise
            max_fee, priority = await self.market_fees()
            base_tx: dict[str, Any] = {
                "type": 2,
                "chainId": self._chain_id,
                "value": value,
                "data": data,
                "gas": gas,
                "maxFeePerGas": max_fee,
                "maxPriorityFeePerGas": priority,
            }
            if to is not None:
                base_tx["to"] = to_checksum_address(to)
            tx, sent = await self._send_new(base_tx)
            self._inflight += 1
        try:
            receipt = await self._wait(tx, [sent])
        finally:
            self._inflight -= 1
        if int(receipt["status"], 16) != 1:
            self._outcome("reverted")
            reason = await self._replay_reason(to, data, value, receipt)
            raise TransactionFailed(receipt["transactionHash"], receipt, reason)
        self._outcome("mined")
        return receipt

    def _outcome(self, outcome: str) -> None:
        if self.metrics is not None:
            self.metrics.tx_outcomes.labels(self.address, outcome).inc()

    async def deploy(self, initcode: bytes, value: int = 0) -> tuple[str, dict[str, Any]]:
        """Deploy a contract; return its checksummed address and the receipt."""
        receipt = await self.send(None, initcode, value)
        return str(to_checksum_address(receipt["contractAddress"])), receipt

    async def _replay_reason(
        self, to: str | None, data: bytes, value: int, receipt: dict[str, Any]
    ) -> str | None:
        """Best effort: the revert reason from replaying the call before its block."""
        block = hex(max(0, int(receipt["blockNumber"], 16) - 1))
        try:
            await self.simulate(to, data, value, block=block)
        except SimulationReverted as exc:
            return exc.reason
        except Exception:
            return None
        return None

    async def _receipt(self, sent: list[SentTx]) -> dict[str, Any] | None:
        for record in reversed(sent):
            receipt = await self.rpc.call("eth_getTransactionReceipt", [record.tx_hash])
            if receipt is not None and receipt.get("blockNumber"):
                return dict(receipt)
        return None

    async def _wait(self, tx: dict[str, Any], sent: list[SentTx]) -> dict[str, Any]:
        """Poll receipts of every hash sent for ``tx``'s nonce; bump fees when it lingers.

        After ``max_bumps`` replacements it stops bumping but keeps waiting: giving up
        on a transaction that may still be mined would invite a double send.
        """
        deadline = time.monotonic() + self.receipt_timeout
        sent_at = await self.rpc.block_number()
        while True:
            receipt = await self._receipt(sent)
            if receipt is not None:
                return receipt
            mined_nonce = int(
                await self.rpc.call("eth_getTransactionCount", [self.address, "latest"]), 16
            )
            if mined_nonce > tx["nonce"]:
                # The nonce is used: by one of ours mined since the check above, or not.
                receipt = await self._receipt(sent)
                if receipt is not None:
                    return receipt
                raise TransactionError(
                    f"nonce {tx['nonce']} of {self.address} was used by another transaction"
                )
            if time.monotonic() > deadline:
                raise TransactionNotMined(
                    f"no receipt for {sent[-1].tx_hash} (nonce {tx['nonce']}) "
                    f"in {self.receipt_timeout}s; it may still be mined"
                )
            if not await self._tx_known(sent[-1].tx_hash):
                # Dropped from the pool (a reorg, a node restart): send the same bytes again.
                log.info("tx.rebroadcast", sender=self.address, tx=sent[-1].tx_hash)
                with contextlib.suppress(RpcError):
                    await self.rpc.call("eth_sendRawTransaction", [sent[-1].raw])
            head = await self.rpc.block_number()
            if head - sent_at >= self.fees.bump_after_blocks and len(sent) <= self.fees.max_bumps:
                tx = await self._bump(tx, sent)
                sent_at = head
            await asyncio.sleep(self.poll_interval)

    async def _bump(self, tx: dict[str, Any], sent: list[SentTx]) -> dict[str, Any]:
        market_max, market_priority = await self.market_fees()
        max_fee = max(self.fees.bumped(tx["maxFeePerGas"]), market_max)
        priority = max(self.fees.bumped(tx["maxPriorityFeePerGas"]), market_priority)
        if self.fees.max_fee_cap is not None and max_fee > self.fees.max_fee_cap:
            log.warning("tx.bump_capped", sender=self.address, nonce=tx["nonce"])
            return tx
        priority = min(priority, max_fee)
        new = {**tx, "maxFeePerGas": max_fee, "maxPriorityFeePerGas": priority}
        try:
            sent.append(await self._broadcast(new, len(sent)))
        except RpcError as exc:
            # "nonce too low": one of the earlier hashes was mined; the poll will see it.
            log.info("tx.bump_rejected", sender=self.address, error=exc.rpc_message)
            return tx
        return new


def send_sync(
    urls: str | list[str],
    account: LocalAccount,
    to: str | None,
    data: bytes = b"",
    value: int = 0,
    **sender_options: Any,
) -> dict[str, Any]:
    """One transaction from blocking code (the CLI): send it, wait, return the receipt."""

    async def main() -> dict[str, Any]:
        async with AsyncRpcClient(urls) as rpc:
            return await TxSender(rpc, account, **sender_options).send(to, data, value)

    return asyncio.run(main())
