"""Fixtures of the CLI tests: the tiny embedding package, built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from model_export.tiny import tiny_package


@pytest.fixture(scope="session")
def embedding_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.getbasetemp() / "agentnet-tiny"
    base.mkdir(exist_ok=True)
    return tiny_package(base, "embedding")


@pytest.fixture(scope="session", autouse=True)
def _packages_first(embedding_package: Path) -> None:
    """Build the package before any other fixture (see tests/engine/conftest.py)."""
