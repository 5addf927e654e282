"""`agentnet devnet` starts the whole network and stops it cleanly on Ctrl-C."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

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


def test_devnet_no_samples_starts_and_stops_cleanly(
    tmp_path: Path, tmp_path_factory, embedding_package: Path
) -> None:
    base = tmp_path_factory.getbasetemp() / "agentnet-tiny"
    models = tmp_path / "models"
    models.mkdir()
    for alias, name in (
        ("minilm-embedding", "embedding"),
        ("minilm-classification", "classification"),
        ("smollm2", "generation"),
    ):
        shutil.copytree(tiny_package(base, name), models / f"tiny-{alias}")
    work = tmp_path / "devnet"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "oracles.cli",
            "devnet",
            "--tiny",
            "--no-samples",
            "--workers",
            "2",
            "--rpc-port",
            "0",
            "--api-port",
            "0",
            "--models-dir",
            str(models),
            "--workdir",
            str(work),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: list[str] = []
    dashboard = rpc = ""
    deadline = time.time() + 240
    assert proc.stdout is not None
    while time.time() < deadline and not (dashboard and rpc):
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("dashboard"):
            dashboard = line.split()[-1]
        if line.startswith("RPC"):
            rpc = line.split()[-1]
    assert dashboard and rpc, "".join(lines)

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
