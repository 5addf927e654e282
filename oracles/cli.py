"""The `agentnet` command line: one entry point, a subcommand per role.

Each command group lives in its own module and exposes ``add_commands(subparsers)``;
a command sets ``func`` on its parser. Modules are imported lazily by group name,
so that ``agentnet keys new`` never imports onnxruntime and nothing imports torch
unless a model is being exported.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from oracles.errors import AgentnetError

# group name -> module that defines it (each has add_commands(subparsers)).
GROUPS: dict[str, str] = {
    "demo": "deployments.inprocess_demo",
    "devnet": "deployments.devnet",
    "model": "oracles.cli_model",
    "deploy": "deployments.cli",
    "worker": "oracles.cli_worker",
    "agent": "oracles.cli_worker",
    "task": "oracles.cli_task",
    "keys": "oracles.cli_keys",
    "api": "frontend_api.cli",
}


def build_parser(groups: Sequence[str] | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="agentnet",
        description="agentnet: paid, verifiable AI inference on Ethereum.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in groups if groups is not None else GROUPS:
        module_name = GROUPS[name]
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue  # group not built yet in this checkout
            raise
        module.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    # Import only the group that was asked for, so light commands stay light.
    wanted = [args_list[0]] if args_list and args_list[0] in GROUPS else None
    parser = build_parser(wanted)
    args = parser.parse_args(args_list)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args) or 0)
    except AgentnetError as exc:
        print(f"agentnet: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("agentnet: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
