"""Parsing of request parameters and bodies; every failure names its field (HTTP 400).

The bounds here are the ones the OpenAPI document states, so that a request valid for
the document is never rejected as malformed.
"""

from __future__ import annotations

import re
from typing import Any

from eth_utils.address import to_checksum_address
from multidict import MultiMapping

from frontend_api.errors import BadRequest
from oracles.protocol import MAX_COMMITTEE, MAX_INPUT_BYTES, MAX_PARENTS

INT64_MAX = 2**63 - 1
ADDRESS_RE = re.compile(r"^0x[0-9a-fA-F]{40}$")
BYTES32_RE = re.compile(r"^0x[0-9a-fA-F]{64}$")
UINT_RE = re.compile(r"^[0-9]{1,25}$")
DIGITS_RE = re.compile(r"^[0-9]{1,19}$")

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
# A string of at most 1,024 characters is at most 4,096 bytes of UTF-8 JSON input.
MAX_INPUT_CHARS = MAX_INPUT_BYTES // 4


def int_param(field: str, raw: str, lo: int, hi: int) -> int:
    if not DIGITS_RE.match(raw):
        raise BadRequest(field, f"must be an integer from {lo} to {hi}")
    value = int(raw)
    if not lo <= value <= hi:
        raise BadRequest(field, f"must be an integer from {lo} to {hi}")
    return value


def address(field: str, raw: str) -> str:
    if not ADDRESS_RE.match(raw):
        raise BadRequest(field, "must be a 0x-prefixed 20-byte hex address")
    return str(to_checksum_address(raw))


def bytes32(field: str, raw: str) -> str:
    if not BYTES32_RE.match(raw):
        raise BadRequest(field, "must be a 0x-prefixed 32-byte hex string")
    return raw.lower()


def choice(field: str, raw: str, options: tuple[str, ...]) -> str:
    if raw not in options:
        raise BadRequest(field, f"must be one of {', '.join(options)}")
    return raw


def only_known(query: MultiMapping[str], known: tuple[str, ...]) -> dict[str, str]:
    """The query as a dict; unknown or repeated parameters are errors."""
    out: dict[str, str] = {}
    for key in query:
        if key not in known:
            raise BadRequest(key, "unknown query parameter")
        if key in out:
            raise BadRequest(key, "given more than once")
        out[key] = query[key]
    return out


def _json_int(field: str, value: Any, lo: int, hi: int) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON Schema counts 3.0 as an integer
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise BadRequest(field, f"must be an integer from {lo} to {hi}")
    return value


def prepare_body(body: Any) -> dict[str, Any]:
    """Check the body of ``POST /api/tasks/prepare``; returns normalized fields."""
    if not isinstance(body, dict):
        raise BadRequest("body", "must be a JSON object")
    known = ("model", "input", "committee_size", "quorum", "fee", "parents", "from")
    for key in body:
        if key not in known:
            raise BadRequest(str(key), "unknown field")
    for key in ("model", "input", "committee_size"):
        if key not in body:
            raise BadRequest(key, "is required")
    if not isinstance(body["model"], str):
        raise BadRequest("model", "must be a 0x-prefixed 32-byte hex string")
    model = bytes32("model", body["model"])
    task_input = body["input"]
    if isinstance(task_input, str):
        if not 1 <= len(task_input) <= MAX_INPUT_CHARS:
            raise BadRequest("input", f"a string input has 1 to {MAX_INPUT_CHARS} characters")
    elif not isinstance(task_input, dict):
        raise BadRequest("input", "must be a JSON object or a string")
    size = _json_int("committee_size", body["committee_size"], 1, MAX_COMMITTEE)
    quorum = None
    if body.get("quorum") is not None:
        quorum = _json_int("quorum", body["quorum"], 1, MAX_COMMITTEE)
    fee = None
    if body.get("fee") is not None:
        if not isinstance(body["fee"], str) or not UINT_RE.match(body["fee"]):
            raise BadRequest("fee", "must be a decimal string of wei (1 to 25 digits)")
        fee = int(body["fee"])
    parents: list[int] = []
    if body.get("parents") is not None:
        raw = body["parents"]
        if not isinstance(raw, list) or len(raw) > MAX_PARENTS:
            raise BadRequest("parents", f"must be a list of at most {MAX_PARENTS} task ids")
        parents = [_json_int("parents", p, 1, INT64_MAX) for p in raw]
        if len(set(parents)) != len(parents):
            raise BadRequest("parents", "must not repeat a task id")
    sender = None
    if body.get("from") is not None:
        if not isinstance(body["from"], str):
            raise BadRequest("from", "must be a 0x-prefixed 20-byte hex address")
        sender = address("from", body["from"])
    return {
        "from": sender,
        "model": model,
        "input": task_input,
        "committee_size": size,
        "quorum": quorum,
        "fee": fee,
        "parents": parents,
    }
