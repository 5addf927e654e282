"""The OpenAPI 3.1 document of the API (its paths; the bodies are in
:mod:`~frontend_api.schemas`), and the methods it allows per path."""

from __future__ import annotations

from typing import Any

from frontend_api.schemas import (
    ADDRESS,
    BYTES32,
    COMPONENTS,
    HEALTH,
    NINT,
    PREPARE_BODY,
    PREPARED,
    TASK_ID,
    array,
    obj,
    ref,
)
from frontend_api.task_queries import STATES
from frontend_api.validate import DEFAULT_LIMIT, MAX_LIMIT


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERROR = _json(ref("Error"), "Bad request: the field named is malformed")
NOT_FOUND = _json(ref("Error"), "Not found")


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def _path_param(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _get(summary: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"get": {"summary": summary, **extra, "responses": responses}}


def _list_of(name: str, description: str) -> dict[str, Any]:
    return _json(obj({"items": array(ref(name))}), description)


GET_TASKS = _get(
    "Tasks, newest first, with filters and cursor pagination",
    {
        "200": _json(
            obj({"items": array(ref("Task")), "next_cursor": NINT}),
            "A page of tasks",
        ),
        "400": ERROR,
    },
    parameters=[
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
)

PATHS: dict[str, Any] = {
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
    "/healthz": _get(
        "Liveness of the API and its indexer",
        {"200": _json(HEALTH, "Healthy"), "503": _json(ref("Error"), "The indexer stopped")},
    ),
    "/api/tasks": GET_TASKS,
    "/api/tasks/{id}": _get(
        "Everything about one task: seats, members, windows, slashes, events",
        {"200": _json(ref("TaskDetail"), "The task"), "400": ERROR, "404": NOT_FOUND},
        parameters=[_path_param("id", TASK_ID)],
    ),
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
                "409": _json(ref("Error"), "The contract would reject it now"),
            },
        }
    },
    "/api/agents": _get("Agents by earnings (leaderboard)", {"200": _list_of("Agent", "Agents")}),
    "/api/agents/{address}": _get(
        "One agent, its recent tasks, withdrawals and events",
        {"200": _json(ref("AgentDetail"), "The agent"), "400": ERROR, "404": NOT_FOUND},
        parameters=[_path_param("address", ADDRESS)],
    ),
    "/api/models": _get("Registered models", {"200": _list_of("Model", "Models")}),
    "/api/stats": _get(
        "Counts, throughput, latency, money", {"200": _json(ref("Stats"), "Statistics")}
    ),
    "/api/events": _get(
        "Server-sent events: each chain event as the indexer stores it",
        {
            "200": {
                "description": "An endless text/event-stream",
                "content": {"text/event-stream": {"schema": {"type": "string"}}},
            }
        },
    ),
    "/api/openapi.json": _get("This document", {"200": _json({"type": "object"}, "OpenAPI 3.1")}),
}


def document(version: str = "2.0.0") -> dict[str, Any]:
    """The whole document, served at ``/api/openapi.json``."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "agentnet API",
            "version": version,
            "description": "Indexed tasks, agents and models of an agentnet deployment"
            " (protocol v2: committees of seats drawn with replacement).",
        },
        "paths": PATHS,
        "components": {"schemas": COMPONENTS},
    }


def allowed_methods(path: str) -> list[str]:
    """Methods the document lists for ``path`` (exact paths win over templates)."""
    if path in PATHS:
        return sorted(m.upper() for m in PATHS[path])
    parts = path.strip("/").split("/")
    for template, ops in PATHS.items():
        tparts = template.strip("/").split("/")
        if len(tparts) == len(parts) and all(
            t.startswith("{") or t == p for t, p in zip(tparts, parts, strict=True)
        ):
            return sorted(m.upper() for m in ops)
    return []
