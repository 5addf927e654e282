"""A model's agreement rule in the ModelRegistry: registered with the model, embeddings
only, correctable by the owner, read by the market with the model's index in one
storage read; and `embeddingsWithin`, the on-chain check of the `int8_max_abs_diff`
rule (oracles/engine/compare.py)."""

from __future__ import annotations

import random

import boa
import pytest
from eth_utils import keccak

from tests.contracts.unitary.helpers import events
from tests.contracts.utils import storage
from tests.contracts.utils.embeddings import base_vector, embedding_output, stepped

NOT_OWNER = "ownable: caller is not the owner"
OUT_OF_RANGE = "registry: tolerance out of range"
EMBEDDINGS_ONLY = "registry: tolerance for embeddings only"
NOT_EMBEDDING = "canonical: not a 384-d embedding output"
MODEL = keccak(b"registry tolerance test model")
URI = "file://models/k/manifest.json"


def test_register_with_tolerance(registry, publisher):
    count = registry.model_count()
    with boa.env.prank(publisher):
        registry.registerModelWithTolerance(MODEL, 0, URI, 3)
    (reg,) = events(registry, "ModelRegistered")
    assert (reg.model_id, reg.publisher, reg.kind, reg.manifest_uri) == (MODEL, publisher, 0, URI)
    (tol,) = events(registry, "ModelToleranceSet")
    assert (tol.model_id, tol.tolerance) == (MODEL, 3)
    assert registry.toleranceOf(MODEL) == 3
    # activeIndex is unchanged; the market's read carries the tolerance above bit 24.
    assert registry.activeIndex(MODEL) == (True, count)
    assert registry.activeIndexAndTolerance(MODEL) == (True, count | 3 << 24)
    assert registry.modelInfo(MODEL).index == count


def test_register_model_is_exact(registry, publisher, model_id):
    assert registry.toleranceOf(model_id) == 0
    index = registry.activeIndex(model_id)[1]
    assert registry.activeIndexAndTolerance(model_id) == (True, index)
    with boa.env.prank(publisher):
        registry.registerModelWithTolerance(MODEL, 1, URI, 0)  # exact suits every kind
    assert events(registry, "ModelToleranceSet") == []
    assert registry.toleranceOf(MODEL) == 0
    assert registry.activeIndexAndTolerance(keccak(b"unknown")) == (False, 0)


@pytest.mark.parametrize("kind", [1, 2])
def test_tolerance_is_for_embeddings_only(registry, publisher, kind):
    with boa.env.prank(publisher), boa.reverts(EMBEDDINGS_ONLY):
        registry.registerModelWithTolerance(MODEL, kind, URI, 1)


def test_tolerance_range(registry, publisher):
    with boa.env.prank(publisher), boa.reverts(OUT_OF_RANGE):
        registry.registerModelWithTolerance(MODEL, 0, URI, 128)
    with boa.env.prank(publisher):
        registry.registerModelWithTolerance(MODEL, 0, URI, 127)
    assert registry.toleranceOf(MODEL) == 127


def test_correct_tolerance(registry, publisher, owner, stranger):
    with boa.env.prank(publisher):
        registry.registerModelWithTolerance(MODEL, 0, URI, 100)  # a squatter's rule
    index = registry.activeIndex(MODEL)[1]
    for caller in (publisher, stranger):
        with boa.env.prank(caller), boa.reverts(NOT_OWNER):
            registry.correctTolerance(MODEL, 1)
    with boa.env.prank(owner):
        registry.correctTolerance(MODEL, 1)
    (ev,) = events(registry, "ModelToleranceSet")
    assert (ev.model_id, ev.tolerance) == (MODEL, 1)
    assert registry.toleranceOf(MODEL) == 1
    assert registry.activeIndexAndTolerance(MODEL) == (True, index | 1 << 24)
    with boa.env.prank(owner), boa.reverts(OUT_OF_RANGE):
        registry.correctTolerance(MODEL, 200)
    with boa.env.prank(owner), boa.reverts("registry: unknown model"):
        registry.correctTolerance(keccak(b"unknown"), 1)


def test_correct_model_keeps_the_tolerance_of_an_embedding(registry, publisher, owner):
    with boa.env.prank(publisher):
        registry.registerModelWithTolerance(MODEL, 0, URI, 2)
    with boa.env.prank(owner):
        registry.correctModel(MODEL, owner, 0, "file://real")
    assert registry.toleranceOf(MODEL) == 2
    # Another kind needs the exact rule first.
    with boa.env.prank(owner), boa.reverts(EMBEDDINGS_ONLY):
        registry.correctModel(MODEL, owner, 1, "file://real")
    with boa.env.prank(owner):
        registry.correctTolerance(MODEL, 0)
        registry.correctModel(MODEL, owner, 1, "file://real")
        # ... and an exact classification model stays exact.
    with boa.env.prank(owner), boa.reverts(EMBEDDINGS_ONLY):
        registry.correctTolerance(MODEL, 1)


