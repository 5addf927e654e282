"""Model references: a model id from 0x hex, raw bytes, a package folder, or an alias.

The one resolver of the requester side: the client and ``agentnet task create`` both
use :func:`resolve_model`. Aliases are the names ``agentnet devnet`` records in
``.agentnet/models.json`` (``{"minilm": "0x...", "minilm-classification": "0x...",
...}``), or any mapping or JSON file of the same shape. With a ``kind``, the alias
``<name>-<kind>`` wins when it exists, so ``minilm`` means the MiniLM classification
package when labels are given.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from oracles.client.errors import UnknownModel
from oracles.errors import UsageError

ALIASES_FILE = Path(__file__).resolve().parents[2] / ".agentnet" / "models.json"
KINDS = ("embedding", "classification", "generation")  # ModelRegistry kinds 0, 1, 2

ModelRef = str | bytes | os.PathLike[str]
AliasSource = str | os.PathLike[str] | Mapping[str, str | bytes]


def _id_from_hex(text: str) -> bytes | None:
    digits = text.strip().removeprefix("0x").removeprefix("0X")
    if len(digits) != 64:
        return None
    try:
        return bytes.fromhex(digits)
    except ValueError:
        return None


def read_aliases(source: AliasSource | None = None) -> dict[str, bytes]:
    """Alias -> model id, from a mapping or a JSON file (default: the devnet's record).

    A missing file means no aliases; an unreadable one is a one-line error.
    """
    if isinstance(source, Mapping):
        return {str(k): _alias_id(str(k), v, "the aliases given") for k, v in source.items()}
    path = Path(source) if source is not None else ALIASES_FILE
    if not path.is_file():
        return {}
    try:
        recorded: Any = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(recorded, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
        raise UsageError(
            f"cannot read the model aliases in {path} ({exc}): "
            "run `agentnet devnet` again to rewrite it, or give a 0x model id"
        ) from None
    return {str(k): _alias_id(str(k), v, str(path)) for k, v in recorded.items()}


def _alias_id(alias: str, value: object, where: str) -> bytes:
    if isinstance(value, bytes) and len(value) == 32:
        return value
    model_id = _id_from_hex(value) if isinstance(value, str) else None
    if model_id is None:
        raise UsageError(f"alias {alias!r} in {where} is not a 32-byte 0x model id")
    return model_id


def resolve_model(
    ref: ModelRef, kind: str | None = None, aliases: AliasSource | None = None
) -> bytes:
    """The 32-byte model id ``ref`` names.

    In order: 32 raw bytes; 64 hex digits (with or without ``0x``); a package folder
    (its id computed from its files, as workers do); an alias from ``aliases``
    (default: the devnet's ``.agentnet/models.json``), ``<ref>-<kind>`` first.
    """
    if isinstance(ref, bytes):
        if len(ref) != 32:
            raise UnknownModel(f"a model id is 32 bytes, not {len(ref)}")
        return ref
    text = os.fspath(ref).strip()
    model_id = _id_from_hex(text)
    if model_id is not None:
        return model_id
    if text and Path(text).is_dir():
        from oracles.package import load_package

        return bytes.fromhex(load_package(text).model_id[2:])
    known = read_aliases(aliases)
    for alias in ([f"{text}-{kind}"] if kind else []) + [text]:
        if alias in known:
            return known[alias]
    where = "the aliases given" if isinstance(aliases, Mapping) else str(aliases or ALIASES_FILE)
    raise UnknownModel(
        f"unknown model {text!r}: give a 0x model id, a package folder, or an alias "
        f"recorded by `agentnet devnet` in {where}"
    )


def input_kind(data: Mapping[str, Any]) -> str:
    """The model kind a task input is meant for: by its fields, as the engine reads them."""
    if "prompt" in data:
        return "generation"
    if "labels" in data:
        return "classification"
    return "embedding"
