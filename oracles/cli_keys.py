"""``agentnet keys``: create and inspect encrypted keystores.

Only addresses are printed; never a key or a password.
"""

from __future__ import annotations

import argparse

from oracles.cli_common import (
    add_password_args,
    int_range,
    keystore_address_of,
    print_help_and_fail,
)


def _new(args: argparse.Namespace) -> int:
    from oracles.chain.keys import DEFAULT_SCRYPT_N, create_keystore, read_password

    password = read_password(password_file=args.password_file, confirm=True)
    address = create_keystore(args.out, password, scrypt_n=args.scrypt_n or DEFAULT_SCRYPT_N)
    print(address)
    return 0


def _show(args: argparse.Namespace) -> int:
    print(keystore_address_of(args.file))
    return 0


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``keys`` group (``keys new``, ``keys show``) to the CLI."""
    keys = subparsers.add_parser("keys", help="create and inspect encrypted keystores")
    actions = keys.add_subparsers(dest="keys_command", metavar="ACTION")
    keys.set_defaults(func=print_help_and_fail(keys))

    new = actions.add_parser("new", help="create a new key in an encrypted keystore")
    new.add_argument("--out", required=True, help="keystore file to write (must not exist)")
    add_password_args(new)
    # scrypt cost for test keys only (a power of two; default 2**18)
    new.add_argument("--scrypt-n", type=int_range(2), default=None, help=argparse.SUPPRESS)
    new.set_defaults(func=_new)

    show = actions.add_parser("show", help="print the address of a keystore")
    show.add_argument("file", help="keystore file")
    show.set_defaults(func=_show)
