"""The OpenAPI 3.1 document of the API, with the bounds the handlers enforce."""

from __future__ import annotations

from typing import Any

from frontend_api.queries import STATES
from frontend_api.validate import (
    DEFAULT_LIMIT,
    INT64_MAX,
    MAX_COMMITTEE,
    MAX_INPUT_CHARS,
    MAX_LIMIT,
    MAX_PARENTS,
)

ADDRESS = {"type": "string", "pattern": "^0x[0-9a-fA-F]{40}$"}
BYTES32 = {"type": "string", "pattern": "^0x[0-9a-fA-F]{64}$"}
WEI = {"type": "string", "pattern": "^[0-9]+$"}
HEX = {"type": "string", "pattern": "^0x[0-9a-f]*$"}
INT = {"type": "integer"}
NINT = {"type": ["integer", "null"]}
TASK_ID = {"type": "integer", "minimum": 1, "maximum": INT64_MAX}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(props: dict[str, Any], required: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        out["required"] = list(props)
    return out


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERROR = _json(_ref("Error"), "Bad request: the field named is malformed")
NOT_FOUND = _json(_ref("Error"), "Not found")

EVENT = _obj(
    {
        "id": INT,
        "name": {"type": "string"},
        "block": INT,
        "tx_hash": HEX,
        "timestamp": INT,
        "args": {"type": "object"},
    }
)

TASK = _obj(
    {
        "id": TASK_ID,
        "requester": ADDRESS,
        "model": BYTES32,
        "fee": WEI,
        "committee_size": INT,
        "quorum": INT,
        "state": {"type": "string", "enum": list(STATES)},
        "commits": INT,
        "reveals": INT,
        "result_hash": {"type": ["string", "null"]},
        "parents": {"type": "array", "items": INT},
        "created_block": INT,
        "created_at": INT,
        "finalized_block": NINT,
        "finalized_at": NINT,
        "latency_s": NINT,
    }
)

TASK_DETAIL = {
    "allOf": [
        _ref("Task"),
        _obj(
            {
                "model_kind": {"type": ["string", "null"]},
                "input": {"type": "object"},
                "input_hex": HEX,
                "output": {"type": ["object", "null"], "properties": {"type": {"type": "string"}}},
                "output_hex": {"type": ["string", "null"]},
                "share": {"type": ["string", "null"]},
                "start_at": NINT,
                "commit_end": NINT,
                "reveal_end": NINT,
                "created_tx": HEX,
                "finalized_tx": {"type": ["string", "null"]},
                "children": {"type": "array", "items": INT},
                "committee": {
                    "type": "array",
                    "items": _obj(
                        {
                            "agent": ADDRESS,
                            "committed": {"type": "boolean"},
                            "revealed": {"type": "boolean"},
                            "result_hash": {"type": ["string", "null"]},
                            "agreed": {"type": "boolean"},
                            "commit_block": NINT,
                            "reveal_block": NINT,
                        }
                    ),
                },
                "slashes": {
                    "type": "array",
                    "items": _obj({"agent": ADDRESS, "amount": WEI, "reason": INT, "block": INT}),
                },
                "events": {"type": "array", "items": _ref("Event")},
            }
        ),
    ]
}

AGENT = _obj(
    {
        "address": ADDRESS,
        "signer": ADDRESS,
        "stake": WEI,
        "pending_unstake": WEI,
        "unbond_at": INT,
        "status": {"type": "string", "enum": ["active", "deregistered"]},
        "models": {"type": "array", "items": BYTES32},
        "endpoint": {"type": "string"},
        "registered_block": INT,
        "reputation": _obj({"agreed": INT, "disagreed": INT, "missed": INT}),
        "earnings": WEI,
        "slashed": WEI,
        "slashes": INT,
        "open_tasks": INT,
    }
)

AGENT_DETAIL = {
    "allOf": [
        _ref("Agent"),
        _obj(
            {
                "recent_tasks": {"type": "array", "items": _ref("Task")},
                "events": {"type": "array", "items": _ref("Event")},
            }
        ),
    ]
}

MODEL = _obj(
    {
        "model_id": BYTES32,
        "publisher": ADDRESS,
        "kind": {"type": "string"},
        "manifest_uri": {"type": "string"},
        "status": {"type": "string", "enum": ["active", "deprecated"]},
        "registered_block": INT,
        "tasks": INT,
        "agents": INT,
    }
)

STATS = _obj(
    {
        "now": INT,
        "tasks": INT,
        "states": _obj({s: INT for s in STATES}),
        "finalized": INT,
        "tasks_per_minute": {"type": "number"},
        "latency_s": _obj({"p50": NINT, "p95": NINT}),
        "latency_histogram": _obj(
            {"bounds": {"type": "array", "items": INT}, "counts": {"type": "array", "items": INT}}
        ),
        "finalized_per_minute": {
            "type": "array",
            "items": _obj({"minute": INT, "finalized": INT}),
        },
        "fees_total": WEI,
        "fees_paid": WEI,
        "slashed_total": WEI,
    }
)

PREPARE_BODY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["model", "input", "committee_size"],
    "properties": {
        "model": BYTES32,
        "input": {
            "oneOf": [
                {"type": "object", "maxProperties": 8},
                {"type": "string", "minLength": 1, "maxLength": MAX_INPUT_CHARS},
            ],
            "description": "A JSON object (sent as compact UTF-8 JSON) or the exact input text.",
        },
        "committee_size": {"type": "integer", "minimum": 1, "maximum": MAX_COMMITTEE},
        "quorum": {"type": "integer", "minimum": 1, "maximum": MAX_COMMITTEE},
        "fee": {"type": "string", "pattern": "^[0-9]{1,25}$", "description": "wei"},
        "from": {
            **ADDRESS,
            "description": "The sender: the transaction is simulated from it and gets a gas limit",
        },
        "parents": {
            "type": "array",
            "maxItems": MAX_PARENTS,
            "uniqueItems": True,
            "items": TASK_ID,
        },
    },
}

