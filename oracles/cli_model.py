"""`agentnet model ...`: export, identify, try out and register model packages.

- ``model export SOURCE --kind KIND --out DIR [--quantize none|int8|int8-dynamic|int4] [--fp16]
  [--optimize O1|O2|O3]``: SOURCE is a preset (``minilm``, ``smollm2``) or a local
  Hugging Face folder. Needs the ``export`` extra (torch), imported only here.
- ``model id DIR``: verifies the package and prints its model id.
- ``model run DIR --input JSON|@FILE``: runs one task input and prints the
  canonical output bytes as hex, then decoded.
- ``model register DIR --rpc URL --keystore FILE``: registers the package's id,
  kind and manifest URI on chain (nothing is sent when it is already registered).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from oracles.cli_common import (
    Chain,
    add_chain_args,
    add_password_args,
    int_range,
    load_account,
    print_help_and_fail,
    read_input,
)
from oracles.errors import UsageError

KINDS = ("embedding", "classification", "generation")


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``model`` command group to the top-level CLI."""
    model = subparsers.add_parser("model", help="export, identify, run and register model packages")
    actions = model.add_subparsers(dest="model_command", metavar="ACTION")
    model.set_defaults(func=print_help_and_fail(model))

    export = actions.add_parser("export", help="export a model to a package")
    export.add_argument("source", help="preset (minilm, smollm2) or a Hugging Face folder")
    export.add_argument("--kind", required=True, choices=KINDS)
    export.add_argument("--out", required=True, type=Path, help="package folder to create")
    export.add_argument(
        "--quantize",
        choices=("none", "int8", "int8-dynamic", "int4"),
        default=None,
        help="default: the preset's choice (int8 for smollm2, none otherwise)",
    )
    export.add_argument("--fp16", action="store_true", help="float16 weights and compute")
    export.add_argument("--optimize", choices=("O1", "O2", "O3"), default=None)
    export.add_argument("--atol", type=float, default=None, help="parity tolerance vs PyTorch")
    export.set_defaults(func=cmd_export)

    identify = actions.add_parser("id", help="verify a package and print its model id")
    identify.add_argument("package", type=Path)
    identify.set_defaults(func=cmd_id)

    run = actions.add_parser("run", help="run one task input through a package")
    run.add_argument("package", type=Path)
    run.add_argument("--input", required=True, help="task input JSON, or @FILE")
    run.add_argument("--threads", type=int_range(1), default=None)
    run.add_argument("--provider", action="append", default=None, help="cpu, cuda, tensorrt")
    run.set_defaults(func=cmd_run)

    register = actions.add_parser("register", help="register a package's id and manifest on chain")
    register.add_argument("package", type=Path)
    add_chain_args(register)
    register.add_argument("--keystore", required=True, metavar="FILE", help="publisher keystore")
    add_password_args(register)
    register.add_argument(
        "--manifest-uri", help="where others can fetch the manifest (default: a file:// URI)"
    )
    register.set_defaults(func=cmd_register)
    from oracles.agreement.cli import add_agreement_command  # hook: model agreement

    add_agreement_command(actions)


def cmd_register(args: argparse.Namespace) -> int:
    """Register the package's model id with its kind and manifest URI (idempotent)."""
    from oracles.engine.compare import package_tolerance
    from oracles.package import load_package

    package = load_package(args.package)
    model_id = bytes.fromhex(package.model_id[2:])
    chain = Chain(args.rpc, args.deployment)
    info = chain.call("ModelRegistry", "modelInfo", model_id)
    status = int(info[2])
    if status == 1:
        print(f"{package.model_id} is already registered (kind {info[1]}), nothing sent")
        return 0
    if status == 2:
        raise UsageError(f"{package.model_id} was deprecated on this chain; export a new package")
    uri = args.manifest_uri or (args.package.resolve() / "manifest.json").as_uri()
    account = load_account(args.keystore, args.password_file)
    tolerance = package_tolerance(package.manifest)
    if tolerance:  # the manifest's agreement rule, so that a near miss can be proven
        receipt = chain.send(
            account,
            "ModelRegistry",
            "registerModelWithTolerance",
            model_id,
            package.kind_code,
            uri,
            tolerance,
        )
    else:
        receipt = chain.send(
            account, "ModelRegistry", "registerModel", model_id, package.kind_code, uri
        )
    rule = f", within {tolerance} int8 step(s)" if tolerance else ""
    print(f"registered {package.model_id} ({package.kind}{rule}) tx {receipt['transactionHash']}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Export and print the new package's model id."""
    try:
        from model_export.export import export
    except ImportError as exc:
        raise UsageError(f"model export needs the 'export' extra ({exc.name} missing)") from None
    model_id = export(
        args.source,
        args.kind,
        args.out,
        quantize=args.quantize,
        fp16=args.fp16,
        optimize=args.optimize,
        atol=args.atol,
    )
    print(model_id)
    return 0


def cmd_id(args: argparse.Namespace) -> int:
    """Print the verified model id of a package."""
    from oracles.package import load_package

    package = load_package(args.package)
    print(package.model_id)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Print the canonical output of one input as hex and as text."""
    from oracles.engine import Engine

    data = read_input(args.input)
    engine = Engine.load(args.package, threads=args.threads, providers=args.provider)
    output = engine.run(data)
    sys.stdout.write(f"model_id {engine.model_id}\n")
    sys.stdout.write(f"hex      {output.hex()}\n")
    sys.stdout.write(f"output   {output.decode('utf-8')}\n")
    return 0
