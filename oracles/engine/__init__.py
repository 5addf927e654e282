"""Torch-free inference engine: onnxruntime + tokenizers + numpy.

``Engine.load(package_dir)`` verifies a model package and serves its task kind;
``Engine.run(bytes) -> bytes`` gives canonical output bytes (see
:mod:`oracles.engine.canonical` for the output formats and the error codes);
``Batcher`` groups concurrent requests into ``Engine.run_batch`` calls;
``SessionCache`` keeps optimized graphs so that a later load skips graph
optimization (:mod:`oracles.engine.cache`); ``declared_model_id`` reads a package's
id from its manifest without hashing its files (:mod:`oracles.engine.loading`).
"""

from oracles.engine.batcher import Batcher
from oracles.engine.cache import SessionCache
from oracles.engine.canonical import ERROR_CODES
from oracles.engine.engine import Engine
from oracles.engine.loading import declared_model_id

__all__ = ["ERROR_CODES", "Batcher", "Engine", "SessionCache", "declared_model_id"]
