"""JSON Schemas of the API's bodies (the OpenAPI document's components), with the
bounds the handlers enforce and the shapes the queries return."""

from __future__ import annotations

from typing import Any

from frontend_api.apply_agents import ACTIVE as AGENT_ACTIVE
from frontend_api.apply_agents import DEREGISTERED
from frontend_api.apply_models import STATUSES as MODEL_STATUSES
from frontend_api.apply_tasks import Outcome
from frontend_api.task_queries import SLASH_LABELS, STATES
from frontend_api.validate import INT64_MAX, MAX_INPUT_CHARS
from oracles.protocol import MAX_COMMITTEE, MAX_PARENTS

ADDRESS = {"type": "string", "pattern": "^0x[0-9a-fA-F]{40}$"}
BYTES32 = {"type": "string", "pattern": "^0x[0-9a-fA-F]{64}$"}
WEI = {"type": "string", "pattern": "^[0-9]+$"}
NWEI = {"type": ["string", "null"], "pattern": "^[0-9]+$"}
HEX = {"type": "string", "pattern": "^0x[0-9a-f]*$"}
INT = {"type": "integer"}
NINT = {"type": ["integer", "null"]}
SEATS = {"type": "integer", "minimum": 0, "maximum": MAX_COMMITTEE}
TASK_ID = {"type": "integer", "minimum": 1, "maximum": INT64_MAX}
NSTRING = {"type": ["string", "null"]}


