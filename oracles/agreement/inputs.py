"""Fixed, torch-free input sets for the agreement harness, one per task kind.

Inputs are built from word lists by index arithmetic only (no random generator,
no hashing), so input ``i`` is the same bytes on every machine and version:
``inputs(kind, n)`` is a prefix of ``inputs(kind, n + 1)``. Texts mix lengths
(a few words to about fifty), topics, digits, punctuation and non-ASCII
letters; generation prompts mix completions, questions, code and lists.
"""

from __future__ import annotations

import json

SUBJECTS = (
    "The network",
    "A validator",
    "My neighbour's cat",
    "The committee",
    "This old recipe",
    "The language model",
    "Our small team",
    "The city council",
    "A quiet librarian",
    "The weather service",
    "Every honest agent",
    "The museum in Zürich",
    "A student from São Paulo",
)
VERBS = (
    "finalized",
    "ignored",
    "reviewed",
    "rejected",
    "summarized",
    "celebrated",
    "misplaced",
    "translated",
    "measured",
    "questioned",
    "rebuilt",
)
OBJECTS = (
    "the task",
    "a long report on staking rewards",
    "dinner for twelve guests",
    "every reveal in the last block",
    "the forecast for Tuesday",
    "three chapters of a novel",
    "the bridge over the river",
    "a proof that 17 is prime",
    "the café's new menu",
)
TAILS = (
    "",
    " before noon",
    " and then slept for hours",
    ", which surprised nobody at all",
    " while the rain kept falling on the tin roof of the old station",
    "; nobody knows why, but the logs say it happened twice, at 03:14 and 04:20",
    " (again!)",
)
LABEL_SETS = (
    ("positive", "negative"),
    ("sports", "politics", "technology", "food"),
    ("question", "statement", "command"),
    ("urgent", "routine", "spam", "personal", "newsletter"),
    ("science", "art", "finance", "travel", "health", "history"),
    ("yes", "no"),
)
PROMPT_OPENERS = (
    "Once upon a time, {}",
    "Explain in simple words why {}",
    "Write a short poem about {}",
    "The three most important facts about {} are",
    "Q: What is the history of {}?\nA:",
    "List five things that remind you of {}:\n1.",
    "# Python function that reports on {}\ndef",
    "In a news report today: {}",
    "My favourite thing about {} is",
    "A surprising fact about {}:",
    "Dear diary, today I learned about {}, and",
    "Translate to French: {}.\nFrench:",
)
PROMPT_TOPICS = (
    "the sea",
    "a robot that learns to cook",
    "Ethereum staking",
    "the capital of France",
    "bicycles in Amsterdam",
    "overfitting in machine learning",
    "bread baking",
    "the moon landing",
)


def text(i: int) -> str:
    """The ``i``-th sentence."""
    s = SUBJECTS[i % len(SUBJECTS)]
    v = VERBS[(i // len(SUBJECTS)) % len(VERBS)]
    o = OBJECTS[(i // 7) % len(OBJECTS)]
    tail = TAILS[(i // 3) % len(TAILS)]
    return f"{s} {v} {o} on day {i}{tail}."


def prompt(i: int) -> str:
    """The ``i``-th generation prompt."""
    opener = PROMPT_OPENERS[i % len(PROMPT_OPENERS)]
    topic = PROMPT_TOPICS[(i // len(PROMPT_OPENERS)) % len(PROMPT_TOPICS)]
    extra = "" if i < len(PROMPT_OPENERS) * len(PROMPT_TOPICS) else f" (take {i})"
    return opener.format(topic + extra)


def task_input(kind: str, i: int, new_tokens: int = 32) -> bytes:
    """Task input ``i`` of a kind, as the bytes a requester would post."""
    if kind == "embedding":
        obj: dict[str, object] = {"text": text(i)}
    elif kind == "classification":
        obj = {"text": text(i), "labels": list(LABEL_SETS[i % len(LABEL_SETS)])}
    elif kind == "generation":
        obj = {"prompt": prompt(i), "max_new_tokens": new_tokens}
    else:
        raise ValueError(f"unknown kind {kind!r}")
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


def inputs(kind: str, n: int, new_tokens: int = 32) -> list[bytes]:
    """The first ``n`` inputs of a kind."""
    return [task_input(kind, i, new_tokens) for i in range(n)]
