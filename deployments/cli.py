"""``agentnet deploy``: deploy the protocol and write ``deployments/<chain_id>.json``."""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path

from oracles.cli_common import add_password_args, connect, load_account
from oracles.errors import NotFound, UsageError


def _deploy(args: argparse.Namespace) -> int:
    from deployments.deploy import deploy
    from deployments.params import Params

    params = Params()
    if args.params:
        try:
            data = tomllib.loads(Path(args.params).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise NotFound(f"parameters file {args.params} does not exist") from None
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise UsageError(f"cannot read parameters from {args.params}: {exc}") from None
        try:
            params = Params.from_mapping(data)
        except ValueError as exc:
            raise UsageError(
                f"cannot use parameters from {args.params}: {exc} (see deployments/params.py)"
            ) from None
    account = load_account(args.keystore, args.password_file)
    connect([args.rpc])  # a clear error when no node answers, before anything is sent
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


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``deploy`` command to the CLI."""
    deploy = subparsers.add_parser(
        "deploy", help="deploy the contracts and write the deployment record"
    )
    deploy.add_argument("--rpc", required=True, metavar="URL", help="JSON-RPC URL")
    deploy.add_argument(
        "--keystore", required=True, metavar="FILE", help="deployer (owner) keystore"
    )
    add_password_args(deploy)
    deploy.add_argument(
        "--params", metavar="TOML", help="protocol parameters (see deployments/params.py)"
    )
    deploy.add_argument(
        "--out", metavar="DIR", help="where to write <chain_id>.json (default deployments/)"
    )
    deploy.add_argument("--force", action="store_true", help="deploy anew even if a record exists")
    deploy.set_defaults(func=_deploy)
