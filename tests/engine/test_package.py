"""Model package hashing and tamper detection, as a worker observes them."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from oracles.package import PackageError, compute_model_id, load_package


def documented_id(root: Path) -> str:
    """The model id computed from the rule in oracles/package.py, independently."""
    files = sorted(
        (p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()),
        key=lambda s: s.encode("utf-8"),
    )
    digest = hashlib.sha256(b"agentnet-package/1\n")
    for name in files:
        data = (root / name).read_bytes()
        digest.update(name.encode() + b"\0" + len(data).to_bytes(8, "big"))
        digest.update(hashlib.sha256(data).digest())
    return "0x" + digest.hexdigest()


def test_id_follows_the_documented_rule(embedding_pkg: Path) -> None:
    package = load_package(embedding_pkg)
    assert package.model_id == documented_id(embedding_pkg)
    assert package.model_id == compute_model_id(embedding_pkg)
    assert package.kind_code == 0


def test_id_does_not_depend_on_location(embedding_pkg: Path, tmp_path: Path) -> None:
    shutil.copytree(embedding_pkg, tmp_path / "elsewhere")
    assert load_package(tmp_path / "elsewhere").model_id == load_package(embedding_pkg).model_id


def test_kinds_have_distinct_ids(embedding_pkg: Path, classification_pkg: Path) -> None:
    # Same weights, different rule: a different package.
    assert load_package(embedding_pkg).model_id != load_package(classification_pkg).model_id


def test_expected_id_accepts_hex_and_bytes(embedding_pkg: Path) -> None:
    model_id = load_package(embedding_pkg).model_id
    load_package(embedding_pkg, model_id.removeprefix("0x").upper())
    load_package(embedding_pkg, bytes.fromhex(model_id[2:]))


def _flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_corrupted_model_is_named(pkg_copy: Path) -> None:
    _flip_byte(pkg_copy / "model.onnx", 1000)
    with pytest.raises(PackageError, match=r"^model\.onnx: sha256 .*corrupted"):
        load_package(pkg_copy)


def test_truncated_tokenizer_is_named(pkg_copy: Path) -> None:
    path = pkg_copy / "tokenizer.json"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(PackageError, match=r"^tokenizer\.json: size .*truncated"):
        load_package(pkg_copy)


def test_missing_file_is_named(pkg_copy: Path) -> None:
    (pkg_copy / "tokenizer.json").unlink()
    with pytest.raises(PackageError, match=r"^tokenizer\.json: .*missing"):
        load_package(pkg_copy)


def test_extra_file_is_named(pkg_copy: Path) -> None:
    (pkg_copy / "sub").mkdir()
    (pkg_copy / "sub" / "extra.bin").write_bytes(b"x")
    with pytest.raises(PackageError, match=r"^sub/extra\.bin: .*not listed"):
        load_package(pkg_copy)


def test_edited_manifest_changes_the_id(pkg_copy: Path) -> None:
    registered = load_package(pkg_copy).model_id
    manifest = json.loads((pkg_copy / "manifest.json").read_text())
    manifest["canonicalization"]["scale"] = 100
    (pkg_copy / "manifest.json").write_text(json.dumps(manifest))
    assert load_package(pkg_copy).model_id != registered
    with pytest.raises(PackageError, match=r"^manifest\.json: package hashes to .*expected"):
        load_package(pkg_copy, registered)


def test_broken_manifest_is_named(pkg_copy: Path) -> None:
    (pkg_copy / "manifest.json").write_text("{not json")
    with pytest.raises(PackageError, match=r"^manifest\.json: not valid JSON"):
        load_package(pkg_copy)


def test_not_a_package(tmp_path: Path) -> None:
    with pytest.raises(PackageError, match="manifest.json: missing"):
        load_package(tmp_path)


def test_malformed_expected_id(embedding_pkg: Path) -> None:
    with pytest.raises(PackageError, match="malformed model id"):
        load_package(embedding_pkg, "0x1234")
