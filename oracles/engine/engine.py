"""The Engine: one verified package, task input bytes in, canonical output bytes out."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import onnxruntime as ort
from tokenizers import Tokenizer

from oracles.engine import canonical
from oracles.engine.cache import OFF, SessionCache
from oracles.engine.canonical import Limits, TaskInputError
from oracles.engine.compare import parse_rule
from oracles.engine.encoder import Encoder, classify
from oracles.engine.generator import Generator
from oracles.engine.loading import open_package
from oracles.engine.session import log_provider
from oracles.package import Package


class _EncodeJob(NamedTuple):
    text_ids: list[int]
    label_ids: list[list[int]]  # empty for embedding
    labels: list[str]


class _GenerateJob(NamedTuple):
    prompt_ids: list[int]
    max_new_tokens: int


_Job = _EncodeJob | _GenerateJob


class Engine:
    """Runs task inputs through one model package.

    ``run_batch`` gives, for every input, exactly the bytes ``run`` gives for it
    alone. Packages whose graph quantizes activations per tensor (dynamic int8)
    are run one input per forward pass, because there a row's result depends on
    the rows it is batched with (``manifest["batch_invariant"]`` is false).
    """

    def __init__(
        self,
        package: Package,
        session: ort.InferenceSession,
        tokenizer: Tokenizer,
        cache_status: str = OFF,
    ) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        self.package = package
        self.session = session
        self.cache_status = cache_status
        manifest = package.manifest
        self.kind = package.kind
        self.limits = Limits.from_manifest(manifest)
        self.batch_invariant = bool(manifest.get("batch_invariant", True))
        self.rule = parse_rule(manifest)
        log_provider(session, package.execution_provider, package.root.name)
        self.encoder: Encoder | None = None
        self.generator: Generator | None = None
        if self.kind == "generation":
            self.generator = Generator(session, tokenizer, manifest)
        else:
            self.encoder = Encoder(session, tokenizer, manifest)

    @classmethod
    def load(
        cls,
        package_dir: str | Path,
        threads: int | None = None,
        providers: Sequence[str] | None = None,
        expected_id: str | bytes | None = None,
        allow_provider_mismatch: bool = False,
        cache: SessionCache | str | Path | None = None,
    ) -> Engine:
        """Verify the package (and its id, if given) and open an inference session.

        The session runs on the package's ``execution_provider`` (see
        :func:`oracles.engine.session.package_providers`); ``providers`` other than
        that one are refused unless ``allow_provider_mismatch`` (the agreement
        harness compares a package across providers that way). With ``cache`` (a
        folder), the optimized graph is kept there and later loads skip graph
        optimization (:mod:`oracles.engine.cache`); the package is verified either way.
        """
        if cache is not None and not isinstance(cache, SessionCache):
            cache = SessionCache(cache)
        opened = open_package(
            package_dir, threads, providers, expected_id, allow_provider_mismatch, cache
        )
        return cls(opened.package, opened.session, opened.tokenizer, opened.cache_status)

    @property
    def model_id(self) -> str:
        """The package's canonical id (0x-hex)."""
        return self.package.model_id

    def run(self, data: bytes) -> bytes:
        """Canonical output bytes for one task input."""
        return self.run_batch([data])[0]

    def run_batch(self, inputs: Sequence[bytes]) -> list[bytes]:
        """Canonical output bytes for each input; same bytes as one ``run`` each."""
        if not self.batch_invariant and len(inputs) > 1:
            return [self._run_many([d])[0] for d in inputs]
        return self._run_many(list(inputs))

    def _run_many(self, inputs: list[bytes]) -> list[bytes]:
        outputs: list[bytes | None] = [None] * len(inputs)
        jobs: list[tuple[int, _Job]] = []
        for i, data in enumerate(inputs):
            try:
                jobs.append((i, self._prepare(data)))
            except TaskInputError as exc:
                outputs[i] = canonical.error_bytes(exc.code)
        if jobs:
            results = self._execute([job for _, job in jobs])
            for (i, _), result in zip(jobs, results, strict=True):
                outputs[i] = result
        return [o if o is not None else b"" for o in outputs]

    def _prepare(self, data: bytes) -> _Job:
        """Parse and tokenize one input; raise TaskInputError if invalid."""
        obj = canonical.parse_input(data, self.kind, self.limits)
        if self.generator is not None:
            n = obj["max_new_tokens"]
            return _GenerateJob(self.generator.prompt_ids(obj["prompt"], n), n)
        assert self.encoder is not None
        text_ids = self.encoder.token_ids(obj["text"])
        if self.kind == "embedding":
            return _EncodeJob(text_ids, [], [])
        template = str(self.package.manifest["classification"]["label_template"])
        label_ids = [self.encoder.token_ids(template.format(label)) for label in obj["labels"]]
        return _EncodeJob(text_ids, label_ids, obj["labels"])

    def _execute(self, jobs: list[_Job]) -> list[bytes]:
        if self.generator is not None:
            requests = [
                (j.prompt_ids, j.max_new_tokens) for j in jobs if isinstance(j, _GenerateJob)
            ]
            token_lists = self.generator.generate(requests)
            return [canonical.generation_bytes(self.generator.decode(t), t) for t in token_lists]
        assert self.encoder is not None
        encode_jobs = [j for j in jobs if isinstance(j, _EncodeJob)]
        flat: list[list[int]] = []
        for job in encode_jobs:
            flat.append(job.text_ids)
            flat.extend(job.label_ids)
        vectors = iter(self.encoder.embed_ids(flat))
        out = []
        for job in encode_jobs:
            text_vec = next(vectors)
            if self.kind == "embedding":
                out.append(canonical.embedding_bytes(text_vec))
                continue
            label_vecs = [next(vectors) for _ in job.label_ids]
            index = classify(text_vec, label_vecs)
            out.append(canonical.classification_bytes(index, job.labels[index]))
        return out
