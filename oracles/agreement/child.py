"""One harness run in its own process: ``python -m oracles.agreement.child JOB OUT``.

Reads the job (package, inputs, threads, batch size, provider), reports what this
process sees (numpy's detected CPU features, the shared objects it mapped, the
provider onnxruntime uses) and the canonical output of every input, as JSON in
``OUT``. The parent preloads the masking library and checks the report; this
module only observes and runs.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any


def numpy_features() -> dict[str, bool]:
    """The CPU features numpy detected at import (numpy 2 and 1)."""
    import importlib

    try:
        umath = importlib.import_module("numpy._core._multiarray_umath")
    except ImportError:  # numpy 1.x
        umath = importlib.import_module("numpy.core._multiarray_umath")
    return {str(k): bool(v) for k, v in umath.__cpu_features__.items()}


def mapped_objects() -> list[str]:
    """Paths of the shared objects with executable mappings in this process."""
    paths: set[str] = set()
    for line in Path("/proc/self/maps").read_text().splitlines():
        parts = line.split(None, 5)
        if len(parts) == 6 and "x" in parts[1] and ".so" in parts[5]:
            paths.add(parts[5].strip())
    return sorted(paths)


def run(job: dict[str, Any]) -> dict[str, Any]:
    """Run the job's inputs through its package; return the report."""
    features = numpy_features()
    from oracles.engine import Engine

    engine = Engine.load(
        job["package"],
        threads=job["threads"],
        providers=[job["provider"]],
        allow_provider_mismatch=True,
    )
    inputs = [bytes.fromhex(x) for x in job["inputs"]]
    batch = max(1, int(job["batch"]))
    start = time.perf_counter()
    outputs: list[bytes] = []
    for i in range(0, len(inputs), batch):
        outputs.extend(engine.run_batch(inputs[i : i + batch]))
    seconds = time.perf_counter() - start
    return {
        "features": features,
        "objects": mapped_objects(),
        "providers": list(engine.session.get_providers()),
        "model_id": engine.model_id,
        "outputs": [o.hex() for o in outputs],
        "seconds": seconds,
    }


def main(argv: list[str]) -> int:
    """Entry point: JOB and OUT paths."""
    if len(argv) != 2:
        print("usage: python -m oracles.agreement.child JOB OUT", file=sys.stderr)
        return 2
    job = json.loads(Path(argv[0]).read_text())
    Path(argv[1]).write_text(json.dumps(run(job)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
