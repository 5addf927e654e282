"""Watching the signer's nonces: a transaction waiting behind a nonce nobody will fill.

After a reorg, or when a send was cancelled while its transaction sat in the pool, a
later transaction of ours can wait behind a nonce that the node holds nothing for
(RECIPES §3: anvil does not put a reorg's dropped transactions back in its pool, and
a queued transaction can be dropped). The sender then waits for a receipt that never
comes. :class:`NonceWatch` remembers the nonces of our transactions still waiting
for a receipt and tells when the node's pending count stops at the mined count below
them: a gap. The submitter then forgets its pending sends, so that the next ones
start from the mined count and fill it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from oracles.chain.rpc import AsyncRpcClient


class NonceWatch:
    """Nonces of our broadcast transactions still waiting for a receipt, by send."""

    def __init__(
        self, rpc: AsyncRpcClient, address: str, clock: Callable[[], float] = time.time
    ) -> None:
        self.rpc = rpc
        self.address = address
        self.clock = clock
        self._waiting: dict[object, tuple[int, float]] = {}  # send -> (lowest nonce, since)

    def sent(self, send: object, nonce: int) -> None:
        """``send`` broadcast a transaction with ``nonce`` (a fee bump keeps the nonce)."""
        if send not in self._waiting:
            self._waiting[send] = (nonce, self.clock())

    def done(self, send: object) -> None:
        """``send`` ended (mined, failed or cancelled)."""
        self._waiting.pop(send, None)

    async def _count(self, tag: str) -> int:
        return int(await self.rpc.call("eth_getTransactionCount", [self.address, tag]), 16)

    async def gap(self, min_age: float) -> tuple[int, int] | None:
        """``(mined count, lowest nonce waiting)`` when nothing of ours can be mined at
        the mined count while a transaction broadcast ``min_age`` seconds ago or more
        waits above it; else ``None``."""
        if not self._waiting:
            return None
        lowest, since = min(self._waiting.values())
        if self.clock() - since < min_age:
            return None
        mined = await self._count("latest")
        if lowest <= mined:
            return None
        if await self._count("pending") > mined:
            return None  # the node holds the next nonce: it can still be mined
        return mined, lowest
