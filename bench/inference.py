"""Inference benchmark: onnxruntime packages vs PyTorch eager, on this machine's CPUs.

Embedding (all-MiniLM-L6-v2): items/s at batch 1 and 32 for the fp32 and int8
packages (through ``Engine.run_batch``: tokenize, run, pool, canonicalize) and for
sentence-transformers; cosine agreement of int8 with fp32 outputs.

Generation (SmolLM2-135M-Instruct): new tokens/s for one stream and a batch of 8,
for the float32 package (the default: it agrees across CPU instruction sets), the
8-bit MatMulNBits package (accuracy level 4: the default until its outputs were
found to differ between CPUs), int4 with ``--int4``, and PyTorch ``generate``; the
share of the memory-bandwidth roofline (weight bytes read per decode step x
steps/s / numpy copy bandwidth); teacher-forced top-1 agreement with PyTorch fp32
(measured at export).

Usage: ``python bench/inference.py [--threads 2] [--workdir DIR] [--provider cpu|cuda]
[--no-pytorch] [--json]``. Packages are exported into ``--workdir`` on the first
run and reused after (for ``cuda``, packages that declare the CUDA provider). Not a
test; takes several minutes.
"""

from __future__ import annotations

import argparse
import base64
import functools
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


def ensure(
    workdir: Path, name: str, source: str, kind: str, quantize: str, provider: str = "cpu"
) -> Path:
    """The package ``name`` in workdir, exported on first use (no agreement check:
    the benchmark measures speed; ``agentnet model agreement`` measures agreement)."""
    out = workdir / (name if provider == "cpu" else f"{name}-{provider}")
    if not (out / "manifest.json").is_file():
        from model_export.export import export

        export(source, kind, out, quantize=quantize, execution_provider=provider, agreement=False)
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


def _batches(engine: Engine, inputs: list[bytes], size: int) -> Callable[[], int]:
    """A function that runs the next ``size`` inputs (cycling) and returns how many."""
    counter = iter(range(10**9))

    def step() -> int:
        start = next(counter) * size
        return len(engine.run_batch([inputs[(start + k) % len(inputs)] for k in range(size)]))

    return step


def bench_embedding(
    workdir: Path, threads: int, provider: str, pytorch: bool, fp32_only: bool = False
) -> dict[str, Any]:
    data = texts(256)
    inputs = [json.dumps({"text": t}).encode() for t in data]
    rows: dict[str, Any] = {}
    outputs: dict[str, list[bytes]] = {}
    variants = [("ort fp32", "none"), ("ort int8", "int8"), ("ort int8-dynamic", "int8-dynamic")]
    if provider == "cuda":  # dynamic int8 has no CUDA kernels
        variants = variants[:2]
    if fp32_only:
        variants = variants[:1]
    for label, quant in variants:
        pkg = ensure(workdir, f"minilm-embedding-{quant}", "minilm", "embedding", quant, provider)
        engine = Engine.load(pkg, threads=threads)
        one = rate(_batches(engine, inputs, 1))
        b32 = rate(_batches(engine, inputs, 32))
        rows[label] = {"batch1": one, "batch32": b32}
        progress(label, rows[label])
        outputs[label] = engine.run_batch(inputs)
    cosines = {}
    for label, _ in variants[1:]:
        pairs = zip(outputs["ort fp32"], outputs[label], strict=True)
        cos = [float(int8_vec(a) @ int8_vec(b)) for a, b in pairs]
        cosines[label] = {"mean": float(np.mean(cos)), "min": float(np.min(cos))}
    result: dict[str, Any] = {"rows": rows, "cosine_vs_fp32": cosines, "texts": len(data)}
    if not pytorch:
        return result
    import torch
    from sentence_transformers import SentenceTransformer

    from model_export.sources import minilm

    torch.set_num_threads(threads)
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
    cos_st = [float(int8_vec(a) @ r) for a, r in zip(outputs["ort fp32"], ref, strict=True)]
    torch_b32 = rows["pytorch eager (sentence-transformers)"]["batch32"]
    torch_b1 = rows["pytorch eager (sentence-transformers)"]["batch1"]
    for label, _ in variants:
        rows[label]["ratio_vs_pytorch_batch1"] = rows[label]["batch1"] / torch_b1
        rows[label]["ratio_vs_pytorch_batch32"] = rows[label]["batch32"] / torch_b32
    result["cosine_fp32_package_vs_sentence_transformers"] = {"min": float(np.min(cos_st))}
    return result


