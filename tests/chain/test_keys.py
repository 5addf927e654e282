"""Encrypted keystores and the ``agentnet keys`` commands."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from eth_account import Account

from oracles.chain.errors import KeystoreError, PasswordUnavailable, WrongPassword
from oracles.chain.keys import (
    PASSWORD_ENV,
    TEST_SCRYPT_N,
    create_keystore,
    keystore_address,
    load_keystore,
)

KEY = "0x" + "11" * 32


def test_roundtrip_keeps_the_key_and_the_file_private(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    address = create_keystore(path, "pw", private_key=KEY, scrypt_n=TEST_SCRYPT_N)
    assert address == Account.from_key(KEY).address
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert KEY[2:] not in path.read_text()
    assert json.loads(path.read_text())["crypto"]["kdfparams"]["n"] == TEST_SCRYPT_N
    assert keystore_address(path) == address
    assert load_keystore(path, "pw").key.hex() == KEY[2:]


def test_wrong_password_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    create_keystore(path, "right", scrypt_n=TEST_SCRYPT_N)
    with pytest.raises(WrongPassword, match="wrong password"):
        load_keystore(path, "wrong")


def test_password_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "k.json"
    address = create_keystore(path, "secret", scrypt_n=TEST_SCRYPT_N)
    pw_file = tmp_path / "pw"
    pw_file.write_text("secret\n")
    assert load_keystore(path, password_file=pw_file).address == address
    monkeypatch.setenv(PASSWORD_ENV, "secret")
    assert load_keystore(path).address == address
    monkeypatch.delenv(PASSWORD_ENV)
    with pytest.raises(PasswordUnavailable):
        load_keystore(path, interactive=False)


def test_refuses_to_overwrite_and_reports_bad_files(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    create_keystore(path, "pw", scrypt_n=TEST_SCRYPT_N)
    with pytest.raises(KeystoreError, match="already exists"):
        create_keystore(path, "pw", scrypt_n=TEST_SCRYPT_N)
    with pytest.raises(KeystoreError, match="not found"):
        keystore_address(tmp_path / "missing.json")
    (tmp_path / "junk.json").write_text("{not json")
    with pytest.raises(KeystoreError, match="JSON"):
        load_keystore(tmp_path / "junk.json", "pw")


def _agentnet(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oracles.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,
        timeout=60,
    )


def test_cli_keys_new_and_show_print_only_the_address(tmp_path: Path) -> None:
    out = tmp_path / "agent.json"
    new = _agentnet("keys", "new", "--out", str(out), env={PASSWORD_ENV: "hunter2"})
    assert new.returncode == 0, new.stderr
    address = new.stdout.strip()
    assert address.startswith("0x") and len(address) == 42
    key = load_keystore(out, "hunter2").key.hex()
    for text in (new.stdout, new.stderr):
        assert key not in text and key.upper() not in text
        assert "hunter2" not in text
    show = _agentnet("keys", "show", str(out), env={})
    assert show.returncode == 0 and show.stdout.strip() == address


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    missing = _agentnet("keys", "show", str(tmp_path / "none.json"), env={})
    assert missing.returncode == 2
    assert missing.stderr.strip().count("\n") == 0 and "does not exist" in missing.stderr
    # Without a password source and without a terminal, the command fails cleanly.
    no_pw = subprocess.run(
        [sys.executable, "-m", "oracles.cli", "keys", "new", "--out", str(tmp_path / "x.json")],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != PASSWORD_ENV},
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert no_pw.returncode == 2 and "Traceback" not in no_pw.stderr
    assert not (tmp_path / "x.json").exists()


def test_interactive_prompt_asks_twice_for_a_new_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import getpass
    import io

    from oracles.chain.keys import read_password

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    monkeypatch.setattr("sys.stdin", Tty())
    answers = iter(["one", "one", "one", "two"])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(answers))
    assert read_password(confirm=True) == "one"
    with pytest.raises(KeystoreError, match="do not match"):
        read_password(confirm=True)
