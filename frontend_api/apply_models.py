"""How the ModelRegistry's events change the ``models`` table.

Registration, deprecation, and the owner's corrections (``ModelCorrected`` replaces
the publisher, kind and manifest URI of a registration; ``ModelReinstated`` undoes a
deprecation). Runs inside the follower's transaction.
"""

from __future__ import annotations

import sqlite3

from frontend_api.events import Event

ACTIVE = "active"
DEPRECATED = "deprecated"
STATUSES = (ACTIVE, DEPRECATED)


def apply_model_event(conn: sqlite3.Connection, ev: Event) -> None:
    """Apply one ModelRegistry event to ``models`` (others are ignored)."""
    a = ev.args
    if ev.name == "ModelRegistered":
        conn.execute(
            "INSERT OR REPLACE INTO models (model_id, publisher, kind, manifest_uri, status,"
            " registered_block, registered_ts) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                a["model_id"],
                a["publisher"],
                int(a["kind"]),
                a["manifest_uri"],
                ACTIVE,
                ev.block,
                ev.timestamp,
            ),
        )
    elif ev.name == "ModelCorrected":
        conn.execute(
            "UPDATE models SET publisher = ?, kind = ?, manifest_uri = ?, corrected_block = ?"
            " WHERE model_id = ?",
            (a["publisher"], int(a["kind"]), a["manifest_uri"], ev.block, a["model_id"]),
        )
    elif ev.name == "ModelDeprecated":
        conn.execute("UPDATE models SET status = ? WHERE model_id = ?", (DEPRECATED, a["model_id"]))
    elif ev.name == "ModelReinstated":
        conn.execute("UPDATE models SET status = ? WHERE model_id = ?", (ACTIVE, a["model_id"]))
