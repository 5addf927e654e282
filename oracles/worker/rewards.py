"""Claiming the agent's rewards: ``withdraw`` with the owner key above a threshold.

Only the owner's key can withdraw (a signer key cannot, by design), so this runs
only when the operator gave the worker an owner keystore and a claim threshold.
"""

from __future__ import annotations

import structlog

from oracles.chain.contracts import Contract
from oracles.chain.errors import ChainError
from oracles.chain.sender import TxSender
from oracles.worker.chainview import ChainReads

log = structlog.get_logger("agentnet.worker")


class RewardClaimer:
    """Withdraws the agent's claimable rewards once they reach ``threshold`` wei."""

    def __init__(
        self,
        view: ChainReads,
        owner_sender: TxSender,
        market: Contract,
        agent: str,
        threshold: int,
    ) -> None:
        self.view = view
        self.owner_sender = owner_sender
        self.market = market
        self.agent = agent
        self.threshold = threshold

    async def claim_if_due(self) -> None:
        """Withdraw if the claimable balance reached the threshold (errors are logged)."""
        try:
            claimable = await self.view.claimable(self.agent)
            if claimable < self.threshold:
                return
            receipt = await self.owner_sender.send(
                self.market.address, self.market.encode("withdraw")
            )
            log.info("worker.claimed", amount=claimable, tx=receipt["transactionHash"])
        except ChainError as exc:
            log.warning("worker.claim_failed", error=str(exc))
