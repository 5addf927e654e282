"""Measured agreement between an exported ONNX graph and the PyTorch model.

Encoders: the largest absolute difference of the last hidden state, and the
smallest cosine between mean-pooled sentence vectors. Decoders: the largest
absolute logit difference, and teacher-forced top-1 agreement: PyTorch's greedy
continuation of each prompt is fed to both models, and we count the positions
where both pick the same next token.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from oracles.engine.session import create_session

EVAL_TEXTS = (
    "A man is playing a guitar on the street.",
    "The committee reached a quorum and the task was finalized.",
    "Quantum computers factor integers; classical ones mostly do not.",
    "¿Dónde está la biblioteca? 日本語のテキストも。",
)
EVAL_PROMPTS = (
    "The capital of France is",
    "Once upon a time, in a small village,",
    "def fibonacci(n):",
)


def _pool(hidden: np.ndarray) -> np.ndarray:
    v = hidden.astype(np.float64).mean(axis=0)
    return v / np.linalg.norm(v)


def encoder_parity(folder: Path, onnx_path: Path, threads: int | None = None) -> dict[str, Any]:
    """Compare an encoder's ONNX last hidden state with PyTorch on EVAL_TEXTS."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModel.from_pretrained(folder).eval()
    session = create_session(onnx_path, threads, ["cpu"])
    names = {i.name for i in session.get_inputs()}
    max_diff, min_cos = 0.0, 1.0
    for text in EVAL_TEXTS:
        enc = tokenizer(text, return_tensors="pt")
        with torch.no_grad():
            ref = model(**enc).last_hidden_state[0].float().numpy()
        feeds = {k: v.numpy().astype(np.int64) for k, v in enc.items() if k in names}
        if "token_type_ids" in names and "token_type_ids" not in feeds:
            feeds["token_type_ids"] = np.zeros_like(feeds["input_ids"])
        got = session.run(None, feeds)[0][0]
        max_diff = max(max_diff, float(np.abs(got - ref).max()))
        min_cos = min(min_cos, float(np.dot(_pool(got), _pool(ref))))
    return {"max_abs_diff": max_diff, "min_cosine": min_cos, "texts": len(EVAL_TEXTS)}


def ort_logits(session: Any, ids: list[int]) -> np.ndarray:
    """Logits at every position of one sequence, run as a prefill with an empty cache."""
    feeds: dict[str, np.ndarray] = {
        "input_ids": np.asarray([ids], dtype=np.int64),
        "attention_mask": np.ones((1, len(ids)), dtype=np.int64),
    }
    for spec in session.get_inputs():
        if spec.name == "position_ids":
            feeds["position_ids"] = np.arange(len(ids), dtype=np.int64)[None, :]
        elif spec.name.startswith("past_key_values."):
            dtype = np.float16 if spec.type == "tensor(float16)" else np.float32
            feeds[spec.name] = np.zeros((1, spec.shape[1], 0, spec.shape[3]), dtype=dtype)
    return np.asarray(session.run(["logits"], feeds)[0][0], dtype=np.float32)


def torch_sequences(folder: Path, new_tokens: int) -> tuple[list[list[int]], list[int], Any]:
    """PyTorch greedy continuations of EVAL_PROMPTS, prompt lengths, and the model."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder).eval()
    seqs, lengths = [], []
    for prompt in EVAL_PROMPTS:
        ids = tokenizer(prompt, return_tensors="pt").input_ids
        with torch.no_grad():
            out = model.generate(
                ids,
                attention_mask=torch.ones_like(ids),
                max_new_tokens=new_tokens,
                min_new_tokens=new_tokens,
                do_sample=False,
                pad_token_id=0,
            )
        seqs.append(out[0].tolist())
        lengths.append(ids.shape[1])
    return seqs, lengths, model


def decoder_parity(
    folder: Path, onnx_path: Path, new_tokens: int = 32, threads: int | None = None
) -> dict[str, Any]:
    """Max logit difference and teacher-forced top-1 agreement against PyTorch."""
    import torch

    seqs, lengths, model = torch_sequences(folder, new_tokens)
    session = create_session(onnx_path, threads, ["cpu"])
    max_diff, agree, total = 0.0, 0, 0
    for seq, n in zip(seqs, lengths, strict=True):
        with torch.no_grad():
            ref = model(torch.tensor([seq])).logits[0].float().numpy()
        got = ort_logits(session, seq)
        max_diff = max(max_diff, float(np.abs(got - ref).max()))
        span = slice(n - 1, len(seq) - 1)
        agree += int((got[span].argmax(-1) == ref[span].argmax(-1)).sum())
        total += len(seq) - n
    return {
        "max_abs_diff": max_diff,
        "top1_agreement": agree / total,
        "positions": total,
        "prompts": len(seqs),
    }
