"""Starting a worker process from its settings: logging, keys, engines, signals.

``agentnet worker`` calls :func:`run_worker` with :func:`load_engines`; a test may
give another loader (engines wrapped to misbehave) and get the same worker.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Mapping

from oracles.worker.inference import Runner
from oracles.worker.settings import Settings

EngineLoader = Callable[[Settings], Mapping[bytes, Runner]]


def load_engines(settings: Settings) -> dict[bytes, Runner]:
    """One onnxruntime engine per model package, by model id."""
    from oracles.engine import Engine

    engines: dict[bytes, Runner] = {}
    for folder in settings.model:
        engine = Engine.load(folder, threads=settings.threads)
        engines[bytes.fromhex(engine.model_id.removeprefix("0x"))] = engine
    return engines


def run_worker(settings: Settings, load: EngineLoader = load_engines) -> int:
    """Run a worker until SIGINT or SIGTERM; its exit status (0 after a clean stop).

    An unexpected error propagates (after the worker logged ``worker.failed``), so
    the process exits non-zero.
    """
    from oracles import logs
    from oracles.chain.keys import load_keystore
    from oracles.worker.node import Worker

    logs.configure(settings.log_format)
    signer = load_keystore(settings.signer_keystore, password_file=settings.password_file)
    owner = None
    if settings.owner_keystore:
        owner = load_keystore(settings.owner_keystore, password_file=settings.password_file)
    worker = Worker(settings.node(), signer, load(settings), owner=owner)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await worker.run(stop)

    asyncio.run(main())
    return 0
