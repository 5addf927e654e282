"""Agreement rules from the manifest, and exact confidence intervals."""

from __future__ import annotations

import base64
import math

import numpy as np
import pytest

from oracles.agreement.stats import clopper_pearson
from oracles.engine.canonical import embedding_bytes, error_bytes, generation_bytes
from oracles.engine.compare import (
    AgreementRule,
    default_rule,
    int8_steps,
    manifest_outputs_agree,
    outputs_agree,
    parse_rule,
)
from oracles.package import PackageError

ONE_STEP = {"kind": "embedding", "agreement_rule": {"rule": "int8_max_abs_diff", "max_steps": 1}}


def emb(*values: int) -> bytes:
    return embedding_bytes(np.array(values, dtype=np.int8))


def test_embedding_rule_allows_one_step_per_coordinate() -> None:
    assert manifest_outputs_agree(ONE_STEP, emb(5, -3, 127), emb(5, -3, 127))
    assert manifest_outputs_agree(ONE_STEP, emb(5, -3, 127), emb(6, -4, 126))
    assert not manifest_outputs_agree(ONE_STEP, emb(5, -3, 127), emb(7, -3, 127))
    assert int8_steps(emb(-128, 0), emb(127, 0)) == 255  # read as signed int8


def test_embedding_rule_refuses_what_is_not_a_comparable_embedding() -> None:
    rule = parse_rule(ONE_STEP)
    assert not outputs_agree(rule, emb(1, 2), emb(1, 2, 3))  # other dimension
    assert not outputs_agree(rule, emb(1, 2), error_bytes("too_long"))
    assert outputs_agree(rule, error_bytes("too_long"), error_bytes("too_long"))
    padded = b'{"dim":2, "i8":"' + base64.b64encode(bytes([1, 2])) + b'"}'
    assert not outputs_agree(rule, emb(1, 2), padded)  # not canonical JSON
    lying = b'{"dim":3,"i8":"' + base64.b64encode(bytes([1, 2])) + b'"}'
    assert not outputs_agree(rule, emb(1, 2), lying)  # dim does not match the bytes


def test_exact_rule_is_byte_equality() -> None:
    a, b = generation_bytes("hi", [1, 2]), generation_bytes("hi", [1, 3])
    for manifest in ({}, {"agreement_rule": {"rule": "exact"}}):
        assert manifest_outputs_agree(manifest, a, a)
        assert not manifest_outputs_agree(manifest, a, b)
        assert not manifest_outputs_agree(manifest, emb(1), emb(2))


def test_default_rules_by_kind() -> None:
    assert default_rule("embedding").to_json() == ONE_STEP["agreement_rule"]
    assert default_rule("classification") == default_rule("generation") == AgreementRule()
    assert parse_rule({"agreement_rule": {"rule": "exact"}}).to_json() == {"rule": "exact"}


@pytest.mark.parametrize(
    "raw",
    [
        "exact",
        {"rule": "close_enough"},
        {"rule": "exact", "max_steps": 1},
        {"rule": "int8_max_abs_diff"},
        {"rule": "int8_max_abs_diff", "max_steps": -1},
        {"rule": "int8_max_abs_diff", "max_steps": True},
        {"rule": "int8_max_abs_diff", "max_steps": 1.5},
    ],
)
def test_malformed_rule_is_a_package_error(raw: object) -> None:
    with pytest.raises(PackageError, match="agreement_rule"):
        parse_rule({"kind": "embedding", "agreement_rule": raw})


def test_step_rule_is_for_embeddings_only() -> None:
    with pytest.raises(PackageError, match="embeddings only"):
        parse_rule({**ONE_STEP, "kind": "classification"})


def test_clopper_pearson_matches_closed_forms_and_tables() -> None:
    lo, hi = clopper_pearson(0, 96)
    assert lo == 0.0 and math.isclose(hi, 1 - 0.025 ** (1 / 96), rel_tol=1e-9)
    lo, hi = clopper_pearson(300, 300)
    assert hi == 1.0 and math.isclose(lo, 0.025 ** (1 / 300), rel_tol=1e-9)
    # published exact intervals: 1/10 -> [0.0025, 0.4450], 5/10 -> [0.1871, 0.8129]
    assert [round(x, 4) for x in clopper_pearson(1, 10)] == [0.0025, 0.4450]
    assert [round(x, 4) for x in clopper_pearson(5, 10)] == [0.1871, 0.8129]
    lo, hi = clopper_pearson(53, 96)
    assert 0.44 < lo < 0.46 and 0.64 < hi < 0.66  # AGREEMENT.md: 55% [45, 65]
    with pytest.raises(ValueError):
        clopper_pearson(3, 2)
