"""Worker settings from flags, ``AGENTNET_*`` environment variables or a TOML file.

Precedence: a flag, then the environment (``AGENTNET_RPC`` = comma-separated
URLs, ``AGENTNET_DB``, ``AGENTNET_CONFIRMATIONS``, ...), then ``--config FILE``
(keys as the flags, with underscores), then the defaults. Values are checked and
a bad one is reported by name. :func:`resolve` gives a :class:`Settings`; its
:meth:`Settings.node` part is what a running :class:`~oracles.worker.node.Worker`
needs (:class:`NodeSettings`).
"""

from __future__ import annotations

import argparse
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TypeVar

from oracles.cli_common import parse_amount
from oracles.errors import UsageError

ENV_PREFIX = "AGENTNET_"
LOG_FORMATS = ("console", "json")
# Where optimized onnxruntime graphs are kept (oracles.engine.cache); "off" for none.
SESSION_CACHE = str(Path(".agentnet") / "session-cache")
_NO_CACHE = ("", "off", "none", "no", "false", "0")

T = TypeVar("T")


@dataclass(frozen=True)
class NodeSettings:
    """What a running worker needs: where the chain and its state are, and its policy."""

    rpc_urls: tuple[str, ...]
    deployment: str | None  # None: deployments/<chain id>.json of this repository
    db: str
    confirmations: int = 1
    poll_interval: float = 0.5
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 0
    batch_submissions: bool = True
    max_batch: int = 32
    finalize_backoff: float = 4.0
    claim_threshold: int | None = None  # wei; None: never claim


@dataclass(frozen=True)
class Settings:
    """Every ``agentnet worker`` setting, checked (field names are the TOML keys)."""

    rpc: tuple[str, ...]
    deployment: str | None
    signer_keystore: str
    owner_keystore: str | None
    password_file: str | None
    model: tuple[str, ...]  # package folders
    db: str
    confirmations: int
    poll_interval: float
    metrics_host: str
    metrics_port: int
    threads: int | None
    batch_submissions: bool
    max_batch: int
    finalize_backoff: float
    claim_threshold: int | None
    log_format: str
    session_cache: str | None  # folder of optimized graphs; None: no cache

    def node(self) -> NodeSettings:
        return NodeSettings(
            rpc_urls=self.rpc,
            deployment=self.deployment,
            db=self.db,
            confirmations=self.confirmations,
            poll_interval=self.poll_interval,
            metrics_host=self.metrics_host,
            metrics_port=self.metrics_port,
            batch_submissions=self.batch_submissions,
            max_batch=self.max_batch,
            finalize_backoff=self.finalize_backoff,
            claim_threshold=self.claim_threshold,
        )


# --- parsers: (setting name, raw value) -> checked value ------------------------------
def _text(name: str, value: object) -> str:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value)
    raise UsageError(f"setting {name}: {value!r} is not a string")


def _int(minimum: int) -> Callable[[str, object], int]:
    def parse(name: str, value: object) -> int:
        try:
            if isinstance(value, bool) or not isinstance(value, str | int):
                raise TypeError
            number = int(value)
        except (TypeError, ValueError):
            raise UsageError(f"setting {name}: {value!r} is not an integer") from None
        if number < minimum:
            raise UsageError(f"setting {name}: must be at least {minimum}, got {number}")
        return number

    return parse


def _float(minimum: float) -> Callable[[str, object], float]:
    def parse(name: str, value: object) -> float:
        try:
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise TypeError
            number = float(value)
        except (TypeError, ValueError):
            raise UsageError(f"setting {name}: {value!r} is not a number") from None
        if number < minimum:
            raise UsageError(f"setting {name}: must be at least {minimum}, got {number}")
        return number

    return parse


def _strings(name: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise UsageError(f"setting {name}: expected a list of strings, got {value!r}")


def _bool(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise UsageError(f"setting {name}: {value!r} is not a boolean")


def _amount(name: str, value: object) -> int:
    try:
        return parse_amount(_text(name, value))
    except UsageError as exc:
        raise UsageError(f"setting {name}: {exc}") from None


def _folder_or_off(name: str, value: object) -> str | None:
    text = _text(name, value).strip()
    return None if text.lower() in _NO_CACHE else text


def _log_format(name: str, value: object) -> str:
    text = _text(name, value)
    if text not in LOG_FORMATS:
        raise UsageError(f"setting {name}: use {' or '.join(LOG_FORMATS)}")
    return text


def _read_config(config_file: str | None) -> dict[str, object]:
    if not config_file:
        return {}
    try:
        values = tomllib.loads(Path(config_file).read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read config {config_file}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"config {config_file} is not valid TOML: {exc}") from exc
    unknown = sorted(set(values) - {f.name for f in fields(Settings)})
    if unknown:
        raise UsageError(f"config {config_file}: unknown setting(s) {', '.join(unknown)}")
    return values


def resolve(flags: Mapping[str, object], config_file: str | None) -> Settings:
    """Merge flags, environment and the TOML file into checked settings."""
    file_values = _read_config(config_file)

    def pick(name: str, parse: Callable[[str, object], T], default: T) -> T:
        value = flags.get(name)
        if value is None:
            value = os.environ.get(ENV_PREFIX + name.upper())
        if value is None:
            value = file_values.get(name)
        return default if value is None else parse(name, value)

    def required(name: str, parse: Callable[[str, object], T]) -> T:
        value = pick(name, parse, None)
        if not value:
            raise UsageError(
                f"setting {name} is required (--{name.replace('_', '-')}, "
                f"{ENV_PREFIX}{name.upper()} or the config file)"
            )
        return value

    log_format = pick("log_format", _log_format, "console")
    cache_default: str | None = SESSION_CACHE
    return Settings(
        rpc=required("rpc", _strings),
        deployment=pick("deployment", _text, None),
        signer_keystore=required("signer_keystore", _text),
        owner_keystore=pick("owner_keystore", _text, None),
        password_file=pick("password_file", _text, None),
        model=required("model", _strings),
        db=pick("db", _text, "agentnet-worker.sqlite"),
        confirmations=pick("confirmations", _int(0), 1),
        poll_interval=pick("poll_interval", _float(0.05), 0.5),
        metrics_host=pick("metrics_host", _text, "127.0.0.1"),
        metrics_port=pick("metrics_port", _int(0), 9464),
        threads=pick("threads", _int(1), None),
        batch_submissions=pick("batch_submissions", _bool, True),
        max_batch=pick("max_batch", _int(1), 32),
        finalize_backoff=pick("finalize_backoff", _float(0.0), 4.0),
        claim_threshold=pick("claim_threshold", _amount, None),
        log_format=log_format,
        session_cache=pick("session_cache", _folder_or_off, cache_default),
    )


def flags_of(args: argparse.Namespace) -> dict[str, object]:
    """The settings given as ``agentnet worker`` flags (``None``: not given)."""
    flags: dict[str, object] = {f.name: getattr(args, f.name, None) for f in fields(Settings)}
    flags["batch_submissions"] = False if getattr(args, "no_batch", False) else None
    return flags
