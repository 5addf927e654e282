"""The client's model references, inputs and output decoding, without a chain."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from oracles.client import BadOutput, InvalidInput, UnknownModel
from oracles.client.errors import ClientError
from oracles.client.inputs import encode_input
from oracles.client.models import resolve_model
from oracles.client.outputs import decode_classification, decode_embedding, decode_generation
from oracles.engine.canonical import (
    classification_bytes,
    embedding_bytes,
    error_bytes,
    generation_bytes,
    quantize_unit,
)
from oracles.errors import UsageError
from oracles.package import load_package

ID = bytes(range(32))


def test_outputs_of_the_engines_encoders_decode() -> None:
    q = quantize_unit(np.array([3.0, -4.0, 0.0, 12.0]), 127)
    decoded = decode_embedding(embedding_bytes(q))
    assert decoded.dtype == np.int8 and decoded.tolist() == q.tolist()
    assert decode_classification(classification_bytes(2, "cooking")) == (2, "cooking")
    assert decode_generation(generation_bytes("hi there", [5, 6])) == "hi there"


def test_error_output_raises_its_code() -> None:
    with pytest.raises(InvalidInput, match="task 7: the network rejected the input: too_long"):
        decode_embedding(error_bytes("too_long"), task_id=7)


@pytest.mark.parametrize(
    "output",
    [
        b"not json",
        b"[1,2]",
        b'{"label":"x"}',
        b'{"dim":3,"i8":"AQI="}',  # 2 values, not 3
        b'{"dim":2,"i8":"!!"}',
    ],
)
def test_malformed_embedding_outputs_are_bad_output(output: bytes) -> None:
    with pytest.raises(BadOutput):
        decode_embedding(output)


def test_classification_output_of_the_wrong_kind() -> None:
    with pytest.raises(BadOutput, match="not a classification output"):
        decode_classification(generation_bytes("x", [1]))


def test_model_ids_from_hex_bytes_and_folder(embedding_pkg: Path) -> None:
    assert resolve_model("0x" + ID.hex()) == ID
    assert resolve_model(ID.hex().upper()) == ID
    assert resolve_model(ID) == ID
    folder_id = load_package(embedding_pkg).model_id
    assert resolve_model(embedding_pkg) == bytes.fromhex(folder_id[2:])
    assert resolve_model(str(embedding_pkg)) == bytes.fromhex(folder_id[2:])


def test_aliases_prefer_the_kind(tmp_path: Path) -> None:
    other = bytes(32)
    path = tmp_path / "models.json"
    path.write_text(json.dumps({"minilm": "0x" + ID.hex(), "minilm-classification": other.hex()}))
    assert resolve_model("minilm", aliases=path) == ID
    assert resolve_model("minilm", "classification", aliases=path) == other
    assert resolve_model("minilm", "generation", aliases=path) == ID
    assert resolve_model("m", aliases={"m": "0x" + ID.hex()}) == ID


def test_unknown_model_and_bad_alias_files_are_one_line_errors(tmp_path: Path) -> None:
    path = tmp_path / "models.json"
    with pytest.raises(UnknownModel, match=f"unknown model 'nope'.*in {path}"):
        resolve_model("nope", aliases=path)  # no file: no aliases
    path.write_text("{broken")
    with pytest.raises(UsageError, match="cannot read the model aliases"):
        resolve_model("nope", aliases=path)
    path.write_text(json.dumps({"short": "0x1234"}))
    with pytest.raises(UsageError, match="alias 'short'.*not a 32-byte"):
        resolve_model("short", aliases=path)
    with pytest.raises(UnknownModel, match="32 bytes, not 3"):
        resolve_model(b"abc")


def test_inputs() -> None:
    assert encode_input({"text": "é", "labels": ["a"]}) == '{"labels":["a"],"text":"é"}'.encode()
    assert encode_input("raw text") == b"raw text"
    with pytest.raises(ClientError, match="5000 bytes; the contract takes at most 4096"):
        encode_input(b"x" * 5000)
    with pytest.raises(ClientError, match="cannot be empty"):
        encode_input(b"")
