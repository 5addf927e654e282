"""`agentnet model export|id|run`, as an operator runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from oracles.package import load_package


def agentnet(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "oracles.cli", "model", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_model_id_prints_the_verified_id(embedding_pkg: Path) -> None:
    result = agentnet("id", str(embedding_pkg))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == load_package(embedding_pkg).model_id


def test_model_run_prints_hex_and_decoded(generation_pkg: Path, tmp_path: Path) -> None:
    task = tmp_path / "task.json"
    task.write_text('{"prompt":"hello","max_new_tokens":5}')
    result = agentnet("run", str(generation_pkg), "--input", f"@{task}")
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(None, 1) for line in result.stdout.splitlines())
    output = bytes.fromhex(lines["hex"].strip())
    assert output.decode() == lines["output"].strip()
    assert len(json.loads(output)["tokens"]) == 5
    assert lines["model_id"].strip() == load_package(generation_pkg).model_id


def test_model_run_shows_canonical_error_output(embedding_pkg: Path) -> None:
    result = agentnet("run", str(embedding_pkg), "--input", '{"text": 5}')
    assert result.returncode == 0
    assert '{"error":"bad_field"}' in result.stdout


def test_tampered_package_is_a_one_line_error(pkg_copy: Path) -> None:
    path = pkg_copy / "tokenizer.json"
    path.write_bytes(path.read_bytes() + b" ")
    result = agentnet("run", str(pkg_copy), "--input", '{"text":"hi"}')
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("agentnet: error: tokenizer.json: size")
    assert "Traceback" not in result.stderr


def test_missing_input_file_is_a_one_line_error(embedding_pkg: Path, tmp_path: Path) -> None:
    result = agentnet("run", str(embedding_pkg), "--input", f"@{tmp_path / 'nope.json'}")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "nope.json does not exist" in result.stderr


def test_model_export_prints_the_package_id(tiny_base: Path, tmp_path: Path) -> None:
    out = tmp_path / "cls"
    result = agentnet(
        "export", str(tiny_base / "hf-bert"), "--kind", "classification", "--out", str(out)
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == load_package(out).model_id


def test_export_with_a_bad_source_is_a_one_line_error(tmp_path: Path) -> None:
    result = agentnet(
        "export", "no-such-model", "--kind", "embedding", "--out", str(tmp_path / "x")
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "agentnet: error: no-such-model: not a preset (minilm, smollm2) "
        "nor a folder with config.json"
    ]