def test_deprecated_model_keeps_its_tolerance(registry, publisher, owner):
    with boa.env.prank(publisher):
        registry.registerModelWithTolerance(MODEL, 0, URI, 5)
        registry.deprecateModel(MODEL)
    assert registry.activeIndexAndTolerance(MODEL) == (False, 0)
    assert registry.activeIndex(MODEL) == (False, 0)
    with boa.env.prank(owner):
        registry.correctTolerance(MODEL, 4)  # stored, still inactive
    assert registry.activeIndexAndTolerance(MODEL) == (False, 0)
    with boa.env.prank(owner):
        registry.reinstateModel(MODEL)
    index = registry.modelInfo(MODEL).index
    assert registry.activeIndexAndTolerance(MODEL) == (True, index | 4 << 24)


def test_too_many_models(registry, publisher):
    # The market keeps 24 bits of model index; 16.7 million models is the end.
    layout = registry.compiler_data.storage_layout["storage_layout"]
    storage.write(registry, layout["model_count"]["slot"], 2**24 - 1)
    with boa.env.prank(publisher), boa.reverts("registry: too many models"):
        registry.registerModel(MODEL, 0, URI)


# ---------------------------------------------------------------- embeddingsWithin


BASE = base_vector()


@pytest.mark.parametrize(
    ("steps", "k", "within"),
    [
        ({}, 0, True),
        ({3: 1}, 0, False),
        ({3: 1}, 1, True),
        ({3: -1}, 1, True),
        ({3: 2}, 1, False),
        ({3: -2}, 1, False),
        ({3: 2}, 2, True),
        ({0: 1}, 1, True),  # -128 -> -127
        ({1: -1}, 1, True),  # 127 -> 126
        ({0: 255}, 254, False),  # -128 -> 127: 255 steps, not a wrap-around of 1
        ({0: 255}, 255, True),
        ({383: 1, 200: -1, 17: 1}, 1, True),
        ({383: 1, 200: -1, 17: 2}, 1, False),
    ],
)
def test_embeddings_within(registry, steps, k, within):
    assert (
        registry.embeddingsWithin(embedding_output(BASE), embedding_output(stepped(BASE, steps)), k)
        is within
    )


def test_embeddings_within_matches_the_off_chain_rule(registry):
    from oracles.engine.compare import AgreementRule, outputs_agree

    rng = random.Random(11)
    for _ in range(24):
        a = [rng.randrange(-128, 128) for _ in range(384)]
        b = [max(-128, min(127, v + rng.choice((-2, -1, 0, 0, 0, 1, 2)))) for v in a]
        for k in (0, 1, 2):
            rule = AgreementRule("int8_max_abs_diff", k)
            out_a, out_b = embedding_output(a), embedding_output(b)
            assert registry.embeddingsWithin(out_a, out_b, k) is outputs_agree(rule, out_a, out_b)


@pytest.mark.parametrize(
    "bad",
    [
        embedding_output(BASE[:383]),
        b'{"dim":384,"i8":"' + b"A" * 511 + b'="}',
        b'{"dim":384,"i8":"' + b"A" * 511 + b'-"}',
        b'{"i8":"' + b"A" * 512 + b'","dim":384}',
        b'{"dim":384, "i8":"' + b"A" * 511 + b'"}',
        b'{"error":"bad_utf8"}',
        b"",
    ],
)
def test_embeddings_within_refuses_other_shapes(registry, bad):
    with boa.reverts(NOT_EMBEDDING):
        registry.embeddingsWithin(bad, embedding_output(BASE), 1)
    with boa.reverts(NOT_EMBEDDING):
        registry.embeddingsWithin(embedding_output(BASE), bad, 1)


def test_registry_tolerance_of_a_manifest_rule(registry, publisher):
    from oracles.protocol import MAX_TOLERANCE, ModelKind, registry_tolerance

    assert registry_tolerance("exact") == 0
    assert registry_tolerance("int8_max_abs_diff", 0) == 0
    assert registry_tolerance("int8_max_abs_diff", 1) == 1
    for bad in (("int8_max_abs_diff", MAX_TOLERANCE + 1), ("cosine", 1)):
        with pytest.raises(ValueError):
            registry_tolerance(*bad)
    with pytest.raises(ValueError):
        registry_tolerance("int8_max_abs_diff", 1, kind=ModelKind.CLASSIFICATION)
    with boa.env.prank(publisher):  # the largest the Python side allows, the contract takes
        registry.registerModelWithTolerance(
            MODEL, ModelKind.EMBEDDING, URI, registry_tolerance("int8_max_abs_diff", MAX_TOLERANCE)
        )
