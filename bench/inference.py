"""Inference benchmark: onnxruntime packages vs PyTorch eager, on this machine's CPUs.

Embedding (all-MiniLM-L6-v2): items/s at batch 1 and 32 for the fp32 and int8
packages (through ``Engine.run_batch``: tokenize, run, pool, canonicalize) and for
sentence-transformers; cosine agreement of int8 with fp32 outputs.

Generation (SmolLM2-135M-Instruct): new tokens/s for one stream and a batch of 8,
for each package and for PyTorch ``generate``; the share of the memory-bandwidth
roofline (weight bytes read per decode step x steps/s / numpy copy bandwidth);
teacher-forced top-1 agreement with PyTorch fp32 (measured at export).

Usage: ``python bench/inference.py [--threads 2] [--workdir DIR] [--json]``.
Packages are exported into ``--workdir`` on the first run and reused after.
Not a test; takes several minutes.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from oracles.engine import Engine

SUBJECTS = ["The network", "A validator", "My cat", "The committee", "This recipe", "The model"]
VERBS = ["finalized", "ignored", "reviewed", "rejected", "summarized", "celebrated"]
OBJECTS = ["the task", "a long report on staking", "dinner", "every reveal", "the weather"]
PROMPTS = [
    "Once upon a time, in a small village,",
    "The three most important things about Ethereum are",
    "def quicksort(items):",
    "Write a short poem about the sea.",
    "The capital of France is",
    "In machine learning, overfitting means",
    "My favourite recipe for bread is",
    "The history of the bicycle begins",
]
NEW_TOKENS = 32


def texts(n: int) -> list[str]:
    """n deterministic, varied sentences."""
    out = []
    for i in range(n):
        s, v, o = SUBJECTS[i % 6], VERBS[(i // 6) % 6], OBJECTS[(i // 36) % 5]
        out.append(f"{s} {v} {o} on day {i}" + " and then some more" * (i % 4))
    return out


def progress(*parts: object) -> None:
    """One progress line on stderr."""
    print("bench:", *parts, file=sys.stderr, flush=True)


def rate(fn: Callable[[], int], seconds: float = 3.0, rounds: int = 3) -> float:
    """Items per second of fn (which returns the items it did): best of several rounds.

    The best round is the least disturbed by other processes on a shared machine.
    """
    fn()  # warm-up
    best = 0.0
    for _ in range(rounds):
        done, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds / rounds or done == 0:
            done += fn()
        best = max(best, done / elapsed)
    return best


def ensure(workdir: Path, name: str, source: str, kind: str, quantize: str) -> Path:
    """The package ``name`` in workdir, exported on first use."""
    out = workdir / name
    if not (out / "manifest.json").is_file():
        from model_export.export import export

        export(source, kind, out, quantize=quantize)
    return out


def copy_bandwidth() -> float:
    """Bytes/s moved by numpy copying a 256 MiB array (read + write), best of 5."""
    src = np.ones(32 << 20, dtype=np.float64)
    dst = np.empty_like(src)
    best = 0.0
    for _ in range(5):
        start = time.perf_counter()
        np.copyto(dst, src)
        best = max(best, 2 * src.nbytes / (time.perf_counter() - start))
    return best


def weight_bytes_per_step(model_path: Path) -> int:
    """Bytes of initializers a decode step reads (embedding rows gathered are ~0)."""
    import onnx

    model = onnx.load(str(model_path))
    sizes = {
        t.name: len(t.raw_data) or onnx.numpy_helper.to_array(t).nbytes
        for t in model.graph.initializer
    }
    gathered = {n.input[0] for n in model.graph.node if n.op_type == "Gather"}
    used = {name for n in model.graph.node if n.op_type != "Gather" for name in n.input}
    return sum(size for name, size in sizes.items() if name in used and name not in gathered)


def int8_vec(output: bytes) -> np.ndarray:
    v = np.frombuffer(base64.b64decode(json.loads(output)["i8"]), dtype=np.int8)
    return v.astype(np.float64) / np.linalg.norm(v.astype(np.float64))


def bench_embedding(workdir: Path, threads: int) -> dict[str, Any]:
    import torch
    from sentence_transformers import SentenceTransformer

    from model_export.sources import minilm

    torch.set_num_threads(threads)
    data = texts(256)
    inputs = [json.dumps({"text": t}).encode() for t in data]
    rows: dict[str, Any] = {}
    outputs: dict[str, list[bytes]] = {}
    variants = [("ort fp32", "none"), ("ort int8", "int8"), ("ort int8-dynamic", "int8-dynamic")]
    for label, quant in variants:
        pkg = ensure(workdir, f"minilm-embedding-{quant}", "minilm", "embedding", quant)
        engine = Engine.load(pkg, threads=threads)
        it = iter(range(10**9))
        one = rate(lambda e=engine, it=it: len(e.run_batch([inputs[next(it) % 256]])))
        it2 = iter(range(10**9))
        b32 = rate(
            lambda e=engine, it=it2: len(
                e.run_batch([inputs[(next(it) * 32 + k) % 256] for k in range(32)])
            )
        )
        rows[label] = {"batch1": one, "batch32": b32}
        progress(label, rows[label])
        outputs[label] = engine.run_batch(inputs)
    model = SentenceTransformer(str(minilm().folder), device="cpu")
    it3 = iter(range(10**9))
    one = rate(lambda: len(model.encode([data[next(it3) % 256]], batch_size=1)))
    it4 = iter(range(10**9))
    b32 = rate(
        lambda: len(
            model.encode([data[(next(it4) * 32 + k) % 256] for k in range(32)], batch_size=32)
        )
    )
    rows["pytorch eager (sentence-transformers)"] = {"batch1": one, "batch32": b32}
    ref = model.encode(data, normalize_embeddings=True)
    cosines = {}
    for label, _ in variants[1:]:
        pairs = zip(outputs["ort fp32"], outputs[label], strict=True)
        cos = [float(int8_vec(a) @ int8_vec(b)) for a, b in pairs]
        cosines[label] = {"mean": float(np.mean(cos)), "min": float(np.min(cos))}
    cos_st = [float(int8_vec(a) @ r) for a, r in zip(outputs["ort fp32"], ref, strict=True)]
    torch_b32 = rows["pytorch eager (sentence-transformers)"]["batch32"]
    torch_b1 = rows["pytorch eager (sentence-transformers)"]["batch1"]
    for label, _ in variants:
        rows[label]["ratio_vs_pytorch_batch1"] = rows[label]["batch1"] / torch_b1
        rows[label]["ratio_vs_pytorch_batch32"] = rows[label]["batch32"] / torch_b32
    return {
        "rows": rows,
        "cosine_vs_fp32": cosines,
        "cosine_fp32_package_vs_sentence_transformers": {"min": float(np.min(cos_st))},
        "texts": len(data),
    }


def bench_generation(workdir: Path, threads: int, bandwidth: float, int4: bool) -> dict[str, Any]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from model_export.sources import smollm2

    torch.set_num_threads(threads)
    rows: dict[str, Any] = {}
    single = [json.dumps({"prompt": PROMPTS[0], "max_new_tokens": NEW_TOKENS}).encode()]
    batch = [json.dumps({"prompt": p, "max_new_tokens": NEW_TOKENS}).encode() for p in PROMPTS]
    for label, quant in (
        ("ort fp32", "none"),
        ("ort int8 (default)", "int8"),
        ("ort int4", "int4"),
    ):
        pkg = ensure(workdir, f"smollm2-{quant}", "smollm2", "generation", quant)
        engine = Engine.load(pkg, threads=threads)

        def gen(e: Engine = engine, b: list[bytes] | None = None) -> int:
            outs = e.run_batch(b or single)
            return sum(len(json.loads(o)["tokens"]) for o in outs)

        tps1 = rate(gen, 5.0)
        tps8 = rate(lambda e=engine: gen(e, batch), 5.0)
        step_bytes = weight_bytes_per_step(pkg / "model.onnx")
        parity = engine.package.manifest["parity"]
        agreement = parity.get("final", parity["fp32"])["top1_agreement"]
        rows[label] = {
            "tok_s_1": tps1,
            "tok_s_8": tps8,
            "weight_mb_per_step": step_bytes / 1e6,
            "roofline_share_1": step_bytes * tps1 / bandwidth,
            "roofline_share_8": step_bytes * tps8 / 8 / bandwidth,
            "teacher_forced_top1": agreement,
        }
        progress(label, rows[label])
    hf = workdir / "smollm2-hf"
    if not (hf / "config.json").is_file():
        smollm2(workdir)
    tokenizer = AutoTokenizer.from_pretrained(hf, padding_side="left")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(hf).eval()

    def torch_gen(prompts: list[str]) -> int:
        enc = tokenizer(prompts, return_tensors="pt", padding=True)
        with torch.no_grad():
            out = model.generate(
                **enc,
                max_new_tokens=NEW_TOKENS,
                min_new_tokens=NEW_TOKENS,
                do_sample=False,
                pad_token_id=tokenizer.pad_token_id,
            )
        return int(out.shape[0] * (out.shape[1] - enc.input_ids.shape[1]))

    t1 = rate(lambda: torch_gen(PROMPTS[:1]), 1.0, rounds=2)
    t8 = rate(lambda: torch_gen(PROMPTS), 1.0, rounds=2)
    progress("pytorch generate", t1, t8)
    fp32_bytes = rows["ort fp32"]["weight_mb_per_step"] * 1e6
    rows["pytorch generate fp32"] = {
        "tok_s_1": t1,
        "tok_s_8": t8,
        "weight_mb_per_step": fp32_bytes / 1e6,
        "roofline_share_1": fp32_bytes * t1 / bandwidth,
        "roofline_share_8": fp32_bytes * t8 / 8 / bandwidth,
        "teacher_forced_top1": 1.0,
    }
    for label, row in rows.items():
        if label.startswith("ort"):
            row["ratio_vs_pytorch_1"] = row["tok_s_1"] / t1
            row["ratio_vs_pytorch_8"] = row["tok_s_8"] / t8
    return {"rows": rows, "new_tokens": NEW_TOKENS, "prompts_in_batch": len(batch)}


EMBED_COLS = ["batch1", "batch32", "ratio_vs_pytorch_batch1", "ratio_vs_pytorch_batch32"]
GEN_COLS = [
    "tok_s_1",
    "tok_s_8",
    "ratio_vs_pytorch_1",
    "ratio_vs_pytorch_8",
    "weight_mb_per_step",
    "roofline_share_1",
    "roofline_share_8",
    "teacher_forced_top1",
]


def table(title: str, rows: dict[str, dict[str, float]], cols: list[str]) -> str:
    """A markdown table of the given columns."""
    lines = [
        f"### {title}",
        "",
        "| row | " + " | ".join(cols) + " |",
        "|---" * (len(cols) + 1) + "|",
    ]
    for name, row in rows.items():
        cells = [f"{row[c]:.3g}" if c in row else "" for c in cols]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render(result: dict[str, Any]) -> str:
    """The human-readable tables of a result object."""
    bandwidth = result["copy_bandwidth_gb_s"]
    parts = [f"threads {result['threads']}, numpy copy bandwidth {bandwidth:.1f} GB/s", ""]
    if "embedding" in result:
        emb = result["embedding"]
        st = emb["cosine_fp32_package_vs_sentence_transformers"]
        parts += [table("Embedding, all-MiniLM-L6-v2 (items/s)", emb["rows"], EMBED_COLS), ""]
        for label, q in emb["cosine_vs_fp32"].items():
            parts.append(
                f"- cosine {label} vs ort fp32 outputs: mean {q['mean']:.5f}, min {q['min']:.5f}"
                f" over {emb['texts']} texts"
            )
        parts += [f"- cosine ort fp32 vs sentence-transformers: min {st['min']:.5f}", ""]
    if "generation" in result:
        gen = result["generation"]
        title = f"Generation, SmolLM2-135M ({gen['new_tokens']} new tokens per stream, tok/s)"
        parts.append(table(title, gen["rows"], GEN_COLS))
    return "\n".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--workdir", type=Path, default=Path.home() / ".cache" / "agentnet" / "bench-packages"
    )
    parser.add_argument("--int4", action="store_true", help="also the int4 SmolLM2 package")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--skip", choices=("embedding", "generation"), action="append", default=[])
    parser.add_argument("--render", type=Path, help="print the tables of a saved --json result")
    args = parser.parse_args()
    if args.render:
        print(render(json.loads(args.render.read_text())))
        return 0
    args.workdir.mkdir(parents=True, exist_ok=True)
    bandwidth = copy_bandwidth()
    result: dict[str, Any] = {"threads": args.threads, "copy_bandwidth_gb_s": bandwidth / 1e9}
    if "embedding" not in args.skip:
        result["embedding"] = bench_embedding(args.workdir, args.threads)
    if "generation" not in args.skip:
        result["generation"] = bench_generation(args.workdir, args.threads, bandwidth, args.int4)
    if args.json:
        print(json.dumps(result, sort_keys=True))
        return 0
    print(render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
