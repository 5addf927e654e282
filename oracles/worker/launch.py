"""Starting a worker process from its settings: logging, models, keys, signals.

``agentnet worker`` calls :func:`run_worker` with :func:`engine_loader`. The model
packages start loading at once, each in a thread of its own
(:mod:`~oracles.worker.models`), before the worker's own imports, the keystores and
the chain: the worker follows the chain while they load. A test may give another
loader (engines wrapped to misbehave, or held back) and get the same worker.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable

from oracles.worker.models import Loaded, Loader, Models
from oracles.worker.settings import Settings

EngineLoader = Callable[[Settings], Loader]


def engine_loader(settings: Settings) -> Loader:
    """Loads a package as an onnxruntime engine, refused unless its files hash to the
    id given (the one checked on chain); optimized graphs are kept in
    ``settings.session_cache`` (see :mod:`oracles.engine.cache`)."""
    from oracles.engine import Engine

    def load(folder: str, model_id: bytes) -> Loaded:
        engine = Engine.load(
            folder, threads=settings.threads, expected_id=model_id, cache=settings.session_cache
        )
        return Loaded(engine, engine.cache_status)

    return load


def run_worker(settings: Settings, loader: EngineLoader = engine_loader) -> int:
    """Run a worker until SIGINT or SIGTERM; its exit status (0 after a clean stop).

    An unexpected error propagates (after the worker logged ``worker.failed``), so
    the process exits non-zero.
    """
    from oracles import logs

    logs.configure(settings.log_format)
    models = Models(settings.model, loader(settings))
    models.start()
    try:
        from oracles.chain.keys import load_keystore
        from oracles.worker.node import Worker

        signer = load_keystore(settings.signer_keystore, password_file=settings.password_file)
        owner = None
        if settings.owner_keystore:
            owner = load_keystore(settings.owner_keystore, password_file=settings.password_file)
        worker = Worker(settings.node(), signer, models, owner=owner)

        async def main() -> None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            await worker.run(stop)

        asyncio.run(main())
    finally:
        models.join()
    return 0
