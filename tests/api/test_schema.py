"""Schema-driven fuzzing of the API from its own OpenAPI document (schemathesis CLI).

The server runs against the live network; schemathesis checks every operation with
all its checks (no 5xx, responses match the schema, schema-valid requests accepted,
invalid ones rejected, 405 with an honest Allow header). The SSE stream never ends,
so it is excluded.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.api.conftest import Network

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def test_schemathesis_finds_no_failure(network: Network, artifacts: Path) -> None:
    cmd = [
        str(SCHEMATHESIS),
        "run",
        f"{network.url}/api/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        "60",
        "--seed",
        "1",
        "--exclude-path",
        "/api/events",
        "--request-timeout",
        "30",
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    (artifacts / "schemathesis.txt").write_text(result.stdout + result.stderr)
    assert result.returncode == 0, result.stdout[-6000:]
