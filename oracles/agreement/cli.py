"""`agentnet model agreement PACKAGE [--levels ...] [--inputs N]`, and the export flags.

``add_agreement_command(model_subparsers)`` is the whole hook: it adds the
``agreement`` action to the ``model`` group and the ``--agreement-check``,
``--no-agreement-check``, ``--agreement-levels``, ``--agreement-inputs`` and
``--execution-provider`` flags to ``model export``; they reach
:func:`model_export.export.export` through
:func:`model_export.agreement_check.options` (the export command itself is not
changed). Nothing heavy is imported until a command runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from oracles.errors import UsageError

LEVEL_HELP = "comma-separated: avx512, avx2, sse42, cuda (repeat a level as NAME#2)"


def parse_levels(text: str | None) -> list[str] | None:
    """``avx2,sse42`` -> ``["avx2", "sse42"]``; None stays None."""
    if text is None:
        return None
    levels = [x.strip() for x in text.split(",") if x.strip()]
    if not levels:
        raise UsageError("--levels needs at least one level")
    return levels


def cmd_agreement(args: argparse.Namespace) -> int:
    """Run the harness on a package and print its report."""
    from oracles.agreement.harness import run_agreement

    report = run_agreement(
        args.package,
        levels=parse_levels(args.levels),
        n_inputs=args.inputs,
        threads=args.threads,
        batch=args.batch,
        new_tokens=args.new_tokens,
        progress=lambda line: print(f"agreement: {line}", file=sys.stderr, flush=True),
    )
    if args.json:
        print(json.dumps(report.to_json(), sort_keys=True))
    else:
        print(report.render())
    return 1 if args.fail_on_violation and report.violations else 0


def _wrap_export(func: Callable[[argparse.Namespace], int]) -> Callable[..., int]:
    def run(args: argparse.Namespace) -> int:
        from model_export.agreement_check import options

        with options(
            args.agreement_check,
            parse_levels(args.agreement_levels),
            args.agreement_inputs,
            args.execution_provider,
        ):
            return func(args)

    return run


def add_agreement_command(
    model_subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """Add ``model agreement`` and the agreement flags of ``model export``."""
    p = model_subparsers.add_parser(
        "agreement", help="compare a package's outputs across CPU instruction sets / providers"
    )
    p.add_argument("package", type=Path)
    p.add_argument("--levels", help=f"{LEVEL_HELP}; default: every CPU level")
    p.add_argument("--inputs", type=int, default=None, help="default 300 (96 for generation)")
    p.add_argument("--new-tokens", type=int, default=32, help="generation: tokens per input")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--fail-on-violation", action="store_true", help="exit 1 if any output breaks the rule"
    )
    p.set_defaults(func=cmd_agreement)

    exp = model_subparsers.choices.get("export")
    if exp is None:
        return
    flag = exp.add_mutually_exclusive_group()
    flag.add_argument(
        "--agreement-check",
        dest="agreement_check",
        action="store_true",
        default=None,
        help="run the agreement harness and refuse a package that disagrees "
        "(default: on for presets)",
    )
    flag.add_argument("--no-agreement-check", dest="agreement_check", action="store_false")
    exp.add_argument("--agreement-levels", help=LEVEL_HELP)
    exp.add_argument("--agreement-inputs", type=int, default=None)
    exp.add_argument(
        "--execution-provider",
        choices=("cpu", "cuda"),
        default=None,
        help="the provider whose numerics the package declares (default cpu; own model id)",
    )
    exp.set_defaults(func=_wrap_export(exp.get_default("func")))
