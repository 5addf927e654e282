"""Canonical 384-d embedding outputs for the tolerance tests and benchmarks.

The same bytes as ``oracles.engine.canonical.embedding_bytes`` (compact JSON, sorted
keys, standard base64 of the int8 values), written out here so that the contract
tests do not import the inference engine.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable

DIM = 384


def embedding_output(values: Iterable[int]) -> bytes:
    """``{"dim":n,"i8":"<base64>"}`` of signed int8 values."""
    ints = list(values)
    assert all(-128 <= v <= 127 for v in ints), "not int8"
    raw = bytes(v & 0xFF for v in ints)
    text = base64.b64encode(raw).decode("ascii")
    return b'{"dim":' + str(len(raw)).encode() + b',"i8":"' + text.encode() + b'"}'


def base_vector(seed: int = 0) -> list[int]:
    """A 384-d int8 vector that uses the whole range (both signs, -128 and 127)."""
    out = [((i * 37 + seed * 11) % 256) - 128 for i in range(DIM)]
    out[0], out[1] = -128, 127
    return out


def stepped(values: list[int], steps: dict[int, int]) -> list[int]:
    """A copy of `values` with `steps[i]` added to coordinate i (kept within int8)."""
    out = list(values)
    for i, d in steps.items():
        out[i] += d
        assert -128 <= out[i] <= 127, (i, out[i])
    return out
