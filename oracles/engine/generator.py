"""Greedy text generation with a KV cache, batched across requests.

Rule ``greedy/1``: tokenize the prompt with the package tokenizer (its own special
tokens, no truncation); zero tokens is ``empty_prompt``; prompt tokens plus
``max_new_tokens`` over ``max_length`` is ``too_long``. Then repeat: pick the
token with the largest logit (the lowest id on ties), append it, and stop after an
end-of-sequence id (``generation.eos_token_ids``, kept in the output) or after
``max_new_tokens`` tokens. ``text`` is the decoding of the new tokens with special
tokens skipped.

Batching: each prompt is prefilled alone (so its prompt pass is exactly the
unbatched one); then the caches are left-padded to a common length with an
attention mask and decoded together. A finished sequence is removed from the
batch at once, and cache columns that only hold padding are trimmed, so it costs
no further compute. On a GPU the cache stays on the device between steps (IO
binding) and is copied out only when the batch changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from oracles.engine.canonical import TaskInputError
from oracles.engine.session import uses_device

_NP_TYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16}


@dataclass
class _Sequence:
    """One request being decoded."""

    prompt: list[int]
    max_new: int
    tokens: list[int] = field(default_factory=list)
    done: bool = False


class Generator:
    """Runs greedy decoding for a text-generation-with-past ONNX model."""

    def __init__(
        self, session: ort.InferenceSession, tokenizer: Tokenizer, manifest: dict[str, Any]
    ) -> None:
        self.session = session
        self.tokenizer = tokenizer
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        self.max_length = int(manifest["max_length"])
        self.eos = set(int(t) for t in manifest["generation"]["eos_token_ids"])
        inputs = session.get_inputs()
        self.past_names = [i.name for i in inputs if i.name.startswith("past_key_values.")]
        self.present_names = [n.replace("past_key_values.", "present.") for n in self.past_names]
        first = next(i for i in inputs if i.name in self.past_names)
        self.kv_heads, self.head_dim = int(first.shape[1]), int(first.shape[3])
        self.kv_dtype = _NP_TYPES[first.type]
        self.has_positions = any(i.name == "position_ids" for i in inputs)
        self.on_device = uses_device(session)

    def prompt_ids(self, prompt: str, max_new_tokens: int) -> list[int]:
        """Token ids of a prompt, checked against the package limits."""
        ids = list(self.tokenizer.encode(prompt).ids)
        if not ids:
            raise TaskInputError("empty_prompt")
        if len(ids) + max_new_tokens > self.max_length:
            raise TaskInputError("too_long")
        return ids

    def decode(self, tokens: list[int]) -> str:
        """Text of generated tokens, special tokens skipped."""
        return str(self.tokenizer.decode(tokens, skip_special_tokens=True))

    # -- one forward pass -------------------------------------------------------
    def _forward(
        self, ids: np.ndarray, mask: np.ndarray, positions: np.ndarray, past: list[Any]
    ) -> tuple[np.ndarray, list[Any]]:
        """Logits of the last position and the new cache (numpy, or OrtValues on GPU)."""
        feeds: dict[str, Any] = {"input_ids": ids, "attention_mask": mask}
        if self.has_positions:
            feeds["position_ids"] = positions
        if not self.on_device:
            feeds.update(zip(self.past_names, past, strict=True))
            outs = self.session.run(["logits", *self.present_names], feeds)
            return outs[0][:, -1, :], outs[1:]
        binding = self.session.io_binding()
        for name, value in feeds.items():
            binding.bind_cpu_input(name, value)
        for name, value in zip(self.past_names, past, strict=True):
            if isinstance(value, np.ndarray):
                value = ort.OrtValue.ortvalue_from_numpy(value, "cuda", 0)
            binding.bind_ortvalue_input(name, value)
        binding.bind_output("logits", "cpu")
        for name in self.present_names:
            binding.bind_output(name, "cuda", 0)
        self.session.run_with_iobinding(binding)
        outs = binding.get_outputs()
        return outs[0].numpy()[:, -1, :], list(outs[1:])

    @staticmethod
    def _host(value: Any) -> np.ndarray:
        return value if isinstance(value, np.ndarray) else value.numpy()

    def _prefill(self, seq: _Sequence) -> list[np.ndarray]:
        n = len(seq.prompt)
        empty = np.zeros((1, self.kv_heads, 0, self.head_dim), dtype=self.kv_dtype)
        logits, cache = self._forward(
            np.asarray([seq.prompt], dtype=np.int64),
            np.ones((1, n), dtype=np.int64),
            np.arange(n, dtype=np.int64)[None, :],
            [empty] * len(self.past_names),
        )
        self._push(seq, int(np.argmax(logits[0])))
        return [self._host(c) for c in cache]

    def _push(self, seq: _Sequence, token: int) -> None:
        seq.tokens.append(token)
        seq.done = token in self.eos or len(seq.tokens) >= seq.max_new

    # -- batch ------------------------------------------------------------------
    def generate(self, requests: list[tuple[list[int], int]]) -> list[list[int]]:
        """Greedy new tokens for each (prompt ids, max_new_tokens) request."""
        seqs = [_Sequence(list(p), n) for p, n in requests]
        caches = {i: self._prefill(s) for i, s in enumerate(seqs)}
        active = [i for i, s in enumerate(seqs) if not s.done]
        if not active:
            return [s.tokens for s in seqs]
        lengths = [len(seqs[i].prompt) for i in active]
        width = max(lengths)
        mask = np.zeros((len(active), width), dtype=np.int64)
        past: list[Any] = []
        for layer in range(len(self.past_names)):
            padded = np.zeros((len(active), self.kv_heads, width, self.head_dim), self.kv_dtype)
            for row, i in enumerate(active):
                padded[row, :, width - lengths[row] :, :] = caches[i][layer][0]
            past.append(padded)
        for row, n in enumerate(lengths):
            mask[row, width - n :] = 1
        del caches
        while active:
            ids = np.asarray([[seqs[i].tokens[-1]] for i in active], dtype=np.int64)
            positions = mask.sum(axis=1, keepdims=True).astype(np.int64)
            mask = np.concatenate([mask, np.ones((len(active), 1), np.int64)], axis=1)
            logits, past = self._forward(ids, mask, positions, past)
            for row, i in enumerate(active):
                self._push(seqs[i], int(np.argmax(logits[row])))
            keep = [row for row, i in enumerate(active) if not seqs[i].done]
            if len(keep) < len(active):
                active = [active[row] for row in keep]
                mask, past = self._shrink(mask, past, keep)
        return [s.tokens for s in seqs]

    def _shrink(self, mask: np.ndarray, past: list[Any], keep: list[int]) -> tuple[Any, Any]:
        """Drop finished rows and the cache columns that are padding for every row left."""
        if not keep:
            return mask, []
        mask = mask[keep]
        start = int(np.argmax(mask.any(axis=0)))
        mask = np.ascontiguousarray(mask[:, start:])
        past = [np.ascontiguousarray(self._host(p)[keep, :, start:, :]) for p in past]
        return mask, past
