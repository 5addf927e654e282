"""Batched outputs are byte-identical to unbatched ones, whatever the batch holds."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path

import pytest

from oracles.engine import Batcher, Engine
from oracles.package import write_manifest

TEXTS = [
    "hello",
    "the quick brown fox jumps over the lazy dog",
    "agents stake ether and run models off chain " * 2,
    "zéro ünïcode 日本語",
    "",
    "hello world, hello agents, hello chain",
]
EMBED = [json.dumps({"text": t}).encode() for t in TEXTS]
CLASSIFY = [
    json.dumps({"text": t, "labels": ["fox", "chain", t[:5] or "x"]}).encode() for t in TEXTS
]
GENERATE = [
    json.dumps({"prompt": p, "max_new_tokens": n}).encode()
    for p, n in [
        ("hello", 12),
        ("the quick brown fox jumps over the lazy dog", 3),
        ("a", 20),
        ("numbers 0 1 2 3", 1),
        ("zéro ünïcode 日本語 text", 9),
    ]
]
CASES = {"embedding": EMBED, "classification": CLASSIFY, "generation": GENERATE}


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> tuple[Path, list[bytes]]:
    pkg = request.getfixturevalue(f"{request.param}_pkg")
    return pkg, CASES[request.param]


def test_batched_equals_unbatched(case: tuple[Path, list[bytes]]) -> None:
    pkg, inputs = case
    engine = Engine.load(pkg, threads=1)
    alone = [engine.run(x) for x in inputs]
    assert engine.run_batch(inputs) == alone
    rng = random.Random(7)
    for _ in range(3):  # other batch compositions and orders
        picks = rng.sample(range(len(inputs)), rng.randint(2, len(inputs)))
        assert engine.run_batch([inputs[i] for i in picks]) == [alone[i] for i in picks]
    assert engine.run_batch(inputs + inputs) == alone + alone


def test_same_bytes_across_runs_and_thread_counts(case: tuple[Path, list[bytes]]) -> None:
    pkg, inputs = case
    one = Engine.load(pkg, threads=1).run_batch(inputs)
    two = Engine.load(pkg, threads=2)
    assert two.run_batch(inputs) == one
    assert [two.run(x) for x in inputs] == one


def test_generation_stops_at_eos(generation_pkg: Path, tmp_path: Path) -> None:
    """Make a token of the free-running output the end-of-sequence id."""
    import shutil

    free = json.loads(Engine.load(generation_pkg).run(GENERATE[2]))["tokens"]
    stop = free[5]
    first = free.index(stop)
    pkg = tmp_path / "pkg"
    shutil.copytree(generation_pkg, pkg)
    manifest = json.loads((pkg / "manifest.json").read_text())
    manifest["generation"]["eos_token_ids"] = [stop]
    write_manifest(pkg, manifest)
    engine = Engine.load(pkg)
    out = json.loads(engine.run(GENERATE[2]))
    assert out["tokens"] == free[: first + 1]
    assert engine.run_batch(GENERATE) == [engine.run(x) for x in GENERATE]


def test_async_batcher_groups_requests(generation_pkg: Path) -> None:
    engine = Engine.load(generation_pkg, threads=1)
    alone = [engine.run(x) for x in GENERATE]

    async def main() -> tuple[list[bytes], int]:
        async with Batcher(engine, max_batch=4, max_wait_ms=50) as batcher:
            outs = await asyncio.gather(*(batcher.submit(x) for x in GENERATE + GENERATE))
            return list(outs), batcher.batches_run

    outs, batches = asyncio.run(main())
    assert outs == alone + alone
    assert batches < len(outs)


def test_batcher_passes_engine_failures_to_callers() -> None:
    class Broken:
        def run_batch(self, inputs: list[bytes]) -> list[bytes]:
            raise RuntimeError("boom")

    async def main() -> None:
        async with Batcher(Broken(), max_batch=2, max_wait_ms=1) as batcher:
            with pytest.raises(RuntimeError, match="boom"):
                await batcher.submit(b"{}")

    asyncio.run(main())


def test_finished_sequences_leave_the_batch(
    generation_pkg: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = Engine.load(generation_pkg, threads=1)
    assert engine.generator is not None
    shapes: list[tuple[int, int]] = []
    forward = engine.generator._forward

    def spy(ids, mask, positions, past):  # type: ignore[no-untyped-def]
        shapes.append(mask.shape)
        return forward(ids, mask, positions, past)

    monkeypatch.setattr(engine.generator, "_forward", spy)
    # The short request has the longer prompt, so the long one starts left-padded.
    short = json.dumps({"prompt": "the quick brown fox jumps over", "max_new_tokens": 2}).encode()
    long = json.dumps({"prompt": "a", "max_new_tokens": 6}).encode()
    engine.run_batch([short, long])
    decode = shapes[2:]  # after the two prefills
    assert decode[0][0] == 2  # both decode together at first
    assert [batch for batch, _ in decode[1:]] == [1, 1, 1, 1]  # then only the long one
    # Once alone, the long row's cache keeps no padding column: prompt + 5 tokens.
    assert decode[-1][1] == 1 + 5
