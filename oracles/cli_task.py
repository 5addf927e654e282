"""``agentnet task create|show|list``: the requester's commands."""

from __future__ import annotations

import argparse
import base64
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eth_utils.address import to_checksum_address

from oracles.cli_common import (
    Chain,
    add_chain_args,
    add_password_args,
    format_eth,
    int_range,
    load_account,
    parse_amount,
    print_help_and_fail,
    read_input,
)
from oracles.errors import NotFound, UsageError

if TYPE_CHECKING:
    from oracles.chain.abi import DecodedEvent

PHASES = {
    0: "unknown",
    1: "waiting for parents",
    2: "commit",
    3: "reveal",
    4: "ready to finalize",
    5: "succeeded",
    6: "failed",
}
ALIASES_FILE = Path(__file__).resolve().parent.parent / ".agentnet" / "models.json"


def resolve_model(name: str, kind: str | None = None) -> bytes:
    """A model id from 0x-hex, a package folder, or an alias the devnet recorded.

    With a ``kind``, the alias ``<name>-<kind>`` wins when it exists (``minilm`` with
    ``--labels`` means the MiniLM classification package).
    """
    text = name.strip()
    hex_part = text.removeprefix("0x")
    if len(hex_part) == 64:
        try:
            return bytes.fromhex(hex_part)
        except ValueError:
            pass
    if Path(text).is_dir():
        from oracles.package import load_package

        return bytes.fromhex(load_package(text).model_id[2:])
    aliases = _read_aliases()
    for alias in ([f"{text}-{kind}"] if kind else []) + [text]:
        if alias in aliases:
            return aliases[alias]
    raise NotFound(
        f"unknown model {name!r}: give a 0x model id, a package folder, or an alias "
        f"recorded by `agentnet devnet` in {ALIASES_FILE}"
    )


def _read_aliases() -> dict[str, bytes]:
    """The model aliases ``agentnet devnet`` recorded (none when it never ran)."""
    if not ALIASES_FILE.exists():
        return {}
    try:
        recorded = json.loads(ALIASES_FILE.read_text(encoding="utf-8"))
        return {
            str(alias): bytes.fromhex(str(model_id).removeprefix("0x"))
            for alias, model_id in recorded.items()
        }
    except (OSError, ValueError, AttributeError) as exc:
        raise UsageError(
            f"cannot read the model aliases in {ALIASES_FILE} ({exc}): "
            "run `agentnet devnet` again to rewrite it, or give a 0x model id"
        ) from None


def build_input(args: argparse.Namespace) -> bytes:
    """The task input bytes from ``--text`` (and ``--labels``), ``--prompt`` or ``--input``."""
    given = [value for value in (args.text, args.prompt, args.input) if value is not None]
    if len(given) != 1:
        raise UsageError("give exactly one of --text, --prompt or --input")
    if args.input is not None:
        # Sent as given: the network answers invalid JSON with a canonical error output.
        return read_input(args.input)
    if args.prompt is not None:
        data: dict[str, Any] = {"prompt": args.prompt, "max_new_tokens": args.max_new_tokens}
    else:
        data = {"text": args.text}
        if args.labels:
            data["labels"] = [label.strip() for label in args.labels.split(",") if label.strip()]
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def decode_output(output: bytes) -> str:
    """A human summary of canonical output bytes (any client can do this)."""
    try:
        data = json.loads(output)
    except ValueError:
        return repr(output)
    if not isinstance(data, dict):
        return output.decode()
    if "error" in data:
        return f"error: {data['error']}"
    if "label" in data:
        return f"label: {data['label']} (index {data.get('index')})"
    if "text" in data:
        return f"text: {data['text']!r} ({len(data.get('tokens', []))} tokens)"
    if "i8" in data:
        raw = base64.b64decode(data["i8"])
        values = [byte - 256 if byte > 127 else byte for byte in raw]
        head = ", ".join(f"{value / 127:+.3f}" for value in values[:6])
        return f"embedding: dim {data.get('dim')}, first values [{head}, ...]"
    return output.decode()


def _events(chain: Chain, task_id: int, event: str) -> list[DecodedEvent]:
    market = chain.deployment["TaskMarket"]
    topic = "0x" + task_id.to_bytes(32, "big").hex()
    return market.logs(chain.rpc, event, topic, from_block=chain.deployment.block)


def _create(args: argparse.Namespace) -> int:
    # What can be checked here is checked before the keystore and the chain.
    model_id = resolve_model(args.model, "classification" if args.labels else None)
    data = build_input(args)
    quorum = args.quorum if args.quorum is not None else args.committee // 2 + 1
    if quorum > args.committee:
        raise UsageError(f"--quorum {quorum} is larger than --committee {args.committee}")
    fee = parse_amount(args.fee) if args.fee else None
    account = load_account(args.keystore, args.password_file)
    chain = Chain(args.rpc, args.deployment)
    if fee is None:
        fee = int(chain.call("TaskMarket", "min_fee_per_agent")) * args.committee
    receipt = chain.send(
        account,
        "TaskMarket",
        "createTask",
        model_id,
        data,
        args.committee,
        quorum,
        args.parent or [],
        value=fee,
    )
    task_id = next(
        int(event.args["task_id"])
        for event in chain.deployment["TaskMarket"].receipt_events(receipt)
        if event.name == "TaskCreated"
    )
    print(f"task {task_id} created (fee {format_eth(fee)}), tx {receipt['transactionHash']}")
    if args.wait:
        deadline = time.time() + args.timeout
        while time.time() < deadline:
            phase = int(chain.call("TaskMarket", "taskPhase", task_id))
            if phase in (5, 6):
                break
            time.sleep(1)
        else:
            raise UsageError(f"task {task_id} not finalized after {args.timeout:.0f}s")
        _print_task(chain, task_id)
    return 0


