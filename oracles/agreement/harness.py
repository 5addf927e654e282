"""The agreement harness: one package, a fixed input set, every level, compared.

``run_agreement(package_dir)`` runs the package's fixed inputs (see
:mod:`oracles.agreement.inputs`) once per level in its own child process (see
:mod:`oracles.agreement.runner`), then compares every pair of levels that ran:
the share of outputs whose canonical bytes differ (with a 95% Clopper-Pearson
interval), how many break the package's agreement rule, the largest difference in
int8 steps (embeddings) and the mean first differing token (generation). Levels
this machine cannot run natively or emulate at native speed are listed with the
reason, never faked.

Harness version ``agentnet-agreement/1``; :meth:`Report.record` is the form
recorded in a package manifest's ``agreement`` field.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oracles.agreement import inputs as input_sets
from oracles.agreement import levels as lv
from oracles.agreement.runner import RunResult, run_child
from oracles.agreement.stats import clopper_pearson
from oracles.engine.compare import AgreementRule, int8_steps, outputs_agree, parse_rule
from oracles.errors import UsageError
from oracles.package import load_package

HARNESS_VERSION = "agentnet-agreement/1"
DEFAULT_INPUTS = {"embedding": 300, "classification": 300, "generation": 96}
DEFAULT_NEW_TOKENS = 32


@dataclass(frozen=True)
class Comparison:
    """Two levels' outputs on the same inputs."""

    a: str
    b: str
    n: int
    differ: int
    violate: int
    max_int8_steps: int | None  # embeddings only
    first_diff_token: float | None  # generation: mean index of the first differing token

    @property
    def interval(self) -> tuple[float, float]:
        """95% Clopper-Pearson interval of the share of differing outputs."""
        return clopper_pearson(self.differ, self.n)


@dataclass
class Report:
    """Everything one harness run measured."""

    package: str
    model_id: str
    kind: str
    rule: AgreementRule
    provider: str
    n: int
    new_tokens: int | None
    threads: int
    batch: int
    cpu: str
    runs: dict[str, RunResult] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)
    comparisons: list[Comparison] = field(default_factory=list)

    @property
    def violations(self) -> int:
        """Outputs that break the package's rule, over every comparison."""
        return sum(c.violate for c in self.comparisons)

    def record(self) -> dict[str, Any]:
        """The manifest form (counts only, so the record is exact)."""
        out: dict[str, Any] = {
            "harness": HARNESS_VERSION,
            "inputs": self.n,
            "threads": self.threads,
            "batch": self.batch,
            "cpu": self.cpu,
            "levels": {name: run.method for name, run in self.runs.items()},
            "unavailable": dict(self.unavailable),
            "comparisons": [
                {
                    "a": c.a,
                    "b": c.b,
                    "differ": c.differ,
                    "violate": c.violate,
                    **(
                        {"max_int8_steps": c.max_int8_steps} if c.max_int8_steps is not None else {}
                    ),
                }
                for c in self.comparisons
            ],
        }
        if self.new_tokens is not None:
            out["new_tokens"] = self.new_tokens
        return out

    def to_json(self) -> dict[str, Any]:
        """A JSON object with the record, timings, checks and intervals."""
        out = self.record()
        out.update(
            package=self.package,
            model_id=self.model_id,
            kind=self.kind,
            rule=self.rule.to_json(),
            execution_provider=self.provider,
            runs={
                name: {"method": r.method, "seconds": r.seconds, "checks": r.checks}
                for name, r in self.runs.items()
            },
        )
        for entry, c in zip(out["comparisons"], self.comparisons, strict=True):
            entry["ci95"] = list(c.interval)
            if c.first_diff_token is not None:
                entry["first_diff_token_mean"] = c.first_diff_token
        return out

    def render(self) -> str:
        """Human-readable tables."""
        tokens = f", {self.new_tokens} new tokens" if self.new_tokens else ""
        lines = [
            f"package {self.package} ({self.kind}, {self.provider}) {self.model_id}",
            f"rule {json.dumps(self.rule.to_json())}; {self.n} inputs{tokens}; "
            f"{self.threads} thread(s), batches of {self.batch}; CPU {self.cpu}",
            "",
            "| level | method | seconds | checks |",
            "|---|---|---:|---|",
        ]
        for name, r in self.runs.items():
            lines.append(f"| {name} | {r.method} | {r.seconds:.1f} | {'; '.join(r.checks)} |")
        for name, reason in self.unavailable.items():
            lines.append(f"| {name} | not run | | {reason} |")
        lines += ["", "| comparison | differ | 95% CI | rule violations | max int8 steps |"]
        lines.append("|---|---:|---|---:|---:|")
        for c in self.comparisons:
            lo, hi = c.interval
            steps = "" if c.max_int8_steps is None else str(c.max_int8_steps)
            first = f" (first at token {c.first_diff_token:.1f})" if c.first_diff_token else ""
            lines.append(
                f"| {c.a} vs {c.b} | {c.differ}/{c.n} = {100 * c.differ / c.n:.1f}%{first} "
                f"| [{100 * lo:.1f}%, {100 * hi:.1f}%] | {c.violate} | {steps} |"
            )
        if not self.comparisons:
            lines.append("| (fewer than two levels ran: nothing compared) | | | | |")
        return "\n".join(lines)


