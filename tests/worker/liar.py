"""Test-only: the normal worker, but every engine answers wrongly.

    python -m tests.worker.liar --rpc URL --signer-keystore FILE --model DIR ...

takes the flags of ``agentnet worker`` and runs the same worker (settings, keys,
follower, batched signed sends) with each engine wrapped in :class:`WrongOutput`,
so that it commits and reveals an output the honest members do not.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence

from oracles.cli import build_parser
from oracles.worker.inference import Runner
from oracles.worker.launch import load_engines, run_worker
from oracles.worker.settings import Settings, flags_of, resolve


class WrongOutput:
    """A :class:`~oracles.worker.inference.Runner` that changes every output of ``engine``."""

    def __init__(self, engine: Runner) -> None:
        self.engine = engine

    def run_batch(self, inputs: Sequence[bytes]) -> list[bytes]:
        outputs = self.engine.run_batch(inputs)
        return [b'{"error":"dishonest"}' if out[:1] == b"{" else b"{}" for out in outputs]


def lying_engines(settings: Settings) -> Mapping[bytes, Runner]:
    return {model_id: WrongOutput(e) for model_id, e in load_engines(settings).items()}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser(["worker"]).parse_args(
        ["worker", *(sys.argv[1:] if argv is None else argv)]
    )
    return run_worker(resolve(flags_of(args), args.config), lying_engines)


if __name__ == "__main__":
    sys.exit(main())
