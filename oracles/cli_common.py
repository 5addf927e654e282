"""Helpers shared by the CLI commands that talk to a chain."""

from __future__ import annotations

import argparse
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from oracles.errors import UsageError

_UNITS = {"wei": 0, "gwei": 9, "ether": 18, "eth": 18}
_AMOUNT = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*$")


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


class Chain:
    """A synchronous view of a deployment for CLI commands."""

    def __init__(self, urls: list[str], deployment_path: str | None) -> None:
        from oracles.chain.contracts import Deployment
        from oracles.chain.rpc import SyncRpcClient

        self.urls = urls
        self.rpc = SyncRpcClient(urls)
        self.chain_id = int(self.rpc.call("eth_chainId"), 16)
        if deployment_path is None:
            self.deployment = Deployment.load(chain_id=self.chain_id)
        else:
            self.deployment = Deployment.load(path=Path(deployment_path))
            if self.deployment.chain_id != self.chain_id:
                raise UsageError(
                    f"{deployment_path} is for chain {self.deployment.chain_id}, "
                    f"but the RPC serves chain {self.chain_id}"
                )

    def call(self, contract: str, function: str, *args: Any) -> Any:
        return self.deployment[contract].call(self.rpc, function, *args)

    def send(self, account: Any, contract: str, function: str, *args: Any, value: int = 0) -> Any:
        from oracles.chain.sender import send_sync

        c = self.deployment[contract]
        return send_sync(self.urls, account, c.address, c.encode(function, *args), value)
