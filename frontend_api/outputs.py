"""Task inputs and outputs decoded for people (PROTOCOL.md, Models).

Outputs are canonical JSON: embeddings ``{"dim","i8"}`` become a summary (dimension,
norm, first values), classifications a label, generations their text; an
``{"error": code}`` output is shown as an error whatever the model's kind.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from typing import Any

from oracles.protocol import ModelKind

KINDS = {int(kind): kind.label for kind in ModelKind}
FIRST_VALUES = 8


def decode_input(data: bytes) -> dict[str, Any]:
    """``{"json": ...}`` when the input is JSON, else ``{"text": ...}`` or ``{"hex": ...}``."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return {"hex": "0x" + data.hex()}
    try:
        return {"json": json.loads(text)}
    except ValueError:
        return {"text": text}


def _embedding(value: dict[str, Any]) -> dict[str, Any]:
    raw = base64.b64decode(str(value.get("i8", "")), validate=True)
    values = [(b - 256 if b > 127 else b) / 127 for b in raw]
    return {
        "type": "embedding",
        "dim": int(value.get("dim", len(values))),
        "norm": round(math.sqrt(sum(v * v for v in values)), 6),
        "first": [round(v, 6) for v in values[:FIRST_VALUES]],
    }


def decode_output(data: bytes | None, kind: int | None) -> dict[str, Any] | None:
    """A summary of ``data`` for a model of ``kind``; ``None`` when there is no output."""
    if not data:
        return None
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {"type": "raw", "hex": "0x" + data.hex()}
    if not isinstance(value, dict):
        return {"type": "json", "value": value}
    if "error" in value:
        return {"type": "error", "error": str(value["error"])}
    try:
        if kind == ModelKind.EMBEDDING or "i8" in value:
            return _embedding(value)
        if kind == ModelKind.CLASSIFICATION or "label" in value:
            return {
                "type": "classification",
                "label": str(value.get("label")),
                "index": value.get("index"),
            }
        if kind == ModelKind.GENERATION or "text" in value:
            return {
                "type": "generation",
                "text": str(value.get("text", "")),
                "tokens": len(value.get("tokens", [])),
            }
    except (binascii.Error, ValueError, TypeError):
        pass
    return {"type": "json", "value": value}
