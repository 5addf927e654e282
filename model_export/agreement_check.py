"""Export-time agreement check: run the harness on a staged package, refuse disagreement.

Presets are checked by default. The check runs :func:`oracles.agreement.harness.
run_agreement` on the package before it is written to its folder; if any output
breaks the package's agreement rule between two levels, the export fails with a
message naming the levels and counts, and nothing is written. Otherwise the
harness record (levels and how they ran, input count, differing counts, harness
version; levels this machine could not run, with the reason) goes into the
manifest's ``agreement`` field.

``options(...)`` carries the ``agentnet model export`` flags to :func:`export`
without changing the export command (see :mod:`oracles.agreement.cli`).
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oracles.errors import UsageError


class AgreementError(UsageError):
    """The package's outputs break its agreement rule across levels."""


@dataclass(frozen=True)
class Options:
    """Defaults for export's agreement arguments (None: export's own default)."""

    check: bool | None = None
    levels: list[str] | None = None
    inputs: int | None = None
    provider: str | None = None


_OPTIONS: ContextVar[Options | None] = ContextVar("agentnet_export_agreement", default=None)


@contextlib.contextmanager
def options(
    check: bool | None,
    levels: list[str] | None,
    inputs: int | None,
    provider: str | None = None,
) -> Iterator[None]:
    """Within the block, ``export`` uses these agreement settings by default."""
    token = _OPTIONS.set(Options(check, levels, inputs, provider))
    try:
        yield
    finally:
        _OPTIONS.reset(token)


def current() -> Options:
    """The settings of the enclosing ``options`` block (all None outside one)."""
    return _OPTIONS.get() or Options()


def check(staged: Path, out: Path, levels: list[str] | None, inputs: int | None) -> dict[str, Any]:
    """Run the harness on ``staged``; return its manifest record or raise AgreementError."""
    from oracles.agreement.harness import run_agreement

    report = run_agreement(
        staged,
        levels=levels,
        n_inputs=inputs,
        progress=lambda line: print(f"agreement check: {line}", file=sys.stderr, flush=True),
    )
    bad = [c for c in report.comparisons if c.violate]
    if bad:
        worst = max(bad, key=lambda c: c.violate)
        rule = report.rule.to_json()
        raise AgreementError(
            f"{out}: not written: {worst.violate}/{worst.n} outputs differ between "
            f"{worst.a} and {worst.b} beyond the rule {json.dumps(rule)} (harness: "
            f"`agentnet model agreement`); choose another --quantize, or pass "
            "--no-agreement-check to write it anyway"
        )
    if len(report.runs) < 2:
        skipped = "; ".join(f"{k}: {v}" for k, v in report.unavailable.items())
        print(
            f"agreement check: compared nothing, only {', '.join(report.runs)} ran here "
            f"({skipped})",
            file=sys.stderr,
        )
    return report.record()
