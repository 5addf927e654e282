"""The engine input of a task with parents: the task's input plus its parents' outputs.

Every honest agent must feed its engine the same bytes, so the rule is fixed:
the parents' finalized outputs are decoded (canonical JSON) and their text is
taken in the order of the task's ``parents`` list: ``text`` for generation
outputs, ``label`` for classifications, the raw JSON otherwise. The texts are
numbered ``[1] ...``, ``[2] ...`` one per line. If the task's text field
(``prompt`` for generation, ``text`` otherwise) contains ``{parents}``, that
placeholder is replaced by the block; else the block is appended after a blank
line. A failed parent never reaches here (the child fails at activation).
"""

from __future__ import annotations

import json

PLACEHOLDER = "{parents}"


def parent_text(output: bytes) -> str:
    try:
        data = json.loads(output)
    except ValueError:
        return output.decode("utf-8", "replace")
    if isinstance(data, dict):
        if isinstance(data.get("text"), str):
            return data["text"].strip()
        if isinstance(data.get("label"), str):
            return data["label"]
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def compose(task_input: bytes, parent_outputs: list[bytes]) -> bytes:
    """Engine input bytes for a task; unchanged when it has no parents or bad JSON."""
    if not parent_outputs:
        return task_input
    try:
        data = json.loads(task_input)
    except ValueError:
        return task_input  # the engine answers its canonical error
    if not isinstance(data, dict):
        return task_input
    field = "prompt" if "prompt" in data else "text"
    base = data.get(field)
    if not isinstance(base, str):
        return task_input
    block = "\n".join(f"[{i + 1}] {parent_text(o)}" for i, o in enumerate(parent_outputs))
    data[field] = base.replace(PLACEHOLDER, block) if PLACEHOLDER in base else f"{base}\n\n{block}"
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
