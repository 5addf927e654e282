"""Poking slashed agents: bringing their draw weights in line with their stake.

A slash lowers an agent's stake at once but leaves the stake trees the draws read
alone; ``AgentStaking.poke(agent)`` (anyone may call it) recomputes the agent's
weights. The worker writes down every ``Slashed`` event it follows and, for an
agent serving one of its models, sends ``poke`` only while the agent's weight in
one of those trees differs from the weight its stake gives it (so a poke someone
else sent first, or a slash that left the weight as it was, costs nothing).

Who sends: the members of the task the slash came from, those not slashed first,
in member order, one ``finalize_backoff`` apart; any other worker after about
three back-offs (:mod:`~oracles.worker.turns`); each looks at the weights again
before sending.

This module only decides; :mod:`~oracles.worker.submission` sends.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection

import structlog

from oracles.worker.chainview import ChainReads
from oracles.worker.store import PokeRow, TaskStore
from oracles.worker.turns import turn_wait

log = structlog.get_logger("agentnet.worker")


class Pokes:
    """Which slashed agents this worker should poke now."""

    def __init__(
        self,
        view: ChainReads,
        store: TaskStore,
        agent: str,
        models: Collection[bytes],
        finalize_backoff: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.view = view
        self.store = store
        self.agent = agent
        self.models = set(models)
        self.finalize_backoff = finalize_backoff
        self.clock = clock
        self._since: dict[str, float] = {}  # agent -> when this worker first saw it slashed

    async def due(self, held: Collection[str]) -> list[str]:
        """Agents to poke now (``held``: pokes already in flight)."""
        by_agent: dict[str, list[PokeRow]] = {}
        for poke in self.store.pokes():
            by_agent.setdefault(poke.agent, []).append(poke)
        due = []
        for agent, slashes in by_agent.items():
            if agent in held:
                continue
            now = self.clock()
            waited = now - self._since.setdefault(agent, now)
            if waited < min(self._wait(poke) for poke in slashes):
                continue
            weights = await self.view.agent_weights(agent, self.models)
            if not weights.stale:
                self.store.forget_pokes(agent)
                self._since.pop(agent, None)
                continue
            log.info(
                "worker.poke_due",
                agent=agent,
                stake_weight=weights.stake_weight,
                tree_weights={"0x" + m.hex(): w for m, w in weights.tree_weights.items()},
            )
            due.append(agent)
        return due

    def _wait(self, poke: PokeRow) -> float:
        """Seconds to leave others after the slash, by our place in the slashed task."""
        row = self.store.get(poke.task_id)
        slashed = {p.agent for p in self.store.pokes() if p.task_id == poke.task_id}
        members = list(dict.fromkeys(row.committee)) if row is not None else []
        ranked = [m for m in members if m not in slashed] + [m for m in members if m in slashed]
        return turn_wait(self.agent, ranked, self.finalize_backoff, f"poke:{poke.agent}")
