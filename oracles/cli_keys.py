"""``agentnet keys``: create and inspect encrypted keystores.

Only addresses are printed; never a key or a password.
"""

from __future__ import annotations

import argparse
from typing import Any

from oracles.chain.keys import DEFAULT_SCRYPT_N, create_keystore, keystore_address, read_password


def _new(args: argparse.Namespace) -> int:
    password = read_password(password_file=args.password_file, confirm=True)
    address = create_keystore(args.out, password, scrypt_n=args.scrypt_n)
    print(address)
    return 0


def _show(args: argparse.Namespace) -> int:
    print(keystore_address(args.file))
    return 0


def add_commands(subparsers: Any) -> None:
    """Add the ``keys`` group (``keys new``, ``keys show``) to the CLI."""
    keys = subparsers.add_parser("keys", help="create and inspect encrypted keystores")
    sub = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)

    new = sub.add_parser("new", help="create a new key in an encrypted keystore")
    new.add_argument("--out", required=True, help="keystore file to write (must not exist)")
    new.add_argument(
        "--password-file",
        help="file holding the password (else $AGENTNET_PASSWORD, else a prompt)",
    )
    new.add_argument("--scrypt-n", type=int, default=DEFAULT_SCRYPT_N, help=argparse.SUPPRESS)
    new.set_defaults(func=_new)

    show = sub.add_parser("show", help="print the address of a keystore")
    show.add_argument("file", help="keystore file")
    show.set_defaults(func=_show)
