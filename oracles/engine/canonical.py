"""Canonical task inputs and outputs: parsing, validation, encoding.

Outputs are compact JSON (UTF-8, sorted keys, no spaces, non-ASCII kept as is)
so that any client can decode them without agentnet's code.

Error codes (output ``{"error":"<code>"}``), checked in this order:

- ``too_long``: the input is over ``limits.max_input_bytes`` bytes; or, later, a
  text, label or prompt tokenizes to more than the package's limit.
- ``bad_utf8``: the input bytes are not valid UTF-8, or a string holds a lone
  surrogate escape (``"\\ud800"``).
- ``bad_json``: not JSON, not a JSON object, a duplicate key, or NaN/Infinity.
- ``unknown_field``: a key other than those of the task kind.
- ``missing_field``: a required key is absent.
- ``bad_field``: a key has the wrong type (``text``/``prompt`` not a string,
  ``labels`` not a list of strings).
- ``no_labels``: ``labels`` is empty.
- ``too_many_labels``: more than ``limits.max_labels`` labels.
- ``bad_max_new_tokens``: not an integer (booleans and 3.0 are refused) or
  outside ``1..limits.max_new_tokens``.
- ``empty_prompt``: the prompt tokenizes to no tokens.
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

ERROR_CODES = (
    "too_long",
    "bad_utf8",
    "bad_json",
    "unknown_field",
    "missing_field",
    "bad_field",
    "no_labels",
    "too_many_labels",
    "bad_max_new_tokens",
    "empty_prompt",
)

FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # kind -> (required keys, optional keys)
    "embedding": (("text",), ()),
    "classification": (("text", "labels"), ()),
    "generation": (("prompt", "max_new_tokens"), ()),
}


class TaskInputError(Exception):
    """A task input is invalid; ``code`` is one of ERROR_CODES."""

    def __init__(self, code: str) -> None:
        assert code in ERROR_CODES, code
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Limits:
    """Input limits from the manifest's ``limits`` object."""

    max_input_bytes: int = 4096
    max_labels: int = 16
    max_new_tokens: int = 64

    @classmethod
    def from_manifest(cls, manifest: dict[str, Any]) -> Limits:
        """Read ``manifest["limits"]``, defaulting missing keys."""
        raw = manifest.get("limits", {})
        return cls(**{k: int(v) for k, v in raw.items() if k in cls.__dataclass_fields__})


def dumps(obj: Any) -> bytes:
    """Canonical JSON bytes: sorted keys, no spaces, UTF-8, no NaN."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def error_bytes(code: str) -> bytes:
    """Canonical output of an invalid input."""
    assert code in ERROR_CODES, code
    return dumps({"error": code})


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError("duplicate key")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"non-finite number {name}")


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_input(data: bytes, kind: str, limits: Limits) -> dict[str, Any]:
    """Decode and shape-check one task input; raise TaskInputError on any problem."""
    if len(data) > limits.max_input_bytes:
        raise TaskInputError("too_long")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise TaskInputError("bad_utf8") from None
    try:
        obj = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise TaskInputError("bad_json") from None
    if not isinstance(obj, dict):
        raise TaskInputError("bad_json")
    required, optional = FIELDS[kind]
    if any(key not in required and key not in optional for key in obj):
        raise TaskInputError("unknown_field")
    if any(key not in obj for key in required):
        raise TaskInputError("missing_field")
    for key in ("text", "prompt"):
        if key in obj and not isinstance(obj[key], str):
            raise TaskInputError("bad_field")
    if "labels" in obj:
        labels = obj["labels"]
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            raise TaskInputError("bad_field")
        if not labels:
            raise TaskInputError("no_labels")
        if len(labels) > limits.max_labels:
            raise TaskInputError("too_many_labels")
    strings = [obj.get("text"), obj.get("prompt"), *obj.get("labels", [])]
    for value in strings:
        if isinstance(value, str) and not _encodable(value):
            raise TaskInputError("bad_utf8")  # a lone surrogate escape such as "\ud800"
    if "max_new_tokens" in obj:
        n = obj["max_new_tokens"]
        if isinstance(n, bool) or not isinstance(n, int):
            raise TaskInputError("bad_max_new_tokens")
        if not 1 <= n <= limits.max_new_tokens:
            raise TaskInputError("bad_max_new_tokens")
    return obj


def quantize_unit(vector: np.ndarray, scale: int) -> np.ndarray:
    """L2-normalize in float64, then round(scale*x) half-to-even, clipped, as int8.

    The norm is the square root of the correctly rounded sum of squares
    (``math.fsum``), not a BLAS dot product: BLAS picks its kernel, and so its
    summation order, by CPU, and the last bit of the norm can move a value
    across a rounding boundary.
    """
    v = np.asarray(vector, dtype=np.float64)
    norm = math.sqrt(math.fsum((v * v).tolist()))
    v = v / max(norm, 1e-12)
    return np.clip(np.rint(v * scale), -scale, scale).astype(np.int8)


def embedding_bytes(q: np.ndarray) -> bytes:
    """Canonical embedding output for an int8 vector."""
    return dumps({"dim": int(q.shape[0]), "i8": base64.b64encode(q.tobytes()).decode("ascii")})


def classification_bytes(index: int, label: str) -> bytes:
    """Canonical classification output."""
    return dumps({"index": index, "label": label})


def generation_bytes(text: str, tokens: list[int]) -> bytes:
    """Canonical generation output."""
    return dumps({"text": text, "tokens": [int(t) for t in tokens]})
