"""The on-chain readers of canonical outputs (canonical.vy, AgentnetCanonical.sol) against
the off-chain ones: the engine writes outputs, the client decodes them, the contracts must
agree with both, and never accept what the client would refuse."""

from __future__ import annotations

import base64
import json
from typing import Any

import boa
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oracles.client.outputs import decode_classification
from oracles.engine.canonical import classification_bytes, embedding_bytes, error_bytes
from tests.consumer.evm import deploy_harness, deploy_solidity

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
NOT_EMBEDDING = "canonical: not a 384-d embedding output"
UNSAFE = frozenset(b'"\\') | frozenset(range(32))


@pytest.fixture(scope="module")
def harnesses() -> dict[str, Any]:
    return {
        "vyper": deploy_harness("CanonicalHarness"),
        "solidity": deploy_solidity("CanonicalHarness", [], []),
    }


@pytest.fixture(params=["vyper", "solidity"])
def canonical(request: pytest.FixtureRequest, harnesses: dict[str, Any]) -> Any:
    return harnesses[request.param]


def int8_vectors() -> st.SearchStrategy[np.ndarray]:
    return st.binary(min_size=384, max_size=384).map(
        lambda raw: np.frombuffer(raw, dtype=np.int8).copy()
    )


@SETTINGS
@given(vector=int8_vectors())
def test_embedding_bytes_match_the_engines_vector(canonical: Any, vector: np.ndarray) -> None:
    assert canonical.embeddingI8(embedding_bytes(vector)) == vector.tobytes()


def test_embedding_extremes(canonical: Any) -> None:
    """Every base64 character and both ends of int8."""
    for raw in (bytes(range(256)) + bytes(range(128)), b"\x80" * 384, b"\x7f" * 384, bytes(384)):
        vector = np.frombuffer(raw, dtype=np.int8)
        assert canonical.embeddingI8(embedding_bytes(vector)) == raw


@pytest.mark.parametrize(
    "mutate",
    [
        lambda out: out[:-1],  # too short
        lambda out: out + b" ",  # too long
        lambda out: out.replace(b'"dim":384', b'"dim":385'),
        lambda out: out[:17] + b"-" + out[18:],  # base64url, not the standard alphabet
        lambda out: out[:528] + b"=" + out[529:],  # padding where a character belongs
        lambda out: out[:100] + b"\xc3" + out[101:],  # a non-ASCII byte
        lambda out: out[:-2] + b"'}",
    ],
)
def test_embedding_refuses_other_shapes(canonical: Any, mutate: Any) -> None:
    good = embedding_bytes(np.arange(384).astype(np.uint8).view(np.int8))
    with boa.reverts(NOT_EMBEDDING):
        canonical.embeddingI8(mutate(good))


def test_embedding_refuses_other_outputs(canonical: Any) -> None:
    for output in (error_bytes("bad_json"), classification_bytes(1, "x"), b""):
        with boa.reverts(NOT_EMBEDDING):
            canonical.embeddingI8(output)


@SETTINGS
@given(index=st.integers(0, 10**10 - 1), label=st.text(max_size=80))
def test_classification_index_matches_the_client(canonical: Any, index: int, label: str) -> None:
    output = classification_bytes(index, label)
    assert decode_classification(output)[0] == index
    assert canonical.classificationIndex(output) == index
    assert tuple(canonical.tryClassificationIndex(output)) == (True, index)


@SETTINGS
@given(output=st.binary(max_size=64), seed=st.sampled_from([b"", b'{"index":', b'{"index":1']))
def test_classification_accepts_only_its_shape(canonical: Any, output: bytes, seed: bytes) -> None:
    """On any bytes: an accepted output has the keys, the digits and the end of a
    classification; the label between is not read (only the index counts), so where the
    client can parse the output it reads the same index."""
    data = seed + output
    ok, index = canonical.tryClassificationIndex(data)
    if not ok:
        assert index == 0
        return
    head = b'{"index":%d,"label":"' % index
    assert data.startswith(head) and data.endswith(b'"}') and len(data) >= len(head) + 2
    try:
        parsed = json.loads(data)
    except ValueError:
        return
    assert parsed["index"] == index


@pytest.mark.parametrize(
    "output",
    [
        b'{"index":01,"label":"x"}',  # leading zero
        b'{"index":-1,"label":"x"}',
        b'{"index":,"label":"x"}',
        b'{"index":1,"label":"}',  # the closing quote reused
        b'{"index":10,"label":"}',
        b'{"index":1,"label":"x"',
        b'{"index":1,"labels":"x"}',
        b'{"index": 1,"label":"x"}',  # not compact
        b'{"label":"x","index":1}',  # not sorted
        b'{"index":12345678901,"label":"x"}',  # more digits than any index
        b'{"error":"bad_json"}',
        b"",
    ],
)
def test_classification_refusals(canonical: Any, output: bytes) -> None:
    assert tuple(canonical.tryClassificationIndex(output)) == (False, 0)
    with boa.reverts("canonical: not a classification output"):
        canonical.classificationIndex(output)


def test_short_and_long_classifications(canonical: Any) -> None:
    assert canonical.classificationIndex(b'{"index":0,"label":""}') == 0
    assert canonical.classificationIndex(classification_bytes(15, "é" * 2_000)) == 15


def test_is_error(canonical: Any) -> None:
    from oracles.engine.canonical import ERROR_CODES

    for code in ERROR_CODES:
        assert canonical.isError(error_bytes(code))
    assert canonical.isError(b'{"error":""}')
    for output in (
        classification_bytes(0, "error"),
        embedding_bytes(np.zeros(384, dtype=np.int8)),
        b'{"error":"x"',
        b'{"errors":"x"}',
        b"",
    ):
        assert not canonical.isError(output)


@SETTINGS
@given(text=st.binary(max_size=200))
def test_json_safe_is_exactly_no_quote_backslash_or_control(canonical: Any, text: bytes) -> None:
    assert canonical.jsonSafe(text) == (not UNSAFE.intersection(text))


@pytest.mark.parametrize("length", [1, 31, 32, 33, 63, 64, 65, 4_096])
@pytest.mark.parametrize("bad", [b'"', b"\\", b"\n", b"\x00", b"\x1f"])
def test_json_safe_finds_one_bad_byte_anywhere(canonical: Any, length: int, bad: bytes) -> None:
    for position in {0, length // 2, length - 1}:
        text = b"a" * position + bad + b"a" * (length - position - 1)
        assert not canonical.jsonSafe(text)
    assert canonical.jsonSafe(b"a" * length)


def test_json_safe_text_makes_valid_json(canonical: Any) -> None:
    text = "Ünïcödé, emoji 🎉, {braces}, 'quotes', DEL \x7f and / slashes".encode()
    assert canonical.jsonSafe(text)
    assert json.loads(b'{"text":"' + text + b'"}')["text"].encode() == text


def test_base64_alphabet_is_the_engines() -> None:
    """The engine writes standard base64 (+ and /), the alphabet the contracts decode."""
    raw = bytes([0xFB, 0xFF, 0xBF] * 128)
    assert b"+" in base64.b64encode(raw) and b"/" in base64.b64encode(raw)
    assert embedding_bytes(np.frombuffer(raw, dtype=np.int8))[17:-2] == base64.b64encode(raw)
