"""Prometheus metrics of a worker, and its /metrics and /healthz endpoints.

/healthz answers 200 while the reconcile loop runs (``ok``), with the chain cursor,
the task counts, and per model whether it is loaded yet (``models``; ``ready`` once
all are): a worker follows the chain while its models load.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from oracles.chain.metrics import ChainMetrics


class WorkerMetrics:
    """Task, inference, chain and balance metrics, in a registry the worker owns."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        ns = "agentnet_worker"
        self.chain = ChainMetrics(self.registry)
        self.tasks = Counter(
            "tasks",
            "Tasks by step reached (seen, computed, committed, revealed, finalized, failed)",
            ["step"],
            namespace=ns,
            registry=self.registry,
        )
        self.inference_seconds = Histogram(
            "inference_seconds",
            "Engine time per batch of task inputs",
            ["model"],
            namespace=ns,
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )
        self.overhead_seconds = Histogram(
            "overhead_seconds",
            "Event seen to transaction sent, minus inference",
            namespace=ns,
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
        )
        self.model_load_seconds = Gauge(
            "model_load_seconds",
            "Seconds the model took to load at start (package check, session, tokenizer)",
            ["model"],
            namespace=ns,
            registry=self.registry,
        )
        self.chain_lag = Gauge(
            "chain_lag_blocks",
            "Head minus the last block the worker has processed",
            namespace=ns,
            registry=self.registry,
        )
        self.balance = Gauge(
            "signer_balance_wei",
            "ETH of the signer key that pays gas",
            namespace=ns,
            registry=self.registry,
        )
        self.claimable = Gauge(
            "claimable_wei",
            "Rewards the agent can withdraw",
            namespace=ns,
            registry=self.registry,
        )
        self.tx = Counter(
            "tx",
            "Transactions by action and outcome (sent, failed)",
            ["action", "outcome"],
            namespace=ns,
            registry=self.registry,
        )


class HealthServer:
    """Serves /metrics and /healthz on a loopback port (0 picks a free one)."""

    def __init__(
        self,
        metrics: WorkerMetrics,
        health: Callable[[], dict[str, object]],
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.metrics = metrics
        self.health = health
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None
        self.started_at = time.time()

    async def _metrics(self, _: web.Request) -> web.Response:
        return web.Response(
            body=generate_latest(self.metrics.registry),
            headers={"Content-Type": CONTENT_TYPE_LATEST},
        )

    async def _healthz(self, _: web.Request) -> web.Response:
        body = self.health()
        return web.json_response(body, status=200 if body.get("ok") else 503)

    async def start(self) -> int:
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._healthz)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        if server is not None and server.sockets:  # type: ignore[attr-defined]
            self.port = int(server.sockets[0].getsockname()[1])  # type: ignore[attr-defined]
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
