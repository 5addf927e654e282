"""The worker's model packages: their ids at once, their engines loaded in background threads.

A worker follows the chain from its first second. Which tasks are its own it knows
from the ids its packages' manifests declare (:func:`~oracles.engine.declared_model_id`:
no model file is read), while every package loads in a thread of its own, all at
once (onnxruntime releases the GIL while it builds a session, hashlib while it hashes
the files). Until a model is loaded its tasks wait: the reconcile pass leaves them for
a later pass, and the worker looks again as soon as the model is in. Every other task,
and every send (commits and reveals of outputs stored before a restart, finalizes),
goes on meanwhile.

A package whose files do not hash to its declared id (the id checked on chain) does
not load, and the worker stops with that error, as it would have before following
the chain.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import structlog

from oracles.engine import declared_model_id
from oracles.errors import AgentnetError

if TYPE_CHECKING:  # not imported at start: it imports what the worker's threads wait for
    from oracles.worker.inference import Runner

log = structlog.get_logger("agentnet.worker")


class ModelLoadError(AgentnetError):
    """A model package could not be loaded (its files, its id, its graph)."""


@dataclass(frozen=True)
class Loaded:
    """An engine, and where its session's graph came from (see oracles.engine.cache)."""

    runner: Runner
    cache: str = "off"


# Loads the package in a folder as an engine, refusing it unless it hashes to the id.
Loader = Callable[[str, bytes], Loaded]


@dataclass
class ModelLoad:
    """One package being loaded, then loaded (or failed)."""

    folder: str
    model_id: bytes
    future: concurrent.futures.Future[Loaded] = field(default_factory=concurrent.futures.Future)
    seconds: float | None = None  # in its thread, from start to loaded (or failed)
    cache: str | None = None
    error: str | None = None

    @property
    def state(self) -> str:
        if self.error is not None:
            return "failed"
        return "loaded" if self.cache is not None else "loading"


class Models:
    """The packages of one worker, by declared id, and the engines loaded so far."""

    def __init__(self, folders: Sequence[str], load: Loader) -> None:
        """Read every package's declared id (PackageError for a package without a
        readable manifest); nothing loads before :meth:`start`."""
        self.loads: dict[bytes, ModelLoad] = {}
        for folder in folders:
            model_id = bytes.fromhex(declared_model_id(folder).removeprefix("0x"))
            self.loads.setdefault(model_id, ModelLoad(folder, model_id))
        self.engines: dict[bytes, Runner] = {}  # filled (in the event loop) as they load
        self._load = load
        self._threads: list[threading.Thread] = []
        self._started = 0.0

    @property
    def ids(self) -> list[bytes]:
        return list(self.loads)

    @property
    def ready(self) -> bool:
        """Whether every model is loaded."""
        return len(self.engines) == len(self.loads)

    def start(self) -> None:
        """Start loading every package, each in a thread of its own."""
        self._started = time.perf_counter()
        for item in self.loads.values():
            thread = threading.Thread(
                target=self._run, args=(item,), name=f"agentnet-load-{item.model_id[:4].hex()}"
            )
            thread.daemon = True  # a stopping worker does not wait for a load...
            thread.start()
            self._threads.append(thread)

    def join(self) -> None:
        """...but its process ends after them (they cannot be interrupted), so that
        nothing they log comes after the worker's last line."""
        for thread in self._threads:
            thread.join()

    def _run(self, item: ModelLoad) -> None:
        began = time.perf_counter()
        try:
            loaded = self._load(item.folder, item.model_id)
        except BaseException as exc:  # handed to the worker through the future
            item.seconds = time.perf_counter() - began
            item.future.set_exception(exc)
        else:
            item.seconds = time.perf_counter() - began
            item.future.set_result(loaded)

    async def run(self, on_loaded: Callable[[bytes, float], None]) -> None:
        """Hand each engine to the worker as it loads (``on_loaded(model id, seconds)``);
        raise :class:`ModelLoadError` for the first package that fails."""
        pending = {asyncio.wrap_future(item.future): item for item in self.loads.values()}
        while pending:
            done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for future in done:
                item = pending.pop(future)
                error = future.exception()
                if error is not None:
                    item.error = str(error)
                    raise ModelLoadError(f"model package {item.folder}: {error}") from error
                loaded = future.result()
                self.engines[item.model_id] = loaded.runner
                item.cache = loaded.cache
                seconds = item.seconds or 0.0
                log.info(
                    "worker.model_loaded",
                    model="0x" + item.model_id.hex(),
                    folder=item.folder,
                    load_s=round(seconds, 3),
                    cache=loaded.cache,
                )
                on_loaded(item.model_id, seconds)
        log.info("worker.models_ready", since_start_s=round(time.perf_counter() - self._started, 3))

    def health(self) -> dict[str, dict[str, object]]:
        """Per model id (0x-hex): its folder, state (loading, loaded, failed), load time
        and where its graph came from."""
        return {
            "0x" + item.model_id.hex(): {
                "folder": item.folder,
                "state": item.state,
                "load_s": None if item.seconds is None else round(item.seconds, 3),
                "cache": item.cache,
            }
            for item in self.loads.values()
        }
