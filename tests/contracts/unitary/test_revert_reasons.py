"""Every revert reason in the contracts and their modules is hit by at least one unit test.

A new `assert ..., "module: reason"` without a test that expects it fails here.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
REASON = re.compile(r'"((?:market|staking|registry|stake_tree|market_params): [^"]+)"')


def _reasons() -> list[str]:
    found: set[str] = set()
    for path in sorted((ROOT / "contracts").rglob("*.vy")):
        found.update(REASON.findall(path.read_text()))
    return sorted(found)


def _tested() -> str:
    here = Path(__file__).resolve()
    return "\n".join(p.read_text() for p in here.parent.rglob("test_*.py") if p.resolve() != here)


TESTED = _tested()


@pytest.mark.parametrize("reason", _reasons())
def test_reason_is_expected_by_a_test(reason):
    assert f'"{reason}"' in TESTED
