"""``agentnet deploy``: deploy the protocol and write ``deployments/<chain_id>.json``."""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path
from typing import Any

from oracles.errors import UsageError


def _deploy(args: argparse.Namespace) -> int:
    from deployments.deploy import deploy
    from deployments.params import Params
    from oracles.chain.keys import load_keystore

    params = Params()
    if args.params:
        try:
            data = tomllib.loads(Path(args.params).read_text(encoding="utf-8"))
            params = Params.from_mapping(data)
        except (OSError, tomllib.TOMLDecodeError, ValueError) as exc:
            raise UsageError(f"cannot use parameters from {args.params}: {exc}") from exc
    account = load_keystore(args.keystore, password_file=args.password_file)
    result = deploy(
        args.rpc, account, params, Path(args.out) if args.out else None, force=args.force
    )
    if result.reused:
        print(f"{result.path}: already deployed on chain {result.record['chain_id']}, nothing sent")
    else:
        print(f"deployed on chain {result.record['chain_id']} at block {result.record['block']}")
    for name, entry in result.record["contracts"].items():
        print(f"  {name:<14} {entry['address']}")
    print(f"record: {result.path}")
    return 0


def add_commands(subparsers: Any) -> None:
    p = subparsers.add_parser("deploy", help="deploy the contracts and write the deployment record")
    p.add_argument("--rpc", required=True, metavar="URL", help="JSON-RPC URL")
    p.add_argument("--keystore", required=True, metavar="FILE", help="deployer (owner) keystore")
    p.add_argument("--password-file", metavar="FILE", help="keystore password file")
    p.add_argument(
        "--params", metavar="TOML", help="protocol parameters (see deployments/params.py)"
    )
    p.add_argument(
        "--out", metavar="DIR", help="where to write <chain_id>.json (default deployments/)"
    )
    p.add_argument("--force", action="store_true", help="deploy anew even if a record exists")
    p.set_defaults(func=_deploy)
