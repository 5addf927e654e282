"""Canonical outputs of the three task kinds, decoded without agentnet code."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest

from oracles.engine import Engine

TEXTS = [
    "hello world",
    "the quick brown fox jumps over the lazy dog",
    "zéro ünïcode 日本語",
    "",
    "a committee commits then reveals its result " * 3,
]


@pytest.fixture(scope="module")
def embedder(embedding_pkg: Path) -> Engine:
    return Engine.load(embedding_pkg, threads=1)


def decode_embedding(output: bytes) -> np.ndarray:
    obj = json.loads(output)
    assert sorted(obj) == ["dim", "i8"]
    vec = np.frombuffer(base64.b64decode(obj["i8"], validate=True), dtype=np.int8)
    assert vec.shape == (obj["dim"],)
    return vec


def is_canonical_json(output: bytes) -> bool:
    obj = json.loads(output.decode("utf-8"))
    again = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return again.encode("utf-8") == output


def torch_embedding(folder: Path, text: str) -> np.ndarray:
    """Reference: PyTorch last hidden state, mean-pooled, L2-normalized."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModel.from_pretrained(folder).eval()
    with torch.no_grad():
        hidden = model(**tokenizer(text, return_tensors="pt")).last_hidden_state[0]
    v = hidden.double().mean(dim=0).numpy()
    return v / np.linalg.norm(v)


@pytest.mark.parametrize("text", TEXTS)
def test_embedding_is_a_rounded_unit_vector(embedder: Engine, tiny_base: Path, text: str) -> None:
    output = embedder.run(json.dumps({"text": text}).encode())
    assert is_canonical_json(output)
    vec = decode_embedding(output)
    assert vec.shape == (32,)
    assert abs(np.linalg.norm(vec.astype(float) / 127) - 1) < 0.05
    reference = torch_embedding(tiny_base / "hf-bert", text)
    assert np.abs(vec.astype(int) - np.rint(127 * reference)).max() <= 1
    assert float(np.dot(vec / np.linalg.norm(vec), reference)) > 0.999


def test_classification_picks_the_best_int8_dot(classification_pkg: Path, embedder: Engine) -> None:
    engine = Engine.load(classification_pkg, threads=1)
    labels = ["fox", "chain", "hello world", "日本語", "fox"]
    for text in TEXTS[:3]:
        output = engine.run(json.dumps({"text": text, "labels": labels}).encode())
        assert is_canonical_json(output)
        obj = json.loads(output)
        embed = [embedder.run(json.dumps({"text": s}).encode()) for s in [text, *labels]]
        vecs = [decode_embedding(e).astype(np.int64) for e in embed]
        scores = [int(vecs[0] @ v) for v in vecs[1:]]
        assert obj == {"index": scores.index(max(scores)), "label": labels[obj["index"]]}
    # The text itself as a label always wins.
    output = engine.run(
        json.dumps({"text": "hello world", "labels": ["fox", "hello world"]}).encode()
    )
    assert json.loads(output) == {"index": 1, "label": "hello world"}


def torch_greedy(folder: Path, prompt: str, n: int) -> list[int]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder).eval()
    ids = tokenizer(prompt, return_tensors="pt").input_ids
    with torch.no_grad():
        out = model.generate(
            ids, attention_mask=torch.ones_like(ids), max_new_tokens=n, do_sample=False
        )
    return [int(t) for t in out[0, ids.shape[1] :]]


@pytest.mark.parametrize(
    ("prompt", "n"), [("hello agents", 20), ("the quick brown fox", 7), ("日本語", 1)]
)
def test_generation_matches_pytorch_greedy(
    generation_pkg: Path, tiny_base: Path, prompt: str, n: int
) -> None:
    from transformers import AutoTokenizer

    engine = Engine.load(generation_pkg, threads=1)
    output = engine.run(json.dumps({"prompt": prompt, "max_new_tokens": n}).encode())
    assert is_canonical_json(output)
    obj = json.loads(output)
    expected = torch_greedy(tiny_base / "hf-gpt2", prompt, n)
    assert obj["tokens"] == expected
    tokenizer = AutoTokenizer.from_pretrained(tiny_base / "hf-gpt2")
    assert obj["text"] == tokenizer.decode(expected, skip_special_tokens=True)
