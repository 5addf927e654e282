"""Sentence embeddings from an encoder ONNX model, and zero-shot classification.

Rule ``embedding-int8/1`` (parameters in the manifest's ``canonicalization``):
tokenize with the package tokenizer (its own special tokens, no truncation);
more than ``max_length`` tokens is ``too_long``. Right-pad with the pad id to the
next multiple of ``pad_multiple`` (capped at ``max_length``), so that a text's
computation never depends on the other texts it is batched with. Mean-pool the
last hidden state over the real tokens in float64, L2-normalize, and store
``round(scale * x)`` (half to even) as int8.

Rule ``zero-shot-int8-dot/1``: embed the text and each ``label_template`` filled
with a label, score each label by the integer dot product of the int8 vectors,
and answer the highest score, the lowest index on ties.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from oracles.engine.canonical import TaskInputError, quantize_unit


class Encoder:
    """Turns texts into canonical int8 unit vectors."""

    def __init__(
        self, session: ort.InferenceSession, tokenizer: Tokenizer, manifest: dict[str, Any]
    ) -> None:
        self.session = session
        self.tokenizer = tokenizer
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        rule = manifest["canonicalization"]
        self.max_length = int(manifest["max_length"])
        self.pad_multiple = int(rule.get("pad_multiple", 16))
        self.scale = int(rule.get("scale", 127))
        self.pad_id = int(manifest.get("pad_token_id", 0))
        self.output_name = manifest.get("outputs", ["last_hidden_state"])[0]
        self.input_names = {i.name for i in session.get_inputs()}
        self.dim = int(manifest["dim"])

    def token_ids(self, text: str) -> list[int]:
        """Token ids of one text; TaskInputError("too_long") past ``max_length``."""
        ids = self.tokenizer.encode(text).ids
        if len(ids) > self.max_length:
            raise TaskInputError("too_long")
        return list(ids)

    def _bucket(self, n: int) -> int:
        m = self.pad_multiple
        return min(max(m, -(-n // m) * m), self.max_length)

    def embed_ids(self, batch: list[list[int]]) -> list[np.ndarray]:
        """Canonical int8 vectors for token id lists, grouped by padded length."""
        out: list[np.ndarray | None] = [None] * len(batch)
        groups: dict[int, list[int]] = {}
        for i, token_ids in enumerate(batch):
            groups.setdefault(self._bucket(len(token_ids)), []).append(i)
        for width, members in sorted(groups.items()):
            ids = np.full((len(members), width), self.pad_id, dtype=np.int64)
            mask = np.zeros((len(members), width), dtype=np.int64)
            for row, i in enumerate(members):
                ids[row, : len(batch[i])] = batch[i]
                mask[row, : len(batch[i])] = 1
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self.input_names:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = self.session.run([self.output_name], feeds)[0]
            for row, i in enumerate(members):
                n = len(batch[i])
                pooled = hidden[row, :n, :].astype(np.float64).sum(axis=0) / n
                out[i] = quantize_unit(pooled, self.scale)
        return [v for v in out if v is not None]


def classify(text_vec: np.ndarray, label_vecs: list[np.ndarray]) -> int:
    """Index of the label whose int8 vector has the largest dot product (lowest on ties)."""
    scores = [int(np.dot(text_vec.astype(np.int64), v.astype(np.int64))) for v in label_vecs]
    return scores.index(max(scores))
