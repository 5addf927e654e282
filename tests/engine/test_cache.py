"""The optimized-graph cache: same bytes out, damaged entries rebuilt, packages still checked.

A first load with a cache folder optimizes the graph and stores it (``miss``); the
next loads the stored graph without optimizing (``hit``). Whatever the cache holds,
an engine answers exactly what an engine without a cache answers, and a package
whose files do not hash to its id is refused.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from oracles.engine import Engine, SessionCache, declared_model_id
from oracles.package import PackageError, compute_model_id
from tests.engine.test_batching import CASES

KINDS = sorted(CASES)


def outputs(engine: Engine, kind: str) -> list[bytes]:
    """Every input of the kind, batched and one at a time, plus an invalid one."""
    inputs = [*CASES[kind], b"not json"]
    return engine.run_batch(inputs) + [engine.run(x) for x in inputs]


def record_of(cache: Path) -> dict[str, Any]:
    """The cache's one record."""
    (path,) = cache.glob("*.json")
    return dict(json.loads(path.read_text()))


def named(cache: Path) -> set[Path]:
    """The cache's one record and the files it names."""
    return {next(cache.glob("*.json"))} | {cache / name for name in record_of(cache)["files"]}


def entry_files(cache: Path) -> tuple[Path, Path]:
    """The graph and data files the cache's one record names."""
    by_suffix = {p.suffix: p for p in named(cache)}
    return by_suffix[".onnx"], by_suffix[".data"]


def flip_byte(path: Path, offset: int | None = None) -> None:
    """Change one byte (the middle one by default), keeping the size."""
    raw = bytearray(path.read_bytes())
    at = len(raw) // 2 if offset is None else offset
    raw[at] ^= 0x5A
    path.write_bytes(bytes(raw))


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def package(kind: str, request: pytest.FixtureRequest) -> Path:
    return Path(request.getfixturevalue(f"{kind}_pkg"))


def test_cold_then_warm_load_answers_the_same_bytes_as_no_cache(
    kind: str, package: Path, tmp_path: Path
) -> None:
    expected = outputs(Engine.load(package, threads=1), kind)
    cold = Engine.load(package, threads=1, cache=tmp_path / "cache")
    assert cold.cache_status == "miss"
    assert outputs(cold, kind) == expected
    graph, data = entry_files(tmp_path / "cache")
    assert graph.stat().st_size > 0 and data.stat().st_size > 0
    for threads in (1, 2):  # thread counts shape no graph: the same entry serves both
        warm = Engine.load(package, threads=threads, cache=tmp_path / "cache")
        assert warm.cache_status == "hit"
        assert outputs(warm, kind) == expected
    assert warm.model_id == compute_model_id(package) == declared_model_id(package)


def damage_data(cache: Path) -> None:
    flip_byte(entry_files(cache)[1])


def truncate_graph(cache: Path) -> None:
    graph = entry_files(cache)[0]
    graph.write_bytes(graph.read_bytes()[:100])


def remove_data(cache: Path) -> None:
    entry_files(cache)[1].unlink()


def garble_record(cache: Path) -> None:
    next(cache.glob("*.json")).write_text("{not json")


def stale_record(cache: Path) -> None:
    """An entry built by another onnxruntime (same sizes and hashes)."""
    path = next(cache.glob("*.json"))
    record = json.loads(path.read_text())
    record["key"]["onnxruntime"] = "1.0.0"
    path.write_text(json.dumps(record))


def forged_graph(cache: Path) -> None:
    """A graph whose record was rewritten to match it: the data it names are damaged."""
    path = next(cache.glob("*.json"))
    graph, data = entry_files(cache)
    flip_byte(data)
    record = json.loads(path.read_text())
    record["files"][data.name]["sha256"] = "00" * 32
    path.write_text(json.dumps(record))


