"""`agentnet api` as a process, and an index that resumes where it stopped."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

from tests.api.conftest import Network
from tests.api.helpers import ThreadedApi, get, wait_for

ROOT = Path(__file__).resolve().parents[2]


def _ids(url: str) -> list[int]:
    return [t["id"] for t in get(f"{url}/api/tasks?limit=200")["items"]]


def test_cli_serves_and_stops_on_sigterm(network: Network, tmp_path: Path) -> None:
    cmd = [
        sys.executable, "-m", "oracles.cli", "api",
        "--rpc", network.anvil.url,
        "--deployment", str(network.net.deployment_path),
        "--db", str(tmp_path / "cli.sqlite"),
        "--port", "0",
        "--poll-interval", "0.25",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        url = None
        assert proc.stdout is not None
        for raw in proc.stdout:
            found = re.search(rb"serving (http://\S+)", raw)
            if found:
                url = found.group(1).decode()
                break
        assert url is not None, "agentnet api printed no URL"
        expected = set(_ids(network.url))
        wait_for(lambda: expected <= set(_ids(url)), what="the CLI's index caught up")
        assert get(f"{url}/healthz")["chain_id"] == network.net.deployment.chain_id
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _matches_chain(network: Network, url: str) -> bool:
    """Every agent's reputation and balance in the index equal the contract's views."""
    for a in get(f"{url}/api/agents")["items"]:
        agreed, disagreed, missed = network.net.call("TaskMarket", "reputation", a["address"])
        if a["reputation"] != {"agreed": agreed, "disagreed": disagreed, "missed": missed}:
            return False
        owed = int(a["earnings"]) - int(a["withdrawn"])
        if owed != int(network.net.call("TaskMarket", "claimable", a["address"])):
            return False
    return True


def test_index_resumes_from_its_cursor(network: Network, tmp_path: Path) -> None:
    db = tmp_path / "resume.sqlite"
    first = ThreadedApi(network.anvil.url, network.net.deployment_path, db)
    try:
        expected = set(_ids(network.url))
        wait_for(lambda: expected <= set(_ids(first.url)), what="first index caught up")
        cursor = get(f"{first.url}/healthz")["indexed_block"]
    finally:
        first.stop()
    again = ThreadedApi(network.anvil.url, network.net.deployment_path, db)
    try:
        assert expected <= set(_ids(again.url))  # answered from the stored index at once
        assert get(f"{again.url}/healthz")["indexed_block"] >= cursor
        # Resumed, not replayed twice: the derived figures equal the chain's own.
        wait_for(lambda: _matches_chain(network, again.url), what="index equal to chain views")
        ids = _ids(again.url)
        assert len(ids) == len(set(ids))
        assert get(f"{again.url}/api/stats")["tasks"] == len(ids)
    finally:
        again.stop()