def _print_task(chain: Chain, task_id: int) -> None:
    if int(chain.call("TaskMarket", "taskPhase", task_id)) == 0:
        raise NotFound(
            f"task {task_id} does not exist on chain {chain.chain_id}: "
            "see `agentnet task list` for the tasks there"
        )
    view = chain.call("TaskMarket", "getTask", task_id)
    (
        requester,
        model_id,
        fee,
        committee,
        quorum,
        parents,
        start,
        commit_end,
        reveal_end,
        committed,
        revealed,
        hashes,
        phase,
        result_hash,
    ) = view
    created = _events(chain, task_id, "TaskCreated")
    print(f"task         {task_id}")
    print(f"phase        {PHASES.get(int(phase), phase)}")
    print(f"requester    {to_checksum_address(requester)}")
    print(f"model        0x{bytes(model_id).hex()}")
    print(f"fee          {format_eth(fee)}")
    if created:
        print(f"input        {bytes(created[0].args['input']).decode('utf-8', 'replace')}")
    if parents:
        print(f"parents      {', '.join(str(parent) for parent in parents)}")
    print(f"quorum       {quorum} of {len(committee)}")
    if start:
        print(f"windows      commit until {commit_end}, reveal until {reveal_end}")
    for member, has_committed, has_revealed, revealed_hash in zip(
        committee, committed, revealed, hashes, strict=True
    ):
        if has_revealed:
            state = "revealed 0x" + bytes(revealed_hash).hex()[:16]
        else:
            state = "committed" if has_committed else "-"
        print(f"  member     {to_checksum_address(member)}  {state}")
    finals = _events(chain, task_id, "TaskFinalized")
    if finals:
        output = bytes(finals[-1].args["output"])
        if int(finals[-1].args["status"]) == 1:
            print(f"result       0x{bytes(result_hash).hex()}")
            print(f"output       {decode_output(output)}")
        else:
            print("output       none (no quorum, or a parent failed): fee refunded")


def _show(args: argparse.Namespace) -> int:
    _print_task(Chain(args.rpc, args.deployment), args.task_id)
    return 0


def _list(args: argparse.Namespace) -> int:
    chain = Chain(args.rpc, args.deployment)
    count = int(chain.call("TaskMarket", "task_count"))
    if count == 0:
        print("no tasks yet")
        return 0
    print(f"{'task':>6}  {'phase':<20} {'model':<18} {'fee':>22}  requester")
    for task_id in range(count, max(0, count - args.limit), -1):
        view = chain.call("TaskMarket", "getTask", task_id)
        model = "0x" + bytes(view[1]).hex()[:16]
        print(
            f"{task_id:>6}  {PHASES.get(int(view[12]), '?'):<20} {model:<18} "
            f"{format_eth(view[2]):>22}  {to_checksum_address(view[0])}"
        )
    return 0


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``task`` group (``task create``, ``task show``, ``task list``) to the CLI."""
    task = subparsers.add_parser("task", help="create and inspect tasks (requester)")
    actions = task.add_subparsers(dest="task_command", metavar="ACTION")
    task.set_defaults(func=print_help_and_fail(task))

    create = actions.add_parser("create", help="post a task with a fee")
    add_chain_args(create)
    create.add_argument("--keystore", required=True, metavar="FILE", help="requester keystore")
    add_password_args(create)
    create.add_argument("--model", required=True, help="0x model id, package folder or alias")
    create.add_argument("--text", help="text to embed or classify")
    create.add_argument("--labels", help="comma-separated labels (zero-shot classification)")
    create.add_argument("--prompt", help="prompt for text generation")
    create.add_argument("--max-new-tokens", type=int_range(1), default=32)
    create.add_argument("--input", help="raw task input JSON (or @FILE)")
    create.add_argument("--committee", type=int_range(1, 255), default=3)
    create.add_argument("--quorum", type=int_range(1, 255), help="default: a majority")
    create.add_argument("--fee", help="total fee, e.g. 0.001ether (default: the minimum)")
    create.add_argument("--parent", type=int_range(1), action="append", metavar="ID")
    create.add_argument("--wait", action="store_true", help="wait until finalized and show it")
    create.add_argument("--timeout", type=float, default=300.0, help="seconds --wait waits")
    create.set_defaults(func=_create)

    show = actions.add_parser("show", help="state, committee, commits, reveals and decoded output")
    add_chain_args(show)
    show.add_argument("task_id", type=int_range(1))
    show.set_defaults(func=_show)

    recent = actions.add_parser("list", help="the most recent tasks")
    add_chain_args(recent)
    recent.add_argument("--limit", type=int_range(1), default=20)
    recent.set_defaults(func=_list)
