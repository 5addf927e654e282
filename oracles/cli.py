"""The `agentnet` command line: one entry point, a group of commands per role.

Each group lives in a module that exposes ``add_commands(subparsers)`` (one module
may define several groups); a command sets ``func`` on its parser. Only the module
of the group being run is imported, so that ``agentnet keys new`` never imports
onnxruntime and nothing imports torch unless a model is being exported; the other
groups are listed from :data:`GROUPS` without importing them.

Errors the user can fix (:class:`~oracles.errors.AgentnetError`) end the command
with one line on stderr and status 2; usage mistakes get argparse's usage and
status 2; ``--help`` anywhere prints usage and exits 0.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from oracles.errors import AgentnetError


@dataclass(frozen=True)
class Group:
    """A command group: the module that defines it and the summary ``agentnet --help`` shows.

    The summary must be the ``help`` the module gives the group's parser (a test checks).
    """

    module: str
    summary: str


GROUPS: dict[str, Group] = {
    "keys": Group("oracles.cli_keys", "create and inspect encrypted keystores"),
    "deploy": Group("deployments.cli", "deploy the contracts and write the deployment record"),
    "model": Group("oracles.cli_model", "export, identify, run and register model packages"),
    "agent": Group("oracles.cli_worker", "register and manage an agent (owner key)"),
    "worker": Group(
        "oracles.cli_worker", "run an oracle worker for an agent until stopped (SIGINT/SIGTERM)"
    ),
    "task": Group("oracles.cli_task", "create and inspect tasks (requester)"),
    "api": Group(
        "frontend_api.cli", "serve the HTTP API, its event indexer and the dashboard page"
    ),
    "devnet": Group(
        "deployments.devnet",
        "run the whole network locally: chain, contracts, models, workers, API, samples",
    ),
    "demo": Group(
        "deployments.inprocess_demo", "walk tasks through their life on an in-process chain"
    ),
    "guestbook": Group(
        "oracles.cli_guestbook",
        "deploy and use the example guestbook whose posts the network screens for spam",
    ),
}


def build_parser(groups: Iterable[str] | None = None) -> argparse.ArgumentParser:
    """The ``agentnet`` parser with the full commands of ``groups`` (default: every group).

    Groups left out are listed by name and summary only, without importing their module.
    """
    load = set(GROUPS) if groups is None else {name for name in groups if name in GROUPS}
    modules = {GROUPS[name].module for name in load}
    parser = argparse.ArgumentParser(
        prog="agentnet",
        description="agentnet: paid, verifiable AI inference on Ethereum.",
        epilog="Run `agentnet COMMAND --help` for the options of a command.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, group in GROUPS.items():
        if name in subparsers.choices:
            continue  # added by the module of an earlier group
        if group.module in modules:
            importlib.import_module(group.module).add_commands(subparsers)
        else:
            subparsers.add_parser(name, help=group.summary)
    return parser


def _command_word(argv: Sequence[str]) -> str | None:
    """The group named on the command line: its first word that is not an option."""
    return next((word for word in argv if not word.startswith("-")), None)


def _one_line(error: BaseException) -> str:
    return " ".join(line.strip() for line in str(error).splitlines() if line.strip())


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``agentnet`` with ``argv`` (default: the process arguments); the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    command = _command_word(args_list)
    parser = build_parser([command] if command is not None else [])
    args = parser.parse_args(args_list)
    func = getattr(args, "func", None)
    if func is None:  # no command given
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(func(args) or 0)
    except AgentnetError as exc:
        print(f"agentnet: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("agentnet: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