def _counts(c: Comparison) -> dict[str, Any]:
    out: dict[str, Any] = {"a": c.a, "b": c.b, "differ": c.differ, "violate": c.violate}
    if c.max_int8_steps is not None:
        out["max_int8_steps"] = c.max_int8_steps
    return out


def _first_diff(a: bytes, b: bytes) -> int | None:
    try:
        ta, tb = json.loads(a)["tokens"], json.loads(b)["tokens"]
    except (ValueError, KeyError, TypeError):
        return None
    for i, (x, y) in enumerate(zip(ta, tb, strict=False)):
        if x != y:
            return i
    return min(len(ta), len(tb))


def compare(kind: str, rule: AgreementRule, a: RunResult, b: RunResult) -> Comparison:
    """Compare two runs output by output."""
    pairs = list(zip(a.outputs, b.outputs, strict=True))
    differing = [(x, y) for x, y in pairs if x != y]
    steps: int | None = None
    if kind == "embedding":
        found = [int8_steps(x, y) for x, y in differing]
        steps = max((s if s is not None else 255 for s in found), default=0)
    first: float | None = None
    if kind == "generation" and differing:
        idx = [i for x, y in differing if (i := _first_diff(x, y)) is not None]
        first = sum(idx) / len(idx) if idx else None
    return Comparison(
        a=a.name,
        b=b.name,
        n=len(pairs),
        differ=len(differing),
        violate=sum(1 for x, y in differing if not outputs_agree(rule, x, y)),
        max_int8_steps=steps,
        first_diff_token=first,
    )


def default_levels(provider: str) -> list[str]:
    """Every CPU level; for a CUDA package, two CUDA runs and this CPU's own level."""
    if provider == "cuda":
        return ["cuda", "cuda#2", lv.native_level() or "sse42"]
    return list(lv.CPU_LEVELS)


def _cuda_available() -> bool:
    import onnxruntime as ort

    return "CUDAExecutionProvider" in ort.get_available_providers()


def run_agreement(
    package_dir: str | Path,
    levels: list[str] | None = None,
    n_inputs: int | None = None,
    threads: int = 1,
    batch: int = 8,
    new_tokens: int = DEFAULT_NEW_TOKENS,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Run the harness on one package and return its report."""
    package = load_package(package_dir)
    manifest = package.manifest
    kind = package.kind
    provider = package.execution_provider
    levels = levels or default_levels(provider)
    unknown = [x for x in levels if lv.base_level(x) not in lv.ALL_LEVELS]
    if unknown or len(set(levels)) != len(levels):
        raise UsageError(
            f"levels must be distinct names from {', '.join(lv.ALL_LEVELS)} "
            f"(a repeat as NAME#2), got {', '.join(levels)}"
        )
    n = DEFAULT_INPUTS[kind] if n_inputs is None else n_inputs
    if n < 1:
        raise UsageError("--inputs must be at least 1")
    limit = int(manifest.get("limits", {}).get("max_new_tokens", 64))
    if kind == "generation" and not 1 <= new_tokens <= limit:
        raise UsageError(f"new tokens must be within 1..{limit} for this package")
    data = input_sets.inputs(kind, n, new_tokens)
    report = Report(
        package=str(package.root),
        model_id=package.model_id,
        kind=kind,
        rule=parse_rule(manifest),
        provider=provider,
        n=n,
        new_tokens=new_tokens if kind == "generation" else None,
        threads=threads,
        batch=batch,
        cpu=lv.cpu_model(),
    )
    plans = lv.plan(levels, _cuda_available())
    objects: list[str] | None = None
    # Native runs first: they tell which shared objects the patch mask must cover.
    for p in sorted(plans, key=lambda p: p.method != "native"):
        if p.method is None:
            report.unavailable[p.level] = p.reason
            continue
        if p.method == "cpuid-patch" and objects is None:
            native = lv.native_level() or "sse42"
            probe = run_child(native, "native", package.root, data[:1], threads, batch)
            objects = probe.objects
        if progress:
            progress(f"{p.level}: {len(data)} inputs ({p.method})")
        result = run_child(p.level, p.method, package.root, data, threads, batch, objects)
        if result.model_id != package.model_id:
            raise UsageError(f"{p.level}: the child loaded {result.model_id}, not this package")
        if p.method == "native" and lv.base_level(p.level) != "cuda":
            objects = result.objects
        report.runs[p.level] = result
    report.runs = {name: report.runs[name] for name in levels if name in report.runs}
    for a, b in itertools.combinations(list(report.runs.values()), 2):
        report.comparisons.append(compare(kind, report.rule, a, b))
    return report