DAMAGES: dict[str, Callable[[Path], None]] = {
    f.__name__: f
    for f in (damage_data, truncate_graph, remove_data, garble_record, stale_record, forged_graph)
}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_damaged_or_stale_entry_is_ignored_and_rebuilt(
    damage: str, embedding_pkg: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "cache"
    expected = outputs(Engine.load(embedding_pkg, threads=1), "embedding")
    assert Engine.load(embedding_pkg, threads=1, cache=cache).cache_status == "miss"
    DAMAGES[damage](cache)
    rebuilt = Engine.load(embedding_pkg, threads=1, cache=cache)
    assert rebuilt.cache_status == "miss"
    assert outputs(rebuilt, "embedding") == expected
    assert "cache_ignored" in capsys.readouterr().err  # said so, on stderr
    again = Engine.load(embedding_pkg, threads=1, cache=cache)
    assert again.cache_status == "hit"
    assert outputs(again, "embedding") == expected
    if damage != "garble_record":  # (an unreadable record's files go once they are old)
        assert set(cache.iterdir()) == named(cache)  # the damaged entry's files are gone


def test_a_tampered_package_is_refused_whatever_the_cache_holds(
    pkg_copy: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    good = Engine.load(pkg_copy, threads=1, cache=cache)
    expected = outputs(good, "embedding")
    record = record_of(cache)
    model = pkg_copy / "model.onnx"
    original = model.read_bytes()
    flip_byte(model)  # its manifest still declares the registered id, which keys the cache
    with pytest.raises(PackageError, match="model.onnx: sha256 does not match"):
        Engine.load(pkg_copy, threads=1, cache=cache)
    assert record_of(cache) == record  # nothing stored from the tampered files
    model.write_bytes(original)
    with pytest.raises(PackageError, match="expected 0x"):
        Engine.load(pkg_copy, threads=1, cache=cache, expected_id="0x" + "ab" * 32)
    restored = Engine.load(pkg_copy, threads=1, cache=cache, expected_id=good.model_id)
    assert restored.cache_status == "hit"
    assert outputs(restored, "embedding") == expected


def test_a_tampered_package_leaves_no_entry_behind(pkg_copy: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    flip_byte(pkg_copy / "model.onnx", offset=-3)
    with pytest.raises(PackageError, match="model.onnx: sha256 does not match"):
        Engine.load(pkg_copy, threads=1, cache=cache)
    assert list(cache.iterdir()) == []  # what was optimized from it was thrown away


def test_cache_folder_that_cannot_be_created_leaves_the_engine_as_without_one(
    embedding_pkg: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    engine = Engine.load(embedding_pkg, threads=1, cache=blocker / "cache")
    assert engine.cache_status == "unwritable"
    expected = outputs(Engine.load(embedding_pkg, threads=1), "embedding")
    assert outputs(engine, "embedding") == expected


def test_loads_racing_on_one_folder_leave_one_intact_entry(
    generation_pkg: Path, tmp_path: Path
) -> None:
    cache = SessionCache(tmp_path / "cache")
    engines: list[Engine] = []
    threads = [
        threading.Thread(target=lambda: engines.append(Engine.load(generation_pkg, cache=cache)))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(engines) == 3
    assert set(cache.root.iterdir()) == named(cache.root)
    warm = Engine.load(generation_pkg, threads=1, cache=cache)
    assert warm.cache_status == "hit"
    expected = outputs(Engine.load(generation_pkg, threads=1), "generation")
    assert outputs(warm, "generation") == expected


def test_copy_of_a_package_elsewhere_shares_its_entry(embedding_pkg: Path, tmp_path: Path) -> None:
    """The entry is the package id's, not the folder's."""
    cache = tmp_path / "cache"
    Engine.load(embedding_pkg, threads=1, cache=cache)
    elsewhere = shutil.copytree(embedding_pkg, tmp_path / "elsewhere")
    assert Engine.load(elsewhere, threads=1, cache=cache).cache_status == "hit"
