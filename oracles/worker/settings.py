"""Worker settings from flags, ``AGENTNET_*`` environment variables or a TOML file.

Precedence: a flag, then the environment (``AGENTNET_RPC`` = comma-separated
URLs, ``AGENTNET_DB``, ``AGENTNET_CONFIRMATIONS``, ...), then ``--config FILE``
(keys as the flags, with underscores), then the defaults. Values are checked and
a bad one is reported by name.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from oracles.errors import UsageError

ENV_PREFIX = "AGENTNET_"


def _int(name: str, minimum: int = 0) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise UsageError(f"setting {name}: {value!r} is not an integer") from None
        if number < minimum:
            raise UsageError(f"setting {name}: must be at least {minimum}, got {number}")
        return number

    return parse


def _float(name: str, minimum: float = 0.0) -> Callable[[Any], float]:
    def parse(value: Any) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise UsageError(f"setting {name}: {value!r} is not a number") from None
        if number < minimum:
            raise UsageError(f"setting {name}: must be at least {minimum}, got {number}")
        return number

    return parse


def _list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise UsageError(f"expected a list of strings, got {value!r}")


def _bool(name: str) -> Callable[[Any], bool]:
    def parse(value: Any) -> bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise UsageError(f"setting {name}: {value!r} is not a boolean")

    return parse


# name -> (parser, default)
SPEC: dict[str, tuple[Callable[[Any], Any], Any]] = {
    "rpc": (_list, None),
    "deployment": (str, None),
    "signer_keystore": (str, None),
    "owner_keystore": (str, None),
    "password_file": (str, None),
    "model": (_list, None),
    "db": (str, "agentnet-worker.sqlite"),
    "confirmations": (_int("confirmations"), 1),
    "poll_interval": (_float("poll_interval", 0.05), 0.5),
    "metrics_host": (str, "127.0.0.1"),
    "metrics_port": (_int("metrics_port"), 9464),
    "threads": (_int("threads", 1), None),
    "batch_submissions": (_bool("batch_submissions"), True),
    "max_batch": (_int("max_batch", 1), 32),
    "finalize_backoff": (_float("finalize_backoff"), 4.0),
    "claim_threshold": (str, None),
    "log_format": (str, "console"),
}


def resolve(flags: dict[str, Any], config_file: str | None) -> dict[str, Any]:
    """Merge flags, environment and the TOML file into checked settings."""
    file_values: dict[str, Any] = {}
    if config_file:
        try:
            file_values = tomllib.loads(Path(config_file).read_text(encoding="utf-8"))
        except OSError as exc:
            raise UsageError(f"cannot read config {config_file}: {exc}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise UsageError(f"config {config_file} is not valid TOML: {exc}") from exc
        unknown = sorted(set(file_values) - set(SPEC))
        if unknown:
            raise UsageError(f"config {config_file}: unknown setting(s) {', '.join(unknown)}")
    out: dict[str, Any] = {}
    for name, (parse, default) in SPEC.items():
        value = flags.get(name)
        if value is None:
            value = os.environ.get(ENV_PREFIX + name.upper())
        if value is None:
            value = file_values.get(name)
        out[name] = default if value is None else parse(value)
    if out["log_format"] not in ("console", "json"):
        raise UsageError("setting log_format: use console or json")
    for required in ("rpc", "signer_keystore", "model"):
        if not out[required]:
            raise UsageError(
                f"setting {required} is required (--{required.replace('_', '-')}, "
                f"{ENV_PREFIX}{required.upper()} or the config file)"
            )
    return out
