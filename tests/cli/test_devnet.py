"""`agentnet devnet` starts the whole network, runs its samples to finalization, and
stops cleanly on Ctrl-C."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from model_export.tiny import tiny_package

ROOT = Path(__file__).resolve().parents[2]


def _children_of(pid: int) -> set[int]:
    """Every live descendant of ``pid`` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _devnet(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, *flags: str
) -> subprocess.Popen[str]:
    """``agentnet devnet --tiny`` on free ports, with the tiny packages as its models."""
    base = tmp_path_factory.getbasetemp() / "agentnet-tiny"
    models = tmp_path / "models"
    models.mkdir()
    for alias, name in (
        ("minilm-embedding", "embedding"),
        ("minilm-classification", "classification"),
        ("smollm2", "generation"),
    ):
        shutil.copytree(tiny_package(base, name), models / f"tiny-{alias}")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "oracles.cli",
            "devnet",
            "--tiny",
            "--rpc-port",
            "0",
            "--api-port",
            "0",
            "--models-dir",
            str(models),
            "--workdir",
            str(tmp_path / "devnet"),
            *flags,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _read_until(
    proc: subprocess.Popen[str], done: Callable[[str], bool], timeout: float
) -> list[str]:
    """Lines of the devnet's output up to the first ``done`` one (all of them if it ends)."""
    lines: list[str] = []
    deadline = time.time() + timeout
    assert proc.stdout is not None
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if done(line):
            break
    return lines


def _value(lines: list[str], label: str) -> str:
    """The last word of the first output line starting with ``label``."""
    return next(line.split()[-1] for line in lines if line.startswith(label))


def test_devnet_no_samples_starts_and_stops_cleanly(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, embedding_package: Path
) -> None:
    proc = _devnet(tmp_path, tmp_path_factory, "--no-samples", "--workers", "2")
    lines = _read_until(proc, lambda line: line.startswith("RPC"), 240)
    assert any(line.startswith("dashboard") for line in lines), "".join(lines)
    assert any(line.startswith("RPC") for line in lines), "".join(lines)
    dashboard, rpc = _value(lines, "dashboard"), _value(lines, "RPC")
    # Protocol v2: the agents were registered, then an epoch boundary was crossed.
    assert any(line.startswith("epoch       mined") for line in lines), "".join(lines)

    children = _children_of(proc.pid)
    assert len(children) >= 4  # anvil, 2 workers, the API
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []})
    req = urllib.request.Request(rpc, body.encode(), {"Content-Type": "application/json"})
    assert json.loads(urllib.request.urlopen(req, timeout=10).read())["result"] == "0x7a69"
    for _ in range(60):  # the API starts in its own process
        try:
            with urllib.request.urlopen(dashboard + "healthz", timeout=5) as resp:
                assert resp.status == 200
                break
        except OSError:
            time.sleep(1)
    else:
        raise AssertionError("the API never answered")

    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=90)
    assert proc.returncode == 0, "".join(lines) + rest
    assert "stopped; nothing left running" in rest
    leftovers = [pid for pid in children if _alive(pid)]
    assert leftovers == [], leftovers


def test_devnet_samples_run_to_finalization(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, embedding_package: Path
) -> None:
    """Every sample task (embeddings, a classification, a generation, an invalid input,
    a map-reduce workflow) succeeds; `agentnet task show` and `agent status` print
    what protocol v2 adds (draw block, seats; epochs and draw weights)."""
    proc = _devnet(tmp_path, tmp_path_factory, "--workers", "3")
    try:
        lines = _read_until(proc, lambda line: line.startswith("samples ended"), 300)
        output = "".join(lines)
        assert lines and lines[-1].startswith("samples ended"), output
        progress = [line for line in lines if " tasks 9: " in line]
        assert progress and progress[-1].split("tasks 9: ")[1].startswith("succeeded 9 |"), output
        took = re.findall(r"task (\d+) (\d+)", lines[-1])
        assert [int(task) for task, _ in took] == list(range(1, 10)), lines[-1]

        chain = ["--rpc", _value(lines, "RPC"), "--deployment", _value(lines, "contracts")]
        shown = _agentnet("task", "show", "9", *chain)
        assert "phase        succeeded" in shown and "parents      6, 7, 8" in shown, shown
        assert re.search(r"^draw block   \d+ \(or the block after its last parent", shown, re.M)
        members = re.findall(r"^  member     (0x[0-9a-fA-F]{40})  revealed 0x", shown, re.M)
        assert members, shown
        status = _agentnet("agent", "status", *chain, "--agent", members[0])
        assert re.search(r"^epoch        \d+ \(blocks of 256\)$", status, re.M), status
        assert re.search(r"^  drawn      0x[0-9a-f]{16}  \d+ ETH in epoch \d+", status, re.M)
        assert re.search(r"^reputation   agreed [1-9]", status, re.M), status
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=90)
    assert proc.returncode == 0, rest
    assert "stopped; nothing left running" in rest


def _agentnet(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "oracles.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout
