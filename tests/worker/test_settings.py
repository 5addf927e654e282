"""``agentnet worker`` settings: flag over environment over TOML file over default, checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from oracles.cli import build_parser
from oracles.errors import UsageError
from oracles.worker.settings import NodeSettings, Settings, flags_of, resolve

REQUIRED = ["--rpc", "http://a", "--signer-keystore", "s.json", "--model", "pkg"]


def settings_of(argv: list[str], config: str | None = None) -> Settings:
    args = build_parser(["worker"]).parse_args(["worker", *argv])
    return resolve(flags_of(args), config or args.config)


def test_flag_beats_environment_beats_file_beats_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "worker.toml"
    config.write_text('db = "file.sqlite"\nmax_batch = 4\npoll_interval = 2\nconfirmations = 3\n')
    monkeypatch.setenv("AGENTNET_MAX_BATCH", "8")
    monkeypatch.setenv("AGENTNET_CONFIRMATIONS", "2")
    monkeypatch.setenv("AGENTNET_CLAIM_THRESHOLD", "0.5ether")
    s = settings_of([*REQUIRED, "--confirmations", "0", "--no-batch", "--config", str(config)])
    assert (s.confirmations, s.max_batch, s.db, s.poll_interval) == (0, 8, "file.sqlite", 2.0)
    assert s.batch_submissions is False
    assert s.claim_threshold == 5 * 10**17
    assert (s.rpc, s.model, s.threads, s.log_format) == (("http://a",), ("pkg",), None, "console")
    assert s.node() == NodeSettings(
        rpc_urls=("http://a",),
        deployment=None,
        db="file.sqlite",
        confirmations=0,
        poll_interval=2.0,
        metrics_host="127.0.0.1",
        metrics_port=9464,
        batch_submissions=False,
        max_batch=8,
        finalize_backoff=4.0,
        claim_threshold=5 * 10**17,
    )


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        ([], {}, "setting rpc is required"),
        ([*REQUIRED, "--max-batch", "0"], {}, "setting max_batch: must be at least 1, got 0"),
        (REQUIRED, {"AGENTNET_POLL_INTERVAL": "soon"}, "setting poll_interval: 'soon' is not"),
        (REQUIRED, {"AGENTNET_BATCH_SUBMISSIONS": "maybe"}, "setting batch_submissions: 'maybe'"),
        (REQUIRED, {"AGENTNET_CLAIM_THRESHOLD": "1 bogus"}, "setting claim_threshold: unknown"),
        (REQUIRED, {"AGENTNET_LOG_FORMAT": "xml"}, "setting log_format: use console or json"),
    ],
)
def test_bad_setting_is_one_line_naming_it(
    argv: list[str], env: dict[str, str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(UsageError, match=message) as info:
        settings_of(argv)
    assert "\n" not in str(info.value)


def test_unknown_key_in_config_file_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "worker.toml"
    config.write_text("max_bach = 4\n")
    with pytest.raises(UsageError, match="unknown setting"):
        settings_of(REQUIRED, str(config))
