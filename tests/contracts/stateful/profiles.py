"""Hypothesis settings profiles for the stateful and fuzzing contract tests.

`agentnet-ci` (the default) keeps `tests/contracts/stateful` under two minutes
on two cores; `long` is for deep runs (`make test-long`, or
`HYPOTHESIS_PROFILE=long pytest tests/contracts/stateful tests/contracts/fuzzing`).

The profiles are applied per test (`settings(parent=PROFILE, ...)`) instead of
loaded globally, so that other test folders keep their own hypothesis settings.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = {
    "deadline": None,
    "database": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}

settings.register_profile(
    "agentnet-ci",
    max_examples=30,
    stateful_step_count=35,
    derandomize=False,
    print_blob=True,
    **_COMMON,
)
settings.register_profile(
    "long",
    max_examples=2_000,
    stateful_step_count=100,
    print_blob=True,
    **_COMMON,
)

PROFILE_NAME = os.environ.get("HYPOTHESIS_PROFILE", "agentnet-ci")
if PROFILE_NAME not in ("agentnet-ci", "long"):
    PROFILE_NAME = "agentnet-ci"
PROFILE = settings.get_profile(PROFILE_NAME)
LONG = PROFILE_NAME == "long"


def scaled(ci: int, long: int) -> int:
    """An example count for this profile: `ci` by default, `long` when deep."""
    return long if LONG else ci
