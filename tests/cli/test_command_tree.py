"""Every `agentnet` command answers ``--help``, and bad commands get usage, never a traceback.

The command tree is read from the parser ``build_parser()`` builds with every group,
so a command added later is covered without touching this file. Each command runs
as a user runs it: a separate process.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from oracles.chain.keys import TEST_SCRYPT_N, create_keystore
from oracles.cli import GROUPS, build_parser

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "COLUMNS": "100"}  # the same help layout here and in the children


def agentnet(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oracles.cli", *args],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=ROOT,
        timeout=120,
    )


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def command_paths(
    parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
) -> Iterator[tuple[str, ...]]:
    """Every command of the tree under ``parser``, as the words that name it."""
    yield prefix
    for name, child in _subcommands(parser).items():
        yield from command_paths(child, (*prefix, name))


COMMANDS = list(command_paths(build_parser()))


def test_the_tree_has_every_group_and_their_actions() -> None:
    groups = {path[0] for path in COMMANDS if path}
    assert groups == set(GROUPS)
    # groups with actions contribute them (a guard against an empty walk)
    assert ("task", "create") in COMMANDS and ("agent", "unstake") in COMMANDS


@pytest.mark.parametrize("command", COMMANDS, ids=lambda path: " ".join(path) or "agentnet")
def test_help_prints_usage_and_exits_0(command: tuple[str, ...]) -> None:
    proc = agentnet(*command, "--help")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("usage: " + " ".join(("agentnet", *command)))
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.stderr == ""


def test_installed_script_help_lists_every_group() -> None:
    script = Path(sys.executable).parent / "agentnet"
    assert script.is_file(), "the console script is installed by `make setup`"
    proc = subprocess.run(
        [str(script), "--help"], capture_output=True, text=True, env=ENV, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    listed = {line.split()[0] for line in proc.stdout.splitlines() if line.startswith("    ")}
    assert set(GROUPS) <= listed


def test_lazy_help_is_the_full_parsers_help(monkeypatch: pytest.MonkeyPatch) -> None:
    """`agentnet --help` imports no group, yet says what the groups themselves say."""
    monkeypatch.setenv("COLUMNS", "100")
    proc = agentnet("--help")
    assert proc.returncode == 0
    assert proc.stdout == build_parser().format_help()


def test_no_command_prints_the_help_and_exits_2() -> None:
    proc = agentnet()
    assert proc.returncode == 2
    assert proc.stderr.startswith("usage: agentnet")
    assert all(name in proc.stderr for name in GROUPS)
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("args", "usage", "message"),
    [
        (["bogus"], "usage: agentnet", "invalid choice: 'bogus'"),
        (["task", "bogus"], "usage: agentnet task", "invalid choice: 'bogus'"),
        (["keys", "new"], "usage: agentnet keys new", "required: --out"),
        (["task", "show", "x", "--rpc", "http://127.0.0.1:1"], "usage:", "'x' is not a whole"),
        (["--no-such-option"], "usage: agentnet", "unrecognized arguments"),
    ],
)
def test_usage_errors_print_usage_and_exit_2(args: list[str], usage: str, message: str) -> None:
    proc = agentnet(*args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith(usage)
    errors = [line for line in proc.stderr.splitlines() if ": error: " in line]
    assert len(errors) == 1 and message in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("group", sorted({path[0] for path in COMMANDS if len(path) == 2}))
def test_a_group_without_its_action_prints_its_help_and_exits_2(group: str) -> None:
    proc = agentnet(group)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"usage: agentnet {group}")
    assert "Traceback" not in proc.stderr


# A child process runs `main` and reports which modules it imported.
_PROBE = """
import json, sys
from oracles.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""


def _imported(*args: str) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=ROOT,
        timeout=120,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return set(json.loads(proc.stdout.splitlines()[-1]))


def test_top_level_help_imports_no_command_group() -> None:
    imported = _imported("--help")
    assert not {group.module for group in GROUPS.values()} & imported


@pytest.mark.parametrize(
    "args",
    [["keys", "show", "{keystore}"], ["task", "--help"], ["agent", "status", "--help"]],
)
def test_light_commands_import_neither_onnxruntime_nor_torch(
    args: list[str], tmp_path: Path
) -> None:
    keystore = tmp_path / "key.json"
    create_keystore(keystore, "pw", scrypt_n=TEST_SCRYPT_N)
    imported = _imported(*(arg.format(keystore=keystore) for arg in args))
    assert "oracles.cli" in imported
    assert not {"onnxruntime", "torch"} & imported