GENERATION_VARIANTS = (
    ("ort fp32 (default)", "none"),
    ("ort int8 acc4 (before)", "int8"),
    ("ort int4", "int4"),
)


def bench_generation(
    workdir: Path,
    threads: int,
    bandwidth: float,
    int4: bool,
    provider: str,
    pytorch: bool,
    fp32_only: bool = False,
) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    single = [json.dumps({"prompt": PROMPTS[0], "max_new_tokens": NEW_TOKENS}).encode()]
    batch = [json.dumps({"prompt": p, "max_new_tokens": NEW_TOKENS}).encode() for p in PROMPTS]
    for label, quant in GENERATION_VARIANTS:
        if (quant == "int4" and not int4) or (fp32_only and quant != "none"):
            continue
        pkg = ensure(workdir, f"smollm2-{quant}", "smollm2", "generation", quant, provider)
        engine = Engine.load(pkg, threads=threads)

        def gen(e: Engine = engine, b: list[bytes] | None = None) -> int:
            outs = e.run_batch(b or single)
            return sum(len(json.loads(o)["tokens"]) for o in outs)

        tps1 = rate(gen, 5.0)
        tps8 = rate(functools.partial(gen, engine, batch), 5.0)
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
    result = {"rows": rows, "new_tokens": NEW_TOKENS, "prompts_in_batch": len(batch)}
    if not pytorch:
        return result
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from model_export.sources import smollm2

    torch.set_num_threads(threads)
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
    fp32_bytes = rows["ort fp32 (default)"]["weight_mb_per_step"] * 1e6
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
    return result


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
    provider = result.get("provider", "cpu")
    parts = [
        f"provider {provider}, threads {result['threads']}, "
        f"numpy copy bandwidth {bandwidth:.1f} GB/s",
        "",
    ]
    if "embedding" in result:
        emb = result["embedding"]
        parts += [table("Embedding, all-MiniLM-L6-v2 (items/s)", emb["rows"], EMBED_COLS), ""]
        for label, q in emb["cosine_vs_fp32"].items():
            parts.append(
                f"- cosine {label} vs ort fp32 outputs: mean {q['mean']:.5f}, min {q['min']:.5f}"
                f" over {emb['texts']} texts"
            )
        st = emb.get("cosine_fp32_package_vs_sentence_transformers")
        if st:
            parts.append(f"- cosine ort fp32 vs sentence-transformers: min {st['min']:.5f}")
        parts.append("")
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
    parser.add_argument("--provider", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--no-pytorch", action="store_true", help="skip the PyTorch rows")
    parser.add_argument("--fp32-only", action="store_true", help="only the float32 packages")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--skip", choices=("embedding", "generation"), action="append", default=[])
    parser.add_argument("--render", type=Path, help="print the tables of a saved --json result")
    args = parser.parse_args()
    if args.render:
        print(render(json.loads(args.render.read_text())))
        return 0
    args.workdir.mkdir(parents=True, exist_ok=True)
    bandwidth = copy_bandwidth()
    result: dict[str, Any] = {
        "threads": args.threads,
        "provider": args.provider,
        "copy_bandwidth_gb_s": bandwidth / 1e9,
    }
    pytorch = not args.no_pytorch
    if "embedding" not in args.skip:
        result["embedding"] = bench_embedding(
            args.workdir, args.threads, args.provider, pytorch, args.fp32_only
        )
    if "generation" not in args.skip:
        result["generation"] = bench_generation(
            args.workdir, args.threads, bandwidth, args.int4, args.provider, pytorch, args.fp32_only
        )
    if args.json:
        print(json.dumps(result, sort_keys=True))
        return 0
    print(render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
