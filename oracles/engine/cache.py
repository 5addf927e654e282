"""The optimized-graph cache of onnxruntime sessions: a second start skips graph optimization.

The first session of a package is built with full graph optimization, and onnxruntime
writes the graph it optimized (``SessionOptions.optimized_model_filepath``) with its
weights in a separate data file; later sessions load that graph with graph
optimizations disabled, and onnxruntime maps the weights from the data file instead of
parsing and copying them. An entry is a record, ``<id>-<provider>.json`` (named after
the package id and the provider), and the files it names: ``<id>-<provider>.<token>.onnx``
and ``.data``, each with its size and sha256.

The record also holds the key the graph was built under: what the graph depends on
(the package id, the onnxruntime version, the providers and their options, the
session options that shape the graph: optimization level, execution mode,
deterministic compute; and the CPU's architecture and feature flags, since some
rewrites depend on the instruction set). Thread counts shape no graph and are left
out. An entry built under another key (stale), whose files do not match the record
(corrupt, truncated), or that onnxruntime cannot load, is ignored and rebuilt.
Built files get names of their own and the record is replaced in one rename, so
workers sharing a folder never read a half-written entry.

The cache never decides which package runs. A graph is stored only once the package
it was built from has been verified against its id (:meth:`CachedSession.keep`), and
a session opened from the cache is used only if the package verifies too
(:mod:`oracles.engine.loading`). Outputs are the same bytes with and without the
cache (``tests/engine/test_cache.py``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import secrets
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import onnxruntime as ort
import structlog

from oracles.engine.session import provider_entries, session_options
from oracles.package import sha256_file

log = structlog.get_logger("agentnet.engine")

CACHE_FORMAT = "agentnet-session-cache/1"
# Files of an entry no record names (a build that was killed) are removed after this.
ORPHAN_AFTER_S = 600.0
# Read the record an entry replaces, then replace it, one thread at a time.
_REPLACING = threading.Lock()

# Where a session's graph came from (CachedSession.status, Engine.cache_status):
HIT = "hit"  # the cached graph, loaded without optimizing
MISS = "miss"  # optimized now; stored once the package verified
UNWRITABLE = "unwritable"  # optimized now; the cache folder could not take it
OFF = "off"  # no cache

Providers = list[tuple[str, dict[str, str]]]


@functools.cache
def cpu_fingerprint() -> str:
    """A short hash of the CPU's architecture and feature flags."""
    flags = ""
    try:
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            if line.startswith(("flags", "Features")):  # x86, arm
                flags = " ".join(sorted(line.split(":", 1)[1].split()))
                break
    except OSError:
        pass
    text = f"{platform.machine()}|{flags or platform.processor()}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def cache_key(
    model_id: str, providers: Providers, options: ort.SessionOptions
) -> dict[str, object]:
    """Everything an optimized graph depends on (JSON values, compared as read back)."""
    return {
        "format": CACHE_FORMAT,
        "model_id": model_id,
        "onnxruntime": ort.__version__,
        "providers": [[name, dict(sorted(opts.items()))] for name, opts in providers],
        "graph_optimization_level": str(options.graph_optimization_level),
        "execution_mode": str(options.execution_mode),
        "deterministic_compute": bool(options.use_deterministic_compute),
        "cpu": cpu_fingerprint(),
    }


def _note(event: str, **fields: object) -> None:
    """A warning on the worker's log (stderr when structlog is not set up)."""
    if structlog.is_configured():
        log.warning(event, **fields)
    else:
        detail = ", ".join(f"{k}={v}" for k, v in fields.items())
        print(f"agentnet engine: {event} ({detail})", file=sys.stderr)


@dataclass
class CachedSession:
    """A session, where its graph came from, and a built graph waiting to be stored."""

    session: ort.InferenceSession
    status: str
    _record: Path | None = field(default=None, repr=False)
    _built: list[Path] = field(default_factory=list, repr=False)
    _key: dict[str, object] = field(default_factory=dict, repr=False)

    def keep(self) -> None:
        """Store the graph optimized for this session (call once the package verified)."""
        built, self._built = self._built, []
        if not built or self._record is None:
            return
        record_path = self._record
        staged = built[0].with_suffix(".json.tmp")
        try:
            files = {p.name: {"size": p.stat().st_size, "sha256": sha256_file(p)} for p in built}
            record = {"key": self._key, "graph": built[0].name, "files": files}
            staged.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
            with _REPLACING:
                previous = _named(record_path)
                os.replace(staged, record_path)
        except OSError as exc:
            self.status = UNWRITABLE
            _note("engine.cache_unwritable", folder=str(record_path.parent), error=str(exc))
            for path in built:
                path.unlink(missing_ok=True)
            return
        finally:
            staged.unlink(missing_ok=True)
        _remove_unnamed(record_path, previous, set(files))

    def discard(self) -> None:
        """Forget the graph optimized for this session (its package did not verify)."""
        built, self._built = self._built, []
        for path in built:
            path.unlink(missing_ok=True)


