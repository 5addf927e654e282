"""What the CLI commands share: argument types and checks, keystores, and a chain connection.

Every check here turns a user's mistake into an :class:`~oracles.errors.AgentnetError`
with one line that says what to do, at the point where the mistake is found.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from oracles.errors import NotFound, UsageError

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from oracles.chain.contracts import Deployment
    from oracles.chain.rpc import SyncRpcClient

_UNITS = {"wei": 0, "gwei": 9, "ether": 18, "eth": 18}
_AMOUNT = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*$")
_PASSWORD_HINT = "check --password-file or $AGENTNET_PASSWORD"


# ---------------------------------------------------------------- values


def parse_amount(text: str) -> int:
    """'1ether', '0.5 eth', '100gwei', '12345' (wei) -> wei."""
    match = _AMOUNT.match(text)
    if not match:
        raise UsageError(f"cannot read amount {text!r}: use e.g. 1ether, 0.5eth, 100gwei or wei")
    number, unit = match.group(1), (match.group(2) or "wei").lower()
    if unit not in _UNITS:
        raise UsageError(f"unknown unit {unit!r} in {text!r}: use wei, gwei or ether")
    try:
        wei = Decimal(number) * (Decimal(10) ** _UNITS[unit])
    except InvalidOperation as exc:
        raise UsageError(f"cannot read amount {text!r}") from exc
    if wei != wei.to_integral_value():
        raise UsageError(f"{text!r} is not a whole number of wei")
    return int(wei)


def format_eth(wei: int) -> str:
    return f"{Decimal(wei) / Decimal(10**18):f} ETH"


def int_range(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse ``type``: a whole number from ``low`` (to ``high``), else a usage error."""
    wanted = f"from {low} to {high}" if high is not None else f"of at least {low}"

    def parse(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if number < low or (high is not None and number > high):
            raise argparse.ArgumentTypeError(f"give a whole number {wanted}, not {number}")
        return number

    return parse


def address(text: str) -> str:
    """An argparse ``type``: a 0x account address, checksummed."""
    from eth_utils.address import is_address, to_checksum_address

    if not is_address(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not an address (0x and 40 hex digits)")
    return str(to_checksum_address(text))


def read_input(spec: str) -> bytes:
    """The task input bytes: the argument itself, or a file's bytes for ``@FILE``."""
    if not spec.startswith("@"):
        return spec.encode("utf-8", errors="surrogateescape")
    path = Path(spec[1:])
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"input file {path} does not exist: give an existing @FILE") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read input ({exc.strerror})") from None


def print_help_and_fail(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    """A command function for a group given without an action: its help, status 2."""

    def show(args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return 2

    return show


# ---------------------------------------------------------------- keystores


def load_account(path: str, password_file: str | None) -> LocalAccount:
    """Decrypt the keystore at ``path`` (password as :func:`read_password` finds it)."""
    from oracles.chain.errors import WrongPassword
    from oracles.chain.keys import load_keystore

    _check_keystore_exists(path)
    try:
        return load_keystore(path, password_file=password_file)
    except WrongPassword as exc:
        raise WrongPassword(f"{exc}: {_PASSWORD_HINT}") from None


def keystore_address_of(path: str) -> str:
    """The address a keystore file declares, without its password."""
    from oracles.chain.keys import keystore_address

    _check_keystore_exists(path)
    return keystore_address(path)


def _check_keystore_exists(path: str) -> None:
    from oracles.chain.errors import KeystoreError

    if not Path(path).exists():
        raise KeystoreError(
            f"keystore {path} does not exist: check the path, "
            f"or create one with `agentnet keys new --out {path}`"
        )


# ---------------------------------------------------------------- chain


def add_chain_args(parser: argparse.ArgumentParser, deployment: bool = True) -> None:
    parser.add_argument(
        "--rpc",
        action="append",
        required=True,
        metavar="URL",
        help="JSON-RPC URL (repeat for failover)",
    )
    if deployment:
        parser.add_argument(
            "--deployment",
            metavar="FILE",
            help="deployment record (default: deployments/<chain_id>.json)",
        )


def add_password_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-file",
        metavar="FILE",
        help="file holding the keystore password (else $AGENTNET_PASSWORD, else a prompt)",
    )


def connect(urls: Sequence[str]) -> tuple[SyncRpcClient, int]:
    """A client for ``urls`` and the chain id they serve; a clear error when none answers."""
    from oracles.chain.errors import RpcUnavailable
    from oracles.chain.rpc import SyncRpcClient

    if not urls:
        raise UsageError("no RPC URL: give --rpc URL")
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise UsageError(f"RPC URL {url!r} is not an http(s) URL: give e.g. http://host:8545")
    rpc = SyncRpcClient(list(urls))
    try:
        chain_id = int(rpc.call("eth_chainId"), 16)
    except RpcUnavailable as exc:
        raise RpcUnavailable(
            f"no JSON-RPC node answers at {', '.join(urls)}: check --rpc and that the node "
            f"is running ({exc})"
        ) from None
    return rpc, chain_id


def load_deployment(path: str | Path | None, chain_id: int) -> Deployment:
    """The deployment record at ``path`` (default ``deployments/<chain_id>.json``) for the chain.

    Raises :class:`NotFound` when there is no record and :class:`UsageError` when it
    cannot be read or is for another chain.
    """
    from oracles.chain.contracts import DEPLOYMENTS_DIR, Deployment
    from oracles.chain.errors import ChainError

    record = Path(path) if path is not None else DEPLOYMENTS_DIR / f"{chain_id}.json"
    if not record.is_file():
        raise NotFound(
            f"no deployment record at {record}: deploy with `agentnet deploy` "
            "or give --deployment FILE"
        )
    try:
        deployment = Deployment.load(path=record)
    except ChainError as exc:
        raise UsageError(
            f"{record} is not a usable deployment record ({exc}): "
            "give the file `agentnet deploy` wrote"
        ) from None
    if deployment.chain_id != chain_id:
        raise UsageError(
            f"{record} is for chain {deployment.chain_id}, but the RPC serves chain {chain_id}: "
            "give the record of this chain with --deployment FILE"
        )
    return deployment


class Chain:
    """A synchronous view of a deployment for CLI commands."""

    def __init__(self, urls: list[str], deployment_path: str | Path | None) -> None:
        self.urls = urls
        self.rpc, self.chain_id = connect(urls)
        self.deployment = load_deployment(deployment_path, self.chain_id)

    def call(self, contract: str, function: str, *args: Any) -> Any:
        """``eth_call`` a view function of a deployed contract; the decoded result."""
        return self.deployment[contract].call(self.rpc, function, *args)

    def send(
        self, account: LocalAccount, contract: str, function: str, *args: Any, value: int = 0
    ) -> dict[str, Any]:
        """Send a transaction to a deployed contract from ``account``; its receipt."""
        from oracles.chain.sender import send_sync

        target = self.deployment[contract]
        return send_sync(self.urls, account, target.address, target.encode(function, *args), value)
