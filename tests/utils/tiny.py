"""Session fixtures for the tiny packages, shared by the suites that need all three.

A conftest imports them by name. Every package is built in one session folder
before any other fixture: titanoboa's pytest plugin opens a chain snapshot around
each fixture's setup, and a session fixture first created inside a test would
close out of order.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from model_export.tiny import tiny_package


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Session folder shared by every tiny model and package."""
    base = tmp_path_factory.getbasetemp() / "agentnet-tiny"
    base.mkdir(exist_ok=True)
    return base


@pytest.fixture(scope="session")
def embedding_pkg(tiny_base: Path) -> Path:
    return tiny_package(tiny_base, "embedding")


@pytest.fixture(scope="session")
def classification_pkg(tiny_base: Path) -> Path:
    return tiny_package(tiny_base, "classification")


@pytest.fixture(scope="session")
def generation_pkg(tiny_base: Path) -> Path:
    return tiny_package(tiny_base, "generation")


@pytest.fixture(scope="session", autouse=True)
def _tiny_packages_first(
    embedding_pkg: Path, classification_pkg: Path, generation_pkg: Path
) -> None:
    """Build every package before any other fixture."""


@pytest.fixture
def pkg_copy(tmp_path: Path, embedding_pkg: Path) -> Path:
    """A private copy of the embedding package that a test may tamper with."""
    dst = tmp_path / "pkg"
    shutil.copytree(embedding_pkg, dst)
    return dst
