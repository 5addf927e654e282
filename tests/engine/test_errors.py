"""Invalid task inputs give canonical error bytes, never an exception."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oracles.engine import ERROR_CODES, Engine


def err(code: str) -> bytes:
    assert code in ERROR_CODES
    return b'{"error":"' + code.encode() + b'"}'


COMMON = [
    (b"\xff\xfe", "bad_utf8"),
    (b'{"text":"\\ud800"}', "bad_utf8"),
    (b"not json", "bad_json"),
    (b"[1,2]", "bad_json"),
    (b'"text"', "bad_json"),
    (b'{"text":"a","text":"b"}', "bad_json"),
    (b'{"text":NaN}', "bad_json"),
    (b"", "bad_json"),
    (b'{"text":"' + b"a" * 5000 + b'"}', "too_long"),
]

EMBEDDING = [
    *COMMON,
    (b"{}", "missing_field"),
    (b'{"text":"a","extra":1}', "unknown_field"),
    (b'{"text":1}', "bad_field"),
    (b'{"text":null}', "bad_field"),
    (json.dumps({"text": "fox " * 100}).encode(), "too_long"),  # over 64 tokens
]

CLASSIFICATION = [
    (b'{"text":"a"}', "missing_field"),
    (b'{"text":"a","labels":"x"}', "bad_field"),
    (b'{"text":"a","labels":["x",1]}', "bad_field"),
    (b'{"text":"a","labels":[]}', "no_labels"),
    (json.dumps({"text": "a", "labels": ["x"] * 17}).encode(), "too_many_labels"),
    (json.dumps({"text": "a", "labels": ["fox " * 100]}).encode(), "too_long"),
]

GENERATION = [
    (b'{"prompt":"a"}', "missing_field"),
    (b'{"prompt":"a","max_new_tokens":0}', "bad_max_new_tokens"),
    (b'{"prompt":"a","max_new_tokens":65}', "bad_max_new_tokens"),
    (b'{"prompt":"a","max_new_tokens":true}', "bad_max_new_tokens"),
    (b'{"prompt":"a","max_new_tokens":3.0}', "bad_max_new_tokens"),
    (b'{"prompt":"a","max_new_tokens":"3"}', "bad_max_new_tokens"),
    (b'{"prompt":"","max_new_tokens":3}', "empty_prompt"),
    (b'{"prompt":3,"max_new_tokens":3}', "bad_field"),
    (b'{"text":"a","max_new_tokens":3}', "unknown_field"),
    (json.dumps({"prompt": "fox " * 100, "max_new_tokens": 64}).encode(), "too_long"),
]


@pytest.mark.parametrize(("data", "code"), EMBEDDING)
def test_embedding_errors(embedding_pkg: Path, data: bytes, code: str) -> None:
    assert Engine.load(embedding_pkg).run(data) == err(code)


@pytest.mark.parametrize(("data", "code"), CLASSIFICATION)
def test_classification_errors(classification_pkg: Path, data: bytes, code: str) -> None:
    assert Engine.load(classification_pkg).run(data) == err(code)


@pytest.mark.parametrize(("data", "code"), GENERATION)
def test_generation_errors(generation_pkg: Path, data: bytes, code: str) -> None:
    assert Engine.load(generation_pkg).run(data) == err(code)


def test_errors_inside_a_batch_do_not_disturb_others(generation_pkg: Path) -> None:
    engine = Engine.load(generation_pkg)
    good = b'{"prompt":"hello","max_new_tokens":4}'
    out = engine.run_batch([b"nope", good, b'{"prompt":""}', good])
    assert out[0] == err("bad_json")
    assert out[2] == err("missing_field")
    assert out[1] == out[3] == engine.run(good)
    assert "tokens" in json.loads(out[1])
