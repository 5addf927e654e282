"""Torch-free inference engine: onnxruntime + tokenizers + numpy.

``Engine.load(package_dir)`` verifies a model package and serves its task kind;
``Engine.run(bytes) -> bytes`` gives canonical output bytes (see
:mod:`oracles.engine.canonical` for the output formats and the error codes);
``Batcher`` groups concurrent requests into ``Engine.run_batch`` calls.
"""

from oracles.engine.batcher import Batcher
from oracles.engine.canonical import ERROR_CODES
from oracles.engine.engine import Engine

__all__ = ["ERROR_CODES", "Batcher", "Engine"]
