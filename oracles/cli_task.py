"""``agentnet task create|show|list``: the requester's commands, thin over :mod:`oracles.client`.

The client resolves nothing twice: models through :mod:`oracles.client.models`, inputs
through :mod:`oracles.client.inputs`, the defaults of ``createTask`` (committee size,
quorum, fee) read from the chain by :meth:`~oracles.client.Client.submit`, waiting by
:meth:`~oracles.client.TaskHandle.wait`, outputs decoded by :mod:`oracles.client.outputs`.
This module parses arguments and prints.
"""

from __future__ import annotations

import argparse
import contextlib
from typing import TYPE_CHECKING, Any

from oracles.cli_common import (
    add_chain_args,
    add_password_args,
    connect,
    format_eth,
    int_range,
    load_account,
    load_deployment,
    parse_amount,
    print_help_and_fail,
    read_input,
)
from oracles.errors import UsageError
from oracles.protocol import Phase

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from oracles.client import Client, TaskHandle

PHASE_LABELS = {
    Phase.UNKNOWN: "unknown",
    Phase.WAITING: "waiting (for its draw block or its parents)",
    Phase.COMMIT: "commit",
    Phase.REVEAL: "reveal",
    Phase.READY: "ready to finalize",
    Phase.SUCCEEDED: "succeeded",
    Phase.FAILED: "failed",
}


def build_input(args: argparse.Namespace) -> bytes:
    """The task input bytes from ``--text`` (and ``--labels``), ``--prompt`` or ``--input``."""
    from oracles.client import inputs

    given = [value for value in (args.text, args.prompt, args.input) if value is not None]
    if len(given) != 1:
        raise UsageError("give exactly one of --text, --prompt or --input")
    if args.input is not None:
        # Sent as given: the network answers invalid JSON with a canonical error output.
        return inputs.encode_input(read_input(args.input))
    data: dict[str, Any]
    if args.prompt is not None:
        data = inputs.generation_input(args.prompt, args.max_new_tokens)
    elif args.labels:
        labels = [label.strip() for label in args.labels.split(",") if label.strip()]
        data = inputs.classification_input(args.text, labels)
    else:
        data = inputs.embedding_input(args.text)
    return inputs.encode_input(data)


def describe_output(output: bytes) -> str:
    """A one-line human summary of canonical output bytes."""
    from oracles.client import outputs
    from oracles.client.errors import BadOutput, InvalidInput

    try:
        data = outputs.parse_output(output)
        if "label" in data:
            index, label = outputs.decode_classification(output)
            return f"label: {label} (index {index})"
        if "text" in data:
            text = outputs.decode_generation(output)
            return f"text: {text!r} ({len(data.get('tokens', []))} tokens)"
        if "i8" in data:
            values = outputs.decode_embedding(output)
            head = ", ".join(f"{int(value) / 127:+.3f}" for value in values[:6])
            return f"embedding: dim {len(values)}, first values [{head}, ...]"
    except InvalidInput as exc:
        return f"error: {exc.code}"
    except BadOutput:
        return repr(output)
    return output.decode("utf-8", "replace")


def _client(args: argparse.Namespace, account: LocalAccount | None = None) -> Client:
    """A client of the deployment ``--rpc`` and ``--deployment`` name (checked here first)."""
    from oracles.client import Client

    _, chain_id = connect(args.rpc)
    return Client(args.rpc, load_deployment(args.deployment, chain_id), account)


def _task(client: Client, task_id: int) -> TaskHandle:
    from oracles.client import UnknownTask

    try:
        return client.task(task_id)
    except UnknownTask as exc:
        raise UnknownTask(f"{exc}: see `agentnet task list` for the tasks there") from None


def _create(args: argparse.Namespace) -> int:
    from oracles.client import TaskFailed
    from oracles.client.models import resolve_model

    # What can be checked here is checked before the keystore and the chain.
    model_id = resolve_model(args.model, "classification" if args.labels else None)
    data = build_input(args)
    if args.quorum is not None and args.committee is not None and args.quorum > args.committee:
        raise UsageError(f"--quorum {args.quorum} is larger than --committee {args.committee}")
    fee = parse_amount(args.fee) if args.fee else None
    account = load_account(args.keystore, args.password_file)
    with _client(args, account) as client:
        handle = client.submit(model_id, data, args.committee, args.quorum, fee, args.parent or ())
        info = handle.info()
        print(f"task {handle.task_id} created (fee {format_eth(info.fee)}), tx {info.tx_hash}")
        if args.wait:
            with contextlib.suppress(TaskFailed):  # shown below, with the rest of the task
                handle.wait(args.timeout)
            _print_task(handle)
    return 0


def _print_task(handle: TaskHandle) -> None:
    from eth_utils import keccak

    from oracles.client import TaskFailed, TaskNotFinished

    info = handle.info()
    committee = handle.committee()
    size = info.committee_size if info.committee_size is not None else committee.seats
    print(f"task         {info.task_id}")
    print(f"phase        {PHASE_LABELS[info.phase]}")
    print(f"requester    {info.requester}")
    print(f"model        0x{info.model_id.hex()}")
    print(f"fee          {format_eth(info.fee)}")
    print(f"input        {info.input.decode('utf-8', 'replace')}")
    if info.parents:
        print(f"parents      {', '.join(str(parent) for parent in info.parents)}")
    print(f"quorum       {info.quorum} of {size}")
    if info.draw_block is not None:
        later = " (or the block after its last parent's end)" if info.parents else ""
        print(f"draw block   {info.draw_block}{later}")
    if committee.commit_end is not None:
        print(
            f"windows      commit until {committee.commit_end}, reveal until {committee.reveal_end}"
        )
    for member in committee.members:
        if member.result_hash is not None:
            state = "revealed 0x" + member.result_hash.hex()[:16]
        else:
            state = "committed" if member.committed else "-"
        seats = f" ({member.seats} seats)" if member.seats > 1 else ""
        print(f"  member     {member.agent}  {state}{seats}")
    if not info.phase.final:
        return
    try:
        output = handle.output()
    except TaskFailed as exc:
        why = (
            f"parent task(s) {', '.join(map(str, exc.failed_parents))} failed"
            if exc.failed_parents
            else "no quorum"
        )
        print(f"output       none ({why}): fee refunded")
    except TaskNotFinished:
        pass  # the node has not indexed its TaskFinalized event yet
    else:
        print(f"result       0x{keccak(output).hex()}")
        print(f"output       {describe_output(output)}")


def _show(args: argparse.Namespace) -> int:
    with _client(args) as client:
        _print_task(_task(client, args.task_id))
    return 0


def _list(args: argparse.Namespace) -> int:
    with _client(args) as client:
        count = client.task_count()
        if count == 0:
            print("no tasks yet")
            return 0
        print(f"{'task':>6}  {'phase':<20} {'model':<18} {'fee':>22}  requester")
        for task_id in range(count, max(0, count - args.limit), -1):
            info = client.task(task_id).info()
            model = "0x" + info.model_id.hex()[:16]
            print(
                f"{task_id:>6}  {PHASE_LABELS[info.phase]:<20} {model:<18} "
                f"{format_eth(info.fee):>22}  {info.requester}"
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
    create.add_argument(
        "--committee", type=int_range(1, 255), help="seats (default: min(3, eligible agents))"
    )
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