def _named(record_path: Path) -> set[str]:
    """The files a record names (none if it is missing or unreadable)."""
    try:
        return set(json.loads(record_path.read_text())["files"])
    except (OSError, ValueError, TypeError, KeyError):
        return set()


def _remove_unnamed(record_path: Path, previous: set[str], named: set[str]) -> None:
    """Remove the files of the entry this one replaced, and files no record names
    (builds killed midway, or the loser of two processes storing at once) once they
    are ORPHAN_AFTER_S old: a younger one may be a build still running elsewhere."""
    now = time.time()
    for path in record_path.parent.glob(f"{record_path.stem}.*.*"):
        try:
            if path.name in named:
                continue
            if path.name in previous or now - path.stat().st_mtime > ORPHAN_AFTER_S:
                path.unlink(missing_ok=True)
        except OSError:
            pass


class SessionCache:
    """Optimized graphs in one folder (created on first use)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def open(
        self,
        model_path: Path,
        model_id: str,
        threads: int | None,
        chosen: Sequence[str],
        provider_options: Mapping[str, Mapping[str, str]] | None = None,
    ) -> CachedSession:
        """A session of ``model_path`` (package ``model_id``) on the providers ``chosen``:
        from the cached graph if its entry is intact, else optimized now (and then
        :meth:`CachedSession.keep` stores the graph)."""
        providers = provider_entries(chosen, provider_options)
        options = session_options(threads, chosen)
        key = cache_key(model_id, providers, options)
        name = chosen[0].removesuffix("ExecutionProvider").lower()
        record = self.root / f"{model_id.removeprefix('0x')}-{name}.json"
        plain = session_options(threads, chosen, optimize=False)
        session = self._load(record, key, plain, providers)
        if session is not None:
            _remove_unnamed(record, set(), _named(record))
            return CachedSession(session, HIT)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            _note("engine.cache_unwritable", folder=str(self.root), error=str(exc))
            return CachedSession(_session(model_path, options, providers), UNWRITABLE)
        token = f"{os.getpid()}-{secrets.token_hex(4)}"
        graph = self.root / f"{record.stem}.{token}.onnx"
        data = graph.with_suffix(".data")
        building = session_options(threads, chosen)
        building.optimized_model_filepath = str(graph)
        building.add_session_config_entry(
            "session.optimized_model_external_initializers_file_name", data.name
        )
        building.add_session_config_entry(
            "session.optimized_model_external_initializers_min_size_in_bytes", "1024"
        )
        try:
            session = _session(model_path, building, providers)
        except Exception as exc:  # onnxruntime could not write the graph, or read the model
            graph.unlink(missing_ok=True)
            data.unlink(missing_ok=True)
            fresh = _session(model_path, options, providers)  # a model's own error is raised
            _note("engine.cache_unwritable", folder=str(self.root), error=_first_line(exc))
            return CachedSession(fresh, UNWRITABLE)
        if not graph.is_file():
            data.unlink(missing_ok=True)
            return CachedSession(session, UNWRITABLE)
        built = [graph, data] if data.is_file() else [graph]
        return CachedSession(session, MISS, record, built, key)

    @staticmethod
    def _load(
        record_path: Path, key: dict[str, object], options: ort.SessionOptions, providers: Providers
    ) -> ort.InferenceSession | None:
        """The session of an intact entry built under ``key``; None to rebuild it."""
        entry = record_path.name
        try:
            record = json.loads(record_path.read_text())
            files = {record_path.parent / n: dict(f) for n, f in record["files"].items()}
            graph = record_path.parent / str(record["graph"])
            sizes = {p: p.stat().st_size for p in files}
        except FileNotFoundError as exc:
            if exc.filename != str(record_path):
                _note("engine.cache_ignored", entry=entry, reason=f"missing {exc.filename}")
            return None
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            _note("engine.cache_ignored", entry=entry, reason=f"unreadable: {exc!r}")
            return None
        if record.get("key") != key:
            _note("engine.cache_ignored", entry=entry, reason="built under another key")
            return None
        if graph not in files or any(sizes[p] != f.get("size") for p, f in files.items()):
            _note("engine.cache_ignored", entry=entry, reason="sizes differ from the record")
            return None
        with ThreadPoolExecutor(1, thread_name_prefix="agentnet-cache") as pool:
            # hashed while onnxruntime reads the same files
            digests = pool.submit(lambda: {p: sha256_file(p) for p in files})
            try:
                session: ort.InferenceSession | None = _session(graph, options, providers)
                error = ""
            except Exception as exc:  # onnxruntime's errors derive from Exception only
                session, error = None, _first_line(exc)
            try:
                intact = all(d == files[p].get("sha256") for p, d in digests.result().items())
            except OSError:
                intact = False
        if not intact:
            _note("engine.cache_ignored", entry=entry, reason="sha256 differs from the record")
            return None
        if session is None:
            _note("engine.cache_ignored", entry=entry, reason=f"cannot load: {error}")
        return session


def _session(
    model_path: Path, options: ort.SessionOptions, providers: Providers
) -> ort.InferenceSession:
    return ort.InferenceSession(str(model_path), sess_options=options, providers=providers)


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]
