"""Prometheus metrics of the chain layer, registered in a registry the service owns.

Pass one :class:`ChainMetrics` to the RPC client, followers and senders of a process;
each of them works without one too.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class ChainMetrics:
    """Counters and gauges for RPC calls, followed logs, reorgs and transactions."""

    def __init__(self, registry: CollectorRegistry, namespace: str = "agentnet_chain") -> None:
        self.rpc_requests = Counter(
            "rpc_requests",
            "JSON-RPC requests by method and outcome (ok, rpc_error, transport_error)",
            ["method", "outcome"],
            namespace=namespace,
            registry=registry,
        )
        self.rpc_failovers = Counter(
            "rpc_failovers", "Switches to another RPC URL", namespace=namespace, registry=registry
        )
        self.follower_cursor = Gauge(
            "follower_cursor_block",
            "Last block delivered by a log follower",
            ["follower"],
            namespace=namespace,
            registry=registry,
        )
        self.follower_logs = Counter(
            "follower_logs",
            "Logs delivered by a log follower",
            ["follower"],
            namespace=namespace,
            registry=registry,
        )
        self.follower_reorgs = Counter(
            "follower_reorgs",
            "Reorgs a log follower rolled back",
            ["follower"],
            namespace=namespace,
            registry=registry,
        )
        self.tx_sent = Counter(
            "tx_sent",
            "Transactions broadcast (first sends and fee-bumped replacements)",
            ["sender", "kind"],
            namespace=namespace,
            registry=registry,
        )
        self.tx_outcomes = Counter(
            "tx_outcomes",
            "Transactions by outcome (mined, reverted, simulation_reverted)",
            ["sender", "outcome"],
            namespace=namespace,
            registry=registry,
        )
