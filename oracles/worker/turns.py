"""Whose turn it is: when each of several workers that could send the same transaction
(``finalize``, ``poke``, ``activate``) sends it, so that one usually does and the others
find it done when they look again.

Workers with a stake in the outcome are ranked (members in member order, for
example): the one ranked ``r`` waits ``r`` back-offs. Everyone else waits
:data:`ABANDONED_AFTER_BACKOFFS` back-offs plus a spread of up to one back-off that
differs from worker to worker (a hash of the action and the agent), instead of
all of them sending at the same moment.
"""

from __future__ import annotations

from collections.abc import Sequence

from eth_utils import keccak

ABANDONED_AFTER_BACKOFFS = 3


def spread(key: str, agent: str) -> float:
    """A number in [0, 1) fixed for ``key`` and ``agent``, different across agents."""
    digest = keccak(f"{key}:{agent.lower()}".encode())
    return int.from_bytes(digest[:4], "big") / 2**32


def turn_wait(agent: str, ranked: Sequence[str], backoff: float, key: str) -> float:
    """Seconds ``agent`` leaves the others before it sends the action named ``key``."""
    if agent in ranked:
        return ranked.index(agent) * backoff
    return (ABANDONED_AFTER_BACKOFFS + spread(key, agent)) * backoff
