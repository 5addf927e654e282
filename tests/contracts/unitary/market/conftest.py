"""Fixtures for the TaskMarket unit tests."""

from __future__ import annotations

from collections.abc import Callable

import boa
import pytest

from deployments.boa_deploy import load_partial


@pytest.fixture(scope="session")
def market_deployer():
    return load_partial("TaskMarket")


@pytest.fixture(scope="session")
def travel_to() -> Callable[[int], None]:
    """travel_to(t): move the chain clock to unix time t (never backwards)."""

    def _travel(t: int) -> None:
        delta = t - boa.env.timestamp
        assert delta >= 0, "cannot travel backwards"
        if delta:
            boa.env.time_travel(seconds=delta)

    return _travel


@pytest.fixture
def task(create_task) -> int:
    """A fresh 3-member, quorum-2 task in its commit phase, created now."""
    return create_task(size=3, quorum=2)
