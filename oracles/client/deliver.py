"""Hand a finalized task's output to the consumer contract that posted it.

A consumer contract (``contracts/consumer/consumer.vy``, ``AgentnetConsumer.sol``) has
``deliver(uint256 task_id, bytes output)``: it checks ``output`` against the task's accepted
result hash and acts on it. Anyone may send it; usually the client that asked the contract
to post the task does, right after the task is finalized (see ``docs/consumers.md``).
"""

from __future__ import annotations

from typing import Any

from eth_abi import encode
from eth_utils import keccak
from eth_utils.address import is_address, to_checksum_address

from oracles.chain.errors import SimulationReverted
from oracles.client.errors import ClientError, NoAccount, Reverted
from oracles.client.market import Market

DELIVER_SIGNATURE = "deliver(uint256,bytes)"
DELIVER_SELECTOR = keccak(text=DELIVER_SIGNATURE)[:4]


def deliver_calldata(task_id: int, output: bytes) -> bytes:
    """Calldata of ``deliver(task_id, output)``."""
    return DELIVER_SELECTOR + encode(["uint256", "bytes"], [task_id, output])


async def send_delivery(
    market: Market, consumer: str, task_id: int, output: bytes
) -> dict[str, Any]:
    """Simulate and send ``consumer.deliver(task_id, output)``; the receipt.

    A refusal (the contract did not post the task, it was delivered already, ...) raises
    :class:`Reverted` with the contract's reason; nothing is sent then.
    """
    if not is_address(consumer):
        raise ClientError(f"{consumer!r} is not a contract address (0x and 40 hex digits)")
    if market.sender is None:
        raise NoAccount("delivering sends a transaction: pass account= or use from_keystore()")
    try:
        return await market.sender.send(
            to_checksum_address(consumer), deliver_calldata(task_id, output)
        )
    except SimulationReverted as exc:
        raise Reverted("deliver", exc.reason, exc.data) from None
