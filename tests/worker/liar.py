"""Test-only: the normal worker, but every engine answers wrongly.

    python -m tests.worker.liar --rpc URL --signer-keystore FILE --model DIR ...

takes the flags of ``agentnet worker`` and runs the same worker (settings, keys,
follower, batched signed sends) with each engine wrapped in :class:`WrongOutput`,
so that it commits and reveals an output the honest members do not. With
``--unsendable`` as its first flag, every output is too long for ``finalize``; with
``--off-by N`` first, every embedding differs from the honest one by N int8 steps in
one coordinate (an honest agent on another CPU, for N = 1), and the worker keeps the
package's agreement rule, so it proves agreement where the rule allows.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from oracles.cli import build_parser
from oracles.engine.canonical import embedding_bytes
from oracles.engine.compare import embedding_vector
from oracles.worker.inference import Runner
from oracles.worker.launch import engine_loader, run_worker
from oracles.worker.models import Loaded, Loader
from oracles.worker.settings import Settings, flags_of, resolve


class WrongOutput:
    """A :class:`~oracles.worker.inference.Runner` that changes every output of ``engine``."""

    def __init__(self, engine: Runner) -> None:
        self.engine = engine

    def run_batch(self, inputs: Sequence[bytes]) -> list[bytes]:
        return [self.wrong(out) for out in self.engine.run_batch(inputs)]

    @staticmethod
    def wrong(output: bytes) -> bytes:
        """What the liar answers where an honest engine answers ``output``."""
        return b'{"error":"dishonest"}' if output[:1] == b"{" else b"{}"


class UnsendableOutput(WrongOutput):
    """Answers a canonical-looking output longer than ``finalize`` takes (8,192 bytes):
    its hash can be revealed, its output never shown."""

    @staticmethod
    def wrong(output: bytes) -> bytes:
        return b'{"text":"' + b"x" * 9_000 + b'"}'


class OffBySteps:
    """A Runner whose embeddings differ from ``engine``'s by ``steps`` int8 steps in
    their first coordinate; it keeps the engine's agreement rule."""

    def __init__(self, engine: Runner, steps: int) -> None:
        self.engine = engine
        self.steps = steps
        self.rule = getattr(engine, "rule", None)

    def run_batch(self, inputs: Sequence[bytes]) -> list[bytes]:
        return [shifted(out, self.steps) for out in self.engine.run_batch(inputs)]


def shifted(output: bytes, steps: int) -> bytes:
    """``output`` with its first int8 coordinate moved ``steps`` away (towards zero
    when it would leave the int8 range); other outputs unchanged."""
    vector = embedding_vector(output)
    if vector is None or vector.size == 0:
        return output
    moved = vector.astype(np.int16)
    moved[0] += steps if moved[0] + steps <= 127 else -steps
    return embedding_bytes(moved.astype(np.int8))


def wrapped_engines(wrap: Callable[[Runner], Runner]) -> Callable[[Settings], Loader]:
    """The worker's engine loader, each engine wrapped by ``wrap``."""

    def engines(settings: Settings) -> Loader:
        load = engine_loader(settings)

        def wrapped(folder: str, model_id: bytes) -> Loaded:
            loaded = load(folder, model_id)
            return replace(loaded, runner=wrap(loaded.runner))

        return wrapped

    return engines


def main(argv: Sequence[str] | None = None) -> int:
    """Run the liar; with ``--unsendable`` first, the one whose outputs are too long;
    with ``--off-by N`` first, the one whose embeddings are N steps off."""
    given = list(sys.argv[1:] if argv is None else argv)
    wrap: Callable[[Runner], Runner] = WrongOutput
    if given[:1] == ["--unsendable"]:
        given, wrap = given[1:], UnsendableOutput
    elif given[:1] == ["--off-by"]:
        steps = int(given[1])
        given, wrap = given[2:], lambda engine: OffBySteps(engine, steps)
    args = build_parser(["worker"]).parse_args(["worker", *given])
    return run_worker(resolve(flags_of(args), args.config), wrapped_engines(wrap))


if __name__ == "__main__":
    sys.exit(main())
