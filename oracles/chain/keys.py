"""Encrypted keystores (eth-account, scrypt) and how their passwords are found.

A password comes, in this order, from an explicit argument, a password file, the
``AGENTNET_PASSWORD`` environment variable, or an interactive prompt. Keys and
passwords are never logged or printed; only addresses are.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address

from oracles.chain.errors import KeystoreError, PasswordUnavailable, WrongPassword

PASSWORD_ENV = "AGENTNET_PASSWORD"
DEFAULT_SCRYPT_N = 2**18
TEST_SCRYPT_N = 2**10


def read_password(
    password: str | None = None,
    password_file: str | Path | None = None,
    *,
    prompt: str = "Keystore password: ",
    confirm: bool = False,
    interactive: bool = True,
) -> str:
    """Find the password: argument, then file, then ``$AGENTNET_PASSWORD``, then a prompt.

    ``confirm=True`` asks twice at the prompt (for a new keystore). Raises
    :class:`PasswordUnavailable` when there is no source and no terminal.
    """
    if password is not None:
        return password
    if password_file is not None:
        try:
            text = Path(password_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise KeystoreError(f"cannot read password file {password_file}: {exc}") from exc
        return text.rstrip("\r\n")
    env = os.environ.get(PASSWORD_ENV)
    if env is not None:
        return env
    if not interactive or not sys.stdin.isatty():
        raise PasswordUnavailable(
            f"no password: pass --password-file, set {PASSWORD_ENV}, or run in a terminal"
        )
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("Repeat password: ") != first:
        raise KeystoreError("passwords do not match")
    return first


def encrypt_key(
    private_key: bytes | str, password: str, scrypt_n: int = DEFAULT_SCRYPT_N
) -> dict[str, Any]:
    """Keystore JSON (v3, scrypt with ``n=scrypt_n``) for ``private_key``."""
    if scrypt_n < 2 or scrypt_n & (scrypt_n - 1):
        raise KeystoreError("scrypt n must be a power of two")
    key = (
        bytes.fromhex(private_key.removeprefix("0x"))
        if isinstance(private_key, str)
        else private_key
    )
    keystore: dict[str, Any] = Account.encrypt(key, password, kdf="scrypt", iterations=scrypt_n)
    return keystore


def create_keystore(
    path: str | Path,
    password: str,
    *,
    private_key: bytes | str | None = None,
    scrypt_n: int = DEFAULT_SCRYPT_N,
    overwrite: bool = False,
) -> str:
    """Write a new (or the given) key, encrypted, to ``path`` (mode 0600); return its address.

    Use ``scrypt_n=TEST_SCRYPT_N`` in tests only: the default costs about 0.5 s and
    256 MB, which is the point for a real key.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise KeystoreError(f"{path} already exists; not overwriting a keystore")
    account = Account.from_key(private_key) if private_key is not None else Account.create()
    keystore = encrypt_key(account.key, password, scrypt_n)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(keystore, fh)
    except OSError as exc:
        raise KeystoreError(f"cannot write keystore {path}: {exc}") from exc
    return str(account.address)


def _read_keystore(path: str | Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise KeystoreError(f"keystore {path} not found") from exc
    except (OSError, ValueError) as exc:
        raise KeystoreError(f"keystore {path} is not readable JSON: {exc}") from exc
    if not isinstance(data, dict) or "crypto" not in data and "Crypto" not in data:
        raise KeystoreError(f"{path} is not an encrypted keystore")
    return data


def keystore_address(path: str | Path) -> str:
    """The checksummed address a keystore declares, without decrypting it."""
    data = _read_keystore(path)
    if "address" not in data:
        raise KeystoreError(f"keystore {path} does not name its address; decrypt it instead")
    return str(to_checksum_address("0x" + str(data["address"]).removeprefix("0x")))


def load_keystore(
    path: str | Path,
    password: str | None = None,
    password_file: str | Path | None = None,
    *,
    interactive: bool = True,
) -> LocalAccount:
    """Decrypt a keystore into a signing account; the password is found by :func:`read_password`."""
    data = _read_keystore(path)
    secret = read_password(password, password_file, interactive=interactive)
    try:
        key = Account.decrypt(data, secret)
    except ValueError as exc:
        if "MAC mismatch" in str(exc):
            raise WrongPassword(f"wrong password for keystore {path}") from None
        raise KeystoreError(f"cannot decrypt keystore {path}: {exc}") from None
    account: LocalAccount = Account.from_key(key)
    return account
