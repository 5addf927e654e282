"""The oracle worker: follows the TaskMarket, runs committee tasks, commits, reveals, finalizes.

* :mod:`~oracles.worker.store`: per-task state in SQLite (survives kill -9);
* :mod:`~oracles.worker.events`: turns followed logs into rows (reorg-aware);
* :mod:`~oracles.worker.chainview`: typed reads of the contracts;
* :mod:`~oracles.worker.compose`: the engine input of a task with parents;
* :mod:`~oracles.worker.node`: the reconcile loop that decides and sends;
* :mod:`~oracles.worker.telemetry`: Prometheus metrics, /metrics and /healthz.
"""
