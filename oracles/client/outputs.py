"""Decode canonical task outputs (PROTOCOL.md "Models"; ``oracles/engine/canonical.py``).

Outputs are compact JSON: ``{"dim":N,"i8":"<base64>"}`` for an embedding (int8 values,
round(127·x) of the L2-normalized vector), ``{"index":i,"label":"..."}`` for a
classification, ``{"text":"...","tokens":[...]}`` for a generation, and
``{"error":"<code>"}`` when the committee agreed the input was invalid, which raises
:class:`~oracles.client.errors.InvalidInput`.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import numpy as np
import numpy.typing as npt

from oracles.client.errors import BadOutput, InvalidInput


def parse_output(output: bytes, task_id: int | None = None) -> dict[str, Any]:
    """The output's JSON object; :class:`InvalidInput` for an ``{"error": code}`` output."""
    try:
        data = json.loads(output)
    except ValueError:
        raise BadOutput(f"output {output[:60]!r} is not JSON") from None
    if not isinstance(data, dict):
        raise BadOutput(f"output {output[:60]!r} is not a JSON object")
    if "error" in data:
        raise InvalidInput(str(data["error"]), task_id)
    return data


def _field(data: dict[str, Any], key: str, kind: type, what: str) -> Any:
    value = data.get(key)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise BadOutput(f"not {what} output: field {key!r} is missing or of the wrong type")
    return value


def decode_embedding(output: bytes, task_id: int | None = None) -> npt.NDArray[np.int8]:
    """The int8 vector (divide by 127 for the unit vector's approximation)."""
    data = parse_output(output, task_id)
    dim = _field(data, "dim", int, "an embedding")
    try:
        raw = base64.b64decode(_field(data, "i8", str, "an embedding"), validate=True)
    except binascii.Error:
        raise BadOutput("not an embedding output: 'i8' is not base64") from None
    if len(raw) != dim:
        raise BadOutput(f"embedding output holds {len(raw)} values, not its dim {dim}")
    return np.frombuffer(raw, dtype=np.int8).copy()


def decode_classification(output: bytes, task_id: int | None = None) -> tuple[int, str]:
    """``(index, label)`` of the chosen label."""
    data = parse_output(output, task_id)
    index = _field(data, "index", int, "a classification")
    return int(index), str(_field(data, "label", str, "a classification"))


def decode_generation(output: bytes, task_id: int | None = None) -> str:
    """The generated text (the tokens after the prompt, decoded)."""
    return str(_field(parse_output(output, task_id), "text", str, "a generation"))
