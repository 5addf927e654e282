"""Model packages: manifest schema, canonical hashing, load and verify.

A model package is a folder holding ``model.onnx`` (plus optional external data),
the tokenizer files and ``manifest.json``. This module is torch-free: a worker
imports it to check that the package on disk is the one registered on chain.

Canonical hash (``model_id``), format ``agentnet-package/1``:

1. List every regular file under the package folder, recursively, as its path
   relative to the folder with ``/`` separators, UTF-8 encoded. Symbolic links and
   anything that is not a regular file make the package invalid. Hidden files
   are included (nothing is skipped silently).
2. Sort the paths by their UTF-8 bytes.
3. For each file, form the record
   ``path_bytes || 0x00 || size as 8-byte big-endian || sha256(content)``
   (32 raw bytes).
4. ``model_id = sha256(b"agentnet-package/1\\n" || record_1 || record_2 || ...)``.

``manifest.json`` is one of the hashed files, so every rule and parameter in it is
covered by the id. The manifest also lists every *other* file with its size and
sha256, so that a corrupted, truncated, missing or extra file is reported by name.

Fields about agreement across hardware (all covered by the id):

- ``execution_provider``: ``cpu`` (the default when absent) or ``cuda``: whose
  numerics the package's outputs are. The same graph for another provider is
  another package with another id, so a committee never mixes GPU and CPU answers;
  the engine refuses to run a package on another provider (see
  :func:`oracles.engine.session.package_providers`). ``provider_options``
  (optional) holds the provider's settings, e.g. ``{"cuda": {"use_tf32": "0"}}``.
- ``agreement_rule``: when two outputs count as the same answer, e.g.
  ``{"rule": "exact"}`` or ``{"rule": "int8_max_abs_diff", "max_steps": 1}``
  (see :mod:`oracles.engine.compare`).
- ``agreement``: what the agreement harness measured at export (harness
  version, levels and how each ran, input count, differing and rule-breaking
  counts per pair of levels, levels that could not run here and why; see
  :mod:`oracles.agreement.harness`).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oracles.errors import AgentnetError

FORMAT = "agentnet-package/1"
MANIFEST_NAME = "manifest.json"
HASH_DOMAIN = b"agentnet-package/1\n"
KINDS: dict[str, int] = {"embedding": 0, "classification": 1, "generation": 2}
EXECUTION_PROVIDERS = ("cpu", "cuda")
_CHUNK = 1 << 20
_REQUIRED_KEYS = ("format", "kind", "task", "model_file", "tokenizer_file", "files")


class PackageError(AgentnetError):
    """A model package is missing, malformed, or does not match its manifest or id."""


@dataclass(frozen=True)
class FileRecord:
    """One file of a package: its relative path, size and sha256 (hex)."""

    path: str
    size: int
    sha256: str

    def record_bytes(self) -> bytes:
        """The bytes this file contributes to the canonical hash."""
        return (
            self.path.encode("utf-8")
            + b"\x00"
            + self.size.to_bytes(8, "big")
            + bytes.fromhex(self.sha256)
        )


@dataclass(frozen=True)
class Package:
    """A verified package: its folder, parsed manifest and canonical id."""

    root: Path
    manifest: dict[str, Any]
    model_id: str  # 0x-prefixed lowercase hex of 32 bytes

    @property
    def kind(self) -> str:
        """``embedding``, ``classification`` or ``generation``."""
        return str(self.manifest["kind"])

    @property
    def execution_provider(self) -> str:
        """``cpu`` or ``cuda``: the provider whose numerics the outputs are."""
        return str(self.manifest.get("execution_provider", "cpu"))

    @property
    def kind_code(self) -> int:
        """The on-chain kind number (0 embedding, 1 classification, 2 generation)."""
        return KINDS[self.kind]

    def path(self, name: str) -> Path:
        """Absolute path of a file named in the manifest."""
        return self.root / name


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _walk(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        base = Path(dirpath)
        for name in dirnames:
            if (base / name).is_symlink():
                raise PackageError(f"{_rel(root, base / name)}: symbolic links are not allowed")
        for name in filenames:
            yield base / name


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def list_files(root: Path) -> list[str]:
    """Relative paths of every file in the package, in canonical (UTF-8 byte) order."""
    paths = []
    for path in _walk(root):
        rel = _rel(root, path)
        if path.is_symlink() or not path.is_file():
            raise PackageError(f"{rel}: not a regular file")
        paths.append(rel)
    return sorted(paths, key=lambda p: p.encode("utf-8"))


def file_records(root: Path, names: list[str] | None = None) -> list[FileRecord]:
    """Size and sha256 of the given files (default: all of them), canonical order."""
    names = list_files(root) if names is None else sorted(names, key=lambda p: p.encode())
    return [FileRecord(n, (root / n).stat().st_size, sha256_file(root / n)) for n in names]


def hash_records(records: list[FileRecord]) -> str:
    """Canonical model id (0x-hex) of a list of file records."""
    ordered = sorted(records, key=lambda r: r.path.encode("utf-8"))
    digest = hashlib.sha256(HASH_DOMAIN)
    for record in ordered:
        digest.update(record.record_bytes())
    return "0x" + digest.hexdigest()


def compute_model_id(root: str | Path) -> str:
    """Canonical model id of a package folder, without checking the manifest."""
    return hash_records(file_records(Path(root)))


def write_manifest(root: str | Path, manifest: dict[str, Any]) -> str:
    """Fill ``files`` from the folder, write ``manifest.json`` and return the model id."""
    root = Path(root)
    others = [n for n in list_files(root) if n != MANIFEST_NAME]
    records = file_records(root, others)
    manifest = dict(manifest)
    manifest["format"] = FORMAT
    manifest["files"] = {r.path: {"sha256": r.sha256, "size": r.size} for r in records}
    text = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    (root / MANIFEST_NAME).write_text(text, encoding="utf-8")
    return compute_model_id(root)


def read_manifest(root: Path) -> dict[str, Any]:
    """Parse and shape-check ``manifest.json``; raise PackageError naming the problem."""
    path = root / MANIFEST_NAME
    if not root.is_dir():
        raise PackageError(f"{root}: not a package folder")
    if not path.is_file():
        raise PackageError(f"{MANIFEST_NAME}: missing from {root}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PackageError(f"{MANIFEST_NAME}: not valid JSON ({exc})") from None
    if not isinstance(manifest, dict):
        raise PackageError(f"{MANIFEST_NAME}: must hold a JSON object")
    missing = [k for k in _REQUIRED_KEYS if k not in manifest]
    if missing:
        raise PackageError(f"{MANIFEST_NAME}: missing keys {', '.join(missing)}")
    if manifest["format"] != FORMAT:
        raise PackageError(f"{MANIFEST_NAME}: unsupported format {manifest['format']!r}")
    if manifest["kind"] not in KINDS:
        raise PackageError(f"{MANIFEST_NAME}: unknown kind {manifest['kind']!r}")
    if not isinstance(manifest["files"], dict):
        raise PackageError(f"{MANIFEST_NAME}: 'files' must be an object")
    provider = manifest.get("execution_provider", "cpu")
    if provider not in EXECUTION_PROVIDERS:
        raise PackageError(f"{MANIFEST_NAME}: unknown execution_provider {provider!r}")
    return manifest


def _check_files(root: Path, manifest: dict[str, Any]) -> list[FileRecord]:
    listed: dict[str, Any] = manifest["files"]
    present = list_files(root)
    for name in present:
        if name != MANIFEST_NAME and name not in listed:
            raise PackageError(f"{name}: file is not listed in {MANIFEST_NAME}")
    records = []
    for name in sorted(listed, key=lambda p: p.encode("utf-8")):
        entry = listed[name]
        path = root / name
        if not path.is_file() or path.is_symlink():
            raise PackageError(f"{name}: listed in {MANIFEST_NAME} but missing")
        size = path.stat().st_size
        if size != entry.get("size"):
            raise PackageError(
                f"{name}: size {size} bytes, manifest says {entry.get('size')} (truncated?)"
            )
        digest = sha256_file(path)
        if digest != entry.get("sha256"):
            raise PackageError(f"{name}: sha256 does not match the manifest (corrupted)")
        records.append(FileRecord(name, size, digest))
    for name in (manifest["model_file"], manifest["tokenizer_file"]):
        if name not in listed:
            raise PackageError(f"{name}: named in {MANIFEST_NAME} but not in its file list")
    return records


def load_package(root: str | Path, expected_id: str | bytes | None = None) -> Package:
    """Verify a package folder and return it.

    Checks the manifest, then every listed file's size and sha256, then that no
    unlisted file is present, then (if given) that the canonical id equals
    ``expected_id`` (hex with or without 0x, or 32 raw bytes). Every failure
    raises PackageError with a message that names the offending file.
    """
    root = Path(root).resolve()
    manifest = read_manifest(root)
    records = _check_files(root, manifest)
    manifest_path = root / MANIFEST_NAME
    records.append(
        FileRecord(MANIFEST_NAME, manifest_path.stat().st_size, sha256_file(manifest_path))
    )
    model_id = hash_records(records)
    if expected_id is not None:
        want = normalize_id(expected_id)
        if want != model_id:
            raise PackageError(
                f"{MANIFEST_NAME}: package hashes to {model_id}, expected {want} "
                "(the manifest or the package was edited)"
            )
    return Package(root=root, manifest=manifest, model_id=model_id)


def normalize_id(model_id: str | bytes) -> str:
    """A model id as 0x-prefixed lowercase hex; raise PackageError if malformed."""
    if isinstance(model_id, bytes):
        if len(model_id) != 32:
            raise PackageError("model id must be 32 bytes")
        return "0x" + model_id.hex()
    text = model_id.lower().removeprefix("0x")
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        raise PackageError(f"malformed model id {model_id!r}")
    return "0x" + text
