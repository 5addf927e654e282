"""The oracle worker: follows the TaskMarket, runs committee tasks, commits, reveals, finalizes.

* :mod:`~oracles.worker.node`: the parts wired together and the loops that run them;
* :mod:`~oracles.worker.reconcile`: the reconcile pass (read the chain, decide, hand on);
* :mod:`~oracles.worker.intake`: followed logs -> task rows (and forgetting them on a reorg);
* :mod:`~oracles.worker.seating`: waiting tasks: are we seated, who activates them;
* :mod:`~oracles.worker.inference`: batching due tasks through their model's engine;
* :mod:`~oracles.worker.submission`: calldata, EIP-712 signatures, batched sends;
* :mod:`~oracles.worker.settlement`: who finalizes, with what and when; outcomes;
* :mod:`~oracles.worker.pokes`: poking slashed agents so draw weights follow stakes;
* :mod:`~oracles.worker.rewards`: withdrawing rewards with the owner key;
* :mod:`~oracles.worker.store`: per-task state in SQLite (survives kill -9);
* :mod:`~oracles.worker.schema`: its tables and the migration of older files;
* :mod:`~oracles.worker.chainview`: typed reads of the contracts;
* :mod:`~oracles.worker.compose`: the engine input of a task with parents;
* :mod:`~oracles.worker.settings`: settings from flags, environment and TOML;
* :mod:`~oracles.worker.launch`: starting a worker process (keys, engines, signals);
* :mod:`~oracles.worker.telemetry`: Prometheus metrics, /metrics and /healthz.
"""
