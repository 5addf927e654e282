"""Post-export graph rewrites: untie lm_head, int8/int4 weight quantization, fp16.

- ``untie_lm_head``: a tied decoder computes its logits as
  ``MatMul(h, Transpose(embed))``; the transposed weight is not a constant, so
  quantizers skip it. We replace the Transpose with an initializer holding
  ``embed.T`` (RECIPES §7).
- ``int8``: 8-bit weight blocks (MatMulNBits, symmetric, block 32, accuracy level
  4: activations quantized per row and block, so batching does not change
  results). On SmolLM2-135M: teacher-forced top-1 agreement 191/192 with fp32.
  onnxruntime has one int8 kernel per instruction set (AVX-512 VNNI, AVX2) and
  none on SSE4.2, so greedy outputs differ between CPUs (about half of 32-token
  generations): no preset uses it, and a checked export refuses it.
- ``int8-dynamic``: onnxruntime dynamic quantization, per-channel int8 weights;
  activations are quantized per tensor at run time, so a row's result depends
  on its batch: the package is marked ``batch_invariant: false``. 144/192.
- ``int4``: 4-bit weight blocks (MatMulNBits, symmetric, block 32, accuracy level
  4). 152/192.
- ``fp16``: float16 weights and compute, float32 inputs and outputs.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

QUANT_MODES = ("int8", "int8-dynamic", "int4")
BATCH_VARIANT_MODES = ("int8-dynamic",)


def untie_lm_head(model: onnx.ModelProto) -> bool:
    """Replace a Transpose of an initializer feeding a MatMul by a constant. True if done."""
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    changed = False
    for node in list(graph.node):
        if node.op_type != "Transpose" or node.input[0] not in inits:
            continue
        users = consumers.get(node.output[0], [])
        if not users or any(u.op_type != "MatMul" for u in users):
            continue
        weight = numpy_helper.to_array(inits[node.input[0]])
        perm = [a.ints for a in node.attribute if a.name == "perm"]
        transposed = np.ascontiguousarray(np.transpose(weight, perm[0] if perm else None))
        graph.initializer.append(numpy_helper.from_array(transposed, node.output[0]))
        graph.node.remove(node)
        changed = True
    return changed


def _save(model: onnx.ModelProto, path: Path) -> None:
    large = model.ByteSize() > 1_900_000_000
    onnx.save_model(
        model,
        str(path),
        save_as_external_data=large,
        all_tensors_to_one_file=True,
        location=path.name + ".data" if large else None,
    )


def quantize(src: Path, dst: Path, mode: str, untie: bool) -> dict[str, object]:
    """Quantize ``src`` into ``dst``; return the settings used, for the manifest."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    staged = src
    untied = False
    if untie:
        model = onnx.load(str(src))
        untied = untie_lm_head(model)
        if untied:
            staged = dst.with_name("untied.onnx")
            _save(model, staged)
        del model
    if mode == "int8-dynamic":
        quantize_dynamic(staged, dst, weight_type=QuantType.QInt8, per_channel=True)
        return {"method": "dynamic", "weight_type": "int8", "per_channel": True, "untied": untied}
    if mode in ("int8", "int4"):
        from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

        logging.getLogger("onnxruntime.quantization").setLevel(logging.WARNING)
        bits = 8 if mode == "int8" else 4
        quantizer = MatMulNBitsQuantizer(
            onnx.load(str(staged)), bits=bits, block_size=32, is_symmetric=True, accuracy_level=4
        )
        quantizer.process()
        quantizer.model.save_model_to_file(str(dst), False)
        return {
            "method": "matmul_nbits",
            "bits": bits,
            "block_size": 32,
            "symmetric": True,
            "accuracy_level": 4,
            "untied": untied,
        }
    raise ValueError(f"unknown quantization {mode!r}; choose from {', '.join(QUANT_MODES)}")


def to_fp16(src: Path, dst: Path) -> None:
    """Convert weights and compute to float16, keeping float32 inputs and outputs."""
    from onnxruntime.transformers.float16 import convert_float_to_float16

    model = convert_float_to_float16(onnx.load(str(src)), keep_io_types=True)
    _save(model, dst)
