"""`agentnet demo`: the in-process walk through tasks' lives runs and tells what happened."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_demo_walks_four_tasks_to_their_ends() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "oracles.cli", "demo"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    assert "Traceback" not in proc.stderr
    # The honest task is paid, the liar slashed, the silent majority refunded, the
    # unbacked quorum ended after the grace period.
    assert out.count("finalize -> succeeded") == 2
    assert out.count("finalize -> failed") == 2
    assert re.search(r"1 seat\(s\)\s+claimable 0\.000000 ETH\s+slashed 0\.050000 ETH", out)
    assert "requester refund claimable" in out
    # Every transaction line carries its gas.
    gas = [int(g.replace(",", "")) for g in re.findall(r"([\d,]+) gas", out)]
    assert len(gas) > 15 and all(21_000 < g < 2_000_000 for g in gas)
