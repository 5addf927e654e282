"""Task input bytes: the UTF-8 JSON objects PROTOCOL.md "Models" defines, per kind.

Inputs are written as compact JSON with sorted keys (any JSON the engine accepts
would do; this one is stable). A caller's own bytes or text go out unchanged: the
network answers an invalid input with a canonical ``{"error": code}`` output.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from oracles.client.errors import ClientError
from oracles.protocol import MAX_INPUT_BYTES

TaskInput = bytes | str | Mapping[str, Any]


def encode_input(data: TaskInput) -> bytes:
    """Bytes to post: a mapping as compact JSON, text as UTF-8, bytes as they are."""
    if isinstance(data, bytes):
        raw = data
    elif isinstance(data, str):
        raw = data.encode("utf-8")
    else:
        raw = json.dumps(
            dict(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8")
    if not raw:
        raise ClientError("a task input cannot be empty")
    if len(raw) > MAX_INPUT_BYTES:
        raise ClientError(
            f"task input is {len(raw)} bytes; the contract takes at most {MAX_INPUT_BYTES}"
        )
    return raw


def embedding_input(text: str) -> dict[str, Any]:
    """``{"text": ...}``."""
    return {"text": text}


def classification_input(text: str, labels: Sequence[str]) -> dict[str, Any]:
    """``{"text": ..., "labels": [...]}`` (zero-shot: any labels)."""
    if isinstance(labels, str):
        raise ClientError("labels must be a list of strings, not one string")
    return {"text": text, "labels": list(labels)}


def generation_input(prompt: str, max_new_tokens: int) -> dict[str, Any]:
    """``{"prompt": ..., "max_new_tokens": N}`` (greedy decoding)."""
    return {"prompt": prompt, "max_new_tokens": max_new_tokens}