REASONS = ", ".join(f"{code} {label}" for code, label in SLASH_LABELS.items())


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(props: dict[str, Any], required: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        out["required"] = list(props)
    return out


def array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


EVENT = obj(
    {
        "id": INT,
        "name": {"type": "string"},
        "block": INT,
        "tx_hash": HEX,
        "timestamp": INT,
        "args": {"type": "object"},
    }
)

TASK = obj(
    {
        "id": TASK_ID,
        "requester": ADDRESS,
        "model": BYTES32,
        "fee": WEI,
        "committee_size": {**SEATS, "description": "Seats drawn (with replacement)"},
        "quorum": {**SEATS, "description": "Seats that must reveal the same result"},
        "state": {"type": "string", "enum": list(STATES)},
        "draw_block": {**INT, "description": "The block whose hash draws the committee"},
        "member_count": {**SEATS, "description": "Distinct agents seated (0 while waiting)"},
        "commits": {**SEATS, "description": "Members that committed"},
        "reveals": {**SEATS, "description": "Members that revealed"},
        "revealed_seats": {**SEATS, "description": "Seats of the members that revealed"},
        "result_hash": NSTRING,
        "parents": array(INT),
        "created_block": INT,
        "created_at": INT,
        "finalized_block": NINT,
        "finalized_at": NINT,
        "latency_s": NINT,
    }
)

MEMBER = obj(
    {
        "agent": ADDRESS,
        "seats": {**SEATS, "minimum": 1},
        "committed": {"type": "boolean"},
        "revealed": {"type": "boolean"},
        "result_hash": NSTRING,
        "outcome": {"enum": [*(str(o) for o in Outcome), None]},
        "reward": {**NWEI, "description": "share x seats, for a member that agreed"},
        "commit_block": NINT,
        "reveal_block": NINT,
    }
)

TASK_DETAIL = {
    "allOf": [
        ref("Task"),
        obj(
            {
                "model_kind": NSTRING,
                "input": {"type": "object"},
                "input_hex": HEX,
                "output": {"type": ["object", "null"], "properties": {"type": {"type": "string"}}},
                "output_hex": NSTRING,
                "share": {**NWEI, "description": "Paid per agreeing seat"},
                "agreeing_seats": {**SEATS, "type": ["integer", "null"]},
                "committed_seats": SEATS,
                "unbacked_hash": {
                    **NSTRING,
                    "description": "A failed task's quorum hash that no output backed",
                },
                "redraws": INT,
                "params_version": NINT,
                "commit_window": INT,
                "reveal_window": INT,
                "slash_missed": {**WEI, "description": "Per missed seat, this task's own"},
                "slash_wrong": {**WEI, "description": "Per wrong seat, this task's own"},
                "grace_period": NINT,
                "grace_end": NINT,
                "activated_block": NINT,
                "start_at": NINT,
                "commit_end": NINT,
                "reveal_end": NINT,
                "created_tx": HEX,
                "finalized_tx": NSTRING,
                "children": array(INT),
                "committee": {
                    **array(ADDRESS),
                    "maxItems": MAX_COMMITTEE,
                    "description": "One agent per seat, in seat order (empty while waiting)",
                },
                "members": {**array(ref("Member")), "maxItems": MAX_COMMITTEE},
                "slashes": array(
                    obj(
                        {
                            "agent": ADDRESS,
                            "amount": WEI,
                            "seats": SEATS,
                            "reason": INT,
                            "reason_label": {"type": "string"},
                            "block": INT,
                        }
                    )
                    | {"description": f"Reasons: {REASONS}"}
                ),
                "skipped": array(
                    obj(
                        {
                            "agent": ADDRESS,
                            "reason": INT,
                            "reason_label": {"type": "string"},
                            "block": INT,
                            "tx_hash": HEX,
                        }
                    )
                    | {"description": "Batch items that did not take effect, and why"}
                ),
                "events": array(ref("Event")),
            }
        ),
    ]
}

AGENT = obj(
    {
        "address": ADDRESS,
        "signer": ADDRESS,
        "stake": WEI,
        "pending_unstake": WEI,
        "unbond_at": INT,
        "status": {"type": "string", "enum": [AGENT_ACTIVE, DEREGISTERED]},
        "models": array(BYTES32),
        "endpoint": {"type": "string"},
        "registered_block": INT,
        "reputation": obj({str(o): {**INT, "description": "Tasks"} for o in Outcome}),
        "earnings": WEI,
        "paid_seats": INT,
        "slashed": WEI,
        "slashes": INT,
        "slashed_seats": INT,
        "withdrawn": WEI,
        "open_tasks": INT,
    }
)

AGENT_DETAIL = {
    "allOf": [
        ref("Agent"),
        obj(
            {
                "recent_tasks": array(ref("Task")),
                "withdrawals": array(
                    obj(
                        {
                            "receiver": ADDRESS,
                            "amount": WEI,
                            "block": INT,
                            "timestamp": INT,
                            "tx_hash": HEX,
                        }
                    )
                ),
                "events": array(ref("Event")),
            }
        ),
    ]
}

MODEL = obj(
    {
        "model_id": BYTES32,
        "publisher": ADDRESS,
        "kind": {"type": "string"},
        "manifest_uri": {"type": "string"},
        "status": {"type": "string", "enum": list(MODEL_STATUSES)},
        "registered_block": INT,
        "corrected_block": NINT,
        "tasks": INT,
        "agents": INT,
    }
)

STATS = obj(
    {
        "now": INT,
        "tasks": INT,
        "states": obj({s: INT for s in STATES}),
        "finalized": INT,
        "tasks_per_minute": {"type": "number"},
        "latency_s": obj({"p50": NINT, "p95": NINT}),
        "latency_histogram": obj({"bounds": array(INT), "counts": array(INT)}),
        "finalized_per_minute": array(obj({"minute": INT, "finalized": INT})),
        "fees_total": WEI,
        "fees_paid": WEI,
        "slashed_total": WEI,
        "withdrawn_total": WEI,
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
        "committee_size": {
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_COMMITTEE,
            "description": "Seats, drawn with replacement: one agent may hold several",
        },
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

TX = {
    "type": "object",
    "required": ["to", "data", "value", "chainId"],
    "properties": {"to": ADDRESS, "data": HEX, "value": HEX, "chainId": HEX, "gas": HEX},
}
PREPARED = obj({"tx": TX, "fee": WEI, "quorum": INT, "input_bytes": INT})

HEALTH = obj({"ok": {"type": "boolean"}, "chain_id": INT, "indexed_block": INT, "head_block": INT})

ERROR = obj({"error": {"type": "string"}, "field": {"type": "string"}}, required=False) | {
    "required": ["error"]
}

COMPONENTS = {
    "Error": ERROR,
    "Event": EVENT,
    "Task": TASK,
    "TaskDetail": TASK_DETAIL,
    "Member": MEMBER,
    "Agent": AGENT,
    "AgentDetail": AGENT_DETAIL,
    "Model": MODEL,
    "Stats": STATS,
}
