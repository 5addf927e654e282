"""Exporting tiny models to packages: checks, parity, quantization, options."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from model_export.export import export
from model_export.quantize import untie_lm_head
from oracles.engine import Engine
from oracles.errors import UsageError
from oracles.package import load_package

PROMPTS = [
    json.dumps({"prompt": p, "max_new_tokens": n}).encode()
    for p, n in [("hello", 10), ("the quick brown fox jumps", 4), ("a", 16)]
]


@pytest.mark.parametrize("name", ["embedding", "classification", "generation"])
def test_package_contents(request: pytest.FixtureRequest, name: str) -> None:
    pkg: Path = request.getfixturevalue(f"{name}_pkg")
    package = load_package(pkg)
    manifest = package.manifest
    assert sorted(p.name for p in pkg.iterdir()) == [
        "manifest.json",
        "model.onnx",
        "tokenizer.json",
    ]
    assert manifest["kind"] == name
    onnx.checker.check_model(str(pkg / "model.onnx"))
    session = ort.InferenceSession(str(pkg / "model.onnx"), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == manifest["inputs"]
    assert [o.name for o in session.get_outputs()] == manifest["outputs"]
    assert manifest["parity"]["fp32"]["max_abs_diff"] <= manifest["export"]["atol"]
    assert set(manifest["tools"]) >= {"torch", "onnxruntime", "optimum", "tokenizers"}
    assert manifest["limits"]["max_input_bytes"] == 4096
    if name == "generation":
        assert manifest["parity"]["fp32"]["top1_agreement"] == 1.0
        assert manifest["generation"]["eos_token_ids"] == [0]
    else:
        assert manifest["dim"] == 32 and manifest["pooling"] == "mean"
        assert manifest["canonicalization"]["rule"] == "embedding-int8/1"


@pytest.mark.parametrize("mode", ["int8", "int8-dynamic", "int4"])
def test_quantized_generation(tiny_base: Path, tmp_path: Path, mode: str) -> None:
    out = tmp_path / mode
    export(tiny_base / "hf-gpt2", "generation", out, quantize=mode)
    manifest = load_package(out).manifest
    ops = {n.op_type for n in onnx.load(str(out / "model.onnx")).graph.node}
    assert ("MatMulInteger" if mode == "int8-dynamic" else "MatMulNBits") in ops
    assert manifest["batch_invariant"] is (mode != "int8-dynamic")
    assert manifest["export"]["quantize"] == mode
    assert manifest["export"]["quantization"]["untied"] in (True, False)
    assert 0.0 <= manifest["parity"]["final"]["top1_agreement"] <= 1.0
    engine = Engine.load(out, threads=1)
    alone = [engine.run(x) for x in PROMPTS]
    assert all("tokens" in json.loads(o) for o in alone)
    assert engine.run_batch(PROMPTS) == alone


def _vector(output: bytes) -> np.ndarray:
    return np.frombuffer(base64.b64decode(json.loads(output)["i8"]), dtype=np.int8)


@pytest.mark.parametrize(("options", "tol"), [({"optimize": "O2"}, 1), ({"fp16": True}, 3)])
def test_optimized_and_fp16_embedding(
    tiny_base: Path, embedding_pkg: Path, tmp_path: Path, options: dict[str, object], tol: int
) -> None:
    out = tmp_path / "pkg"
    export(tiny_base / "hf-bert", "embedding", out, **options)  # type: ignore[arg-type]
    manifest = load_package(out).manifest
    for key, value in options.items():
        assert manifest["export"][key] == value
    data = b'{"text":"the quick brown fox"}'
    got = _vector(Engine.load(out).run(data)).astype(int)
    ref = _vector(Engine.load(embedding_pkg).run(data)).astype(int)
    assert np.abs(got - ref).max() <= tol


def test_untie_lm_head_replaces_transpose() -> None:
    rng = np.random.default_rng(0)
    embed = rng.standard_normal((10, 4)).astype(np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("Transpose", ["embed"], ["embed_t"], perm=[1, 0]),
            helper.make_node("MatMul", ["h", "embed_t"], ["logits"]),
        ],
        "tied",
        [helper.make_tensor_value_info("h", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])],
        [numpy_helper.from_array(embed, "embed")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    h = rng.standard_normal((1, 4)).astype(np.float32)
    before = ort.InferenceSession(model.SerializeToString()).run(None, {"h": h})[0]
    assert untie_lm_head(model)
    assert [n.op_type for n in model.graph.node] == ["MatMul"]
    onnx.checker.check_model(model)
    after = ort.InferenceSession(model.SerializeToString()).run(None, {"h": h})[0]
    np.testing.assert_array_equal(before, after)
    assert not untie_lm_head(model)


@pytest.mark.parametrize(
    ("source", "kind", "message"),
    [
        ("smollm2", "embedding", "supports --kind generation"),
        ("no-such-model", "embedding", "not a preset"),
        ("minilm", "speech", "unknown kind"),
    ],
)
def test_bad_requests(tmp_path: Path, source: str, kind: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        export(source, kind, tmp_path / "out")


def test_refuses_a_non_empty_output(tiny_base: Path, embedding_pkg: Path) -> None:
    with pytest.raises(UsageError, match="not empty"):
        export(tiny_base / "hf-bert", "embedding", embedding_pkg)
