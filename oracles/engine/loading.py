"""Opening a package: its declared id at once, then the file check and the session side by side.

A package's *declared* id is the canonical id computed from what its manifest lists
(each file's size and sha256) and the manifest itself, without reading the other
files: it is the package id exactly when every file matches the manifest, which
:func:`oracles.package.load_package` checks by hashing them all. That check (hashlib
releases the GIL) runs in a thread while onnxruntime opens the session and the
tokenizer loads; nothing opened is used, and no optimized graph is cached, unless
the package verified.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import onnxruntime as ort
from tokenizers import Tokenizer

from oracles.engine.cache import OFF, CachedSession, SessionCache
from oracles.engine.session import create_session, package_providers
from oracles.package import (
    MANIFEST_NAME,
    FileRecord,
    Package,
    PackageError,
    hash_records,
    load_package,
    read_manifest,
    sha256_file,
)


@dataclass
class Opened:
    """A verified package with its session and tokenizer."""

    package: Package
    session: ort.InferenceSession
    tokenizer: Tokenizer
    cache_status: str  # see oracles.engine.cache (hit, miss, ... or off)


def declared_model_id(package_dir: str | Path) -> str:
    """The id the package's manifest declares (0x-hex); PackageError if it is malformed."""
    root = Path(package_dir).resolve()
    return _declared(root, read_manifest(root))


def _declared(root: Path, manifest: dict[str, Any]) -> str:
    records = []
    for name, entry in manifest["files"].items():
        try:
            records.append(FileRecord(str(name), int(entry["size"]), str(entry["sha256"])))
            bytes.fromhex(records[-1].sha256)
        except (KeyError, TypeError, ValueError):
            raise PackageError(f"{MANIFEST_NAME}: malformed entry for {name!r}") from None
    path = root / MANIFEST_NAME
    records.append(FileRecord(MANIFEST_NAME, path.stat().st_size, sha256_file(path)))
    return hash_records(records)


def _inside(root: Path, manifest: dict[str, Any], key: str) -> Path:
    """The file named by ``manifest[key]``, which must be listed and inside the package."""
    name = manifest[key]
    path = (root / str(name)).resolve()
    if name not in manifest["files"] or not path.is_relative_to(root):
        raise PackageError(f"{name}: named in {MANIFEST_NAME} but not in its file list")
    return path


def open_package(
    package_dir: str | Path,
    threads: int | None,
    providers: Sequence[str] | None,
    expected_id: str | bytes | None,
    allow_provider_mismatch: bool,
    cache: SessionCache | None,
) -> Opened:
    """Verify a package (and its id, if given) while its session and tokenizer open.

    A verification failure is raised in preference to any error of the session, which
    a damaged file may well cause.
    """
    root = Path(package_dir).resolve()
    manifest = read_manifest(root)
    if "canonicalization" not in manifest and manifest["kind"] != "generation":
        raise PackageError(f"{MANIFEST_NAME}: missing 'canonicalization'")
    declared = _declared(root, manifest)
    model_path = _inside(root, manifest, "model_file")
    tokenizer_path = _inside(root, manifest, "tokenizer_file")
    chosen = package_providers(
        str(manifest.get("execution_provider", "cpu")), providers, allow_provider_mismatch
    )
    with ThreadPoolExecutor(2, thread_name_prefix="agentnet-open") as pool:
        verified = pool.submit(load_package, root, expected_id)
        tokenizer = pool.submit(Tokenizer.from_file, str(tokenizer_path))
        opened: CachedSession | None = None
        try:
            if cache is None:
                session = create_session(
                    model_path, threads, chosen, manifest.get("provider_options")
                )
                opened = CachedSession(session, OFF)
            else:
                opened = cache.open(
                    model_path, declared, threads, chosen, manifest.get("provider_options")
                )
            package = verified.result()
            if package.model_id != declared:
                raise PackageError(f"{MANIFEST_NAME}: the package changed while it was loading")
            opened.keep()
            return Opened(package, opened.session, tokenizer.result(), opened.status)
        except BaseException:
            if opened is not None:
                opened.discard()
            verified.result()  # a package that does not verify explains the failure best
            raise