PREPARED = _obj(
    {
        "tx": _obj({"to": ADDRESS, "data": HEX, "value": HEX, "chainId": HEX})
        | {"properties": {"to": ADDRESS, "data": HEX, "value": HEX, "chainId": HEX, "gas": HEX}},
        "fee": WEI,
        "quorum": INT,
        "input_bytes": INT,
    }
)


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def document(version: str = "1.0.0") -> dict[str, Any]:
    """The whole document, served at ``/api/openapi.json``."""
    get_tasks = {
        "summary": "Tasks, newest first, with filters and cursor pagination",
        "parameters": [
            _query("state", {"type": "string", "enum": list(STATES)}, "Task state"),
            _query("model", BYTES32, "Model id"),
            _query("requester", ADDRESS, "Requester address"),
            _query("agent", ADDRESS, "A committee member (agent owner address)"),
            _query(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
                "Page size",
            ),
            _query("cursor", TASK_ID, "next_cursor of the previous page"),
        ],
        "responses": {
            "200": _json(
                _obj({"items": {"type": "array", "items": _ref("Task")}, "next_cursor": NINT}),
                "A page of tasks",
            ),
            "400": ERROR,
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "agentnet API",
            "version": version,
            "description": "Indexed tasks, agents and models of an agentnet deployment.",
        },
        "paths": {
            "/": {
                "get": {
                    "summary": "The dashboard page",
                    "responses": {
                        "200": {
                            "description": "HTML",
                            "content": {"text/html": {"schema": {"type": "string"}}},
                        }
                    },
                }
            },
            "/healthz": {
                "get": {
                    "summary": "Liveness of the API and its indexer",
                    "responses": {
                        "200": _json(
                            _obj(
                                {
                                    "ok": {"type": "boolean"},
                                    "chain_id": INT,
                                    "indexed_block": INT,
                                    "head_block": INT,
                                }
                            ),
                            "Healthy",
                        ),
                        "503": _json(_ref("Error"), "The indexer stopped"),
                    },
                }
            },
            "/api/tasks": {"get": get_tasks},
            "/api/tasks/{id}": {
                "get": {
                    "summary": "Everything about one task",
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "schema": TASK_ID}
                    ],
                    "responses": {
                        "200": _json(_ref("TaskDetail"), "The task"),
                        "400": ERROR,
                        "404": NOT_FOUND,
                    },
                }
            },
            "/api/tasks/prepare": {
                "post": {
                    "summary": "An unsigned createTask transaction for a wallet",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": PREPARE_BODY}},
                    },
                    "responses": {
                        "200": _json(PREPARED, "The transaction to send with eth_sendTransaction"),
                        "400": ERROR,
                        "409": _json(_ref("Error"), "The contract would reject it now"),
                    },
                }
            },
            "/api/agents": {
                "get": {
                    "summary": "Agents by earnings (leaderboard)",
                    "responses": {
                        "200": _json(
                            _obj({"items": {"type": "array", "items": _ref("Agent")}}), "Agents"
                        )
                    },
                }
            },
            "/api/agents/{address}": {
                "get": {
                    "summary": "One agent",
                    "parameters": [
                        {"name": "address", "in": "path", "required": True, "schema": ADDRESS}
                    ],
                    "responses": {
                        "200": _json(_ref("AgentDetail"), "The agent"),
                        "400": ERROR,
                        "404": NOT_FOUND,
                    },
                }
            },
            "/api/models": {
                "get": {
                    "summary": "Registered models",
                    "responses": {
                        "200": _json(
                            _obj({"items": {"type": "array", "items": _ref("Model")}}), "Models"
                        )
                    },
                }
            },
            "/api/stats": {
                "get": {
                    "summary": "Counts, throughput, latency, money",
                    "responses": {"200": _json(_ref("Stats"), "Statistics")},
                }
            },
            "/api/events": {
                "get": {
                    "summary": "Server-sent events: each chain event as the indexer stores it",
                    "responses": {
                        "200": {
                            "description": "An endless text/event-stream",
                            "content": {"text/event-stream": {"schema": {"type": "string"}}},
                        }
                    },
                }
            },
            "/api/openapi.json": {
                "get": {
                    "summary": "This document",
                    "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1")},
                }
            },
        },
        "components": {
            "schemas": {
                "Error": _obj(
                    {"error": {"type": "string"}, "field": {"type": "string"}}, required=False
                )
                | {"required": ["error"]},
                "Event": EVENT,
                "Task": TASK,
                "TaskDetail": TASK_DETAIL,
                "Agent": AGENT,
                "AgentDetail": AGENT_DETAIL,
                "Model": MODEL,
                "Stats": STATS,
            }
        },
    }


def allowed_methods(path: str) -> list[str]:
    """Methods the document lists for ``path`` (exact paths win over templates)."""
    paths = document()["paths"]
    if path in paths:
        return sorted(m.upper() for m in paths[path])
    parts = path.strip("/").split("/")
    for template, ops in paths.items():
        tparts = template.strip("/").split("/")
        if len(tparts) == len(parts) and all(
            t.startswith("{") or t == p for t, p in zip(tparts, parts, strict=True)
        ):
            return sorted(m.upper() for m in ops)
    return []
