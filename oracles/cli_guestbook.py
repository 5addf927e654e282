"""``agentnet guestbook deploy|post|deliver|list|reclaim``: the example consumer contract.

A guestbook that publishes a post only when an agentnet committee classifies it as a
genuine message rather than spam (``contracts/consumer/examples/Guestbook.vy``; the
steps are in ``docs/consumers.md``). The work is in :mod:`oracles.guestbook` and
:meth:`oracles.client.Client.deliver`; this module parses arguments and prints.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

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
)
from oracles.errors import UsageError

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from oracles.client import Client
    from oracles.guestbook import Guestbook, Post

SUMMARY = "deploy and use the example guestbook whose posts the network screens for spam"
DESCRIPTION = (
    "A guestbook contract that publishes a post only when an agentnet committee "
    "classifies its text as a genuine message rather than spam (zero-shot, MiniLM). "
    "A post pays one task's fee; `post` waits for the verdict and delivers it to the "
    "contract. Step by step: docs/consumers.md."
)
DEFAULT_MODEL = "minilm-classification"


def _guestbook(args: argparse.Namespace) -> Guestbook:
    from oracles.guestbook import Guestbook

    _, chain_id = connect(args.rpc)
    return Guestbook.load(args.rpc, chain_id, Path(args.guestbook) if args.guestbook else None)


def _client(args: argparse.Namespace, account: LocalAccount) -> Client:
    from oracles.client import Client

    _, chain_id = connect(args.rpc)
    deployment = load_deployment(args.deployment, chain_id)
    return Client(args.rpc, deployment, account, timeout=args.timeout, help_after=10.0)


def _deploy(args: argparse.Namespace) -> int:
    from oracles.client.models import resolve_model
    from oracles.guestbook import Guestbook, deploy_guestbook

    model_id = resolve_model(args.model, "classification")
    if args.quorum > args.committee or args.quorum <= args.committee // 2:
        raise UsageError(
            f"--quorum {args.quorum} must be more than half of --committee {args.committee} "
            "and at most all of it"
        )
    _, chain_id = connect(args.rpc)
    deployment = load_deployment(args.deployment, chain_id)
    account = load_account(args.keystore, args.password_file)
    out = Path(args.out) if args.out else None
    path = deploy_guestbook(
        args.rpc, account, deployment, model_id, args.committee, args.quorum, out
    )
    book = Guestbook.load(args.rpc, chain_id, path)
    print(f"guestbook   {book.address}")
    print(f"model       0x{model_id.hex()} (committee {args.committee}, quorum {args.quorum})")
    print(f"post fee    {format_eth(book.task_fee())}")
    print(f"record      {path}")
    return 0


def _verdict(book: Guestbook, post: Post) -> str:
    if post.status == "published":
        return f"post {post.post_id} published: the committee found it a genuine message"
    if post.status == "rejected":
        return f"post {post.post_id} rejected: the committee did not find it a genuine message"
    if post.status == "refunded":
        return f"post {post.post_id}: its task failed and its fee was reclaimed"
    return f"post {post.post_id} is {post.status} (task {post.task_id})"


def _deliver_one(client: Client, book: Guestbook, post: Post, timeout: float | None) -> str:
    """Wait for the post's task, deliver its output, and say what became of the post."""
    from oracles.client import TaskFailed

    try:
        client.deliver(book.address, post.task_id, timeout=timeout)
    except TaskFailed:
        return (
            f"post {post.post_id}: task {post.task_id} failed (no quorum); take the fee "
            f"back with `agentnet guestbook reclaim {post.post_id}`"
        )
    return _verdict(book, book.get(post.post_id))


def _post(args: argparse.Namespace) -> int:
    from oracles.guestbook import check_text

    check_text(args.text)
    book = _guestbook(args)
    account = load_account(args.keystore, args.password_file)
    fee = parse_amount(args.fee) if args.fee else None
    post_id, task_id = book.post(account, args.text, fee)
    print(f"post {post_id} submitted: task {task_id}, fee {format_eth(book.fee_of(task_id))}")
    if args.no_wait:
        print(f"deliver its verdict later with `agentnet guestbook deliver {post_id}`")
        return 0
    print(f"waiting for the committee's verdict on task {task_id} ...", flush=True)
    with _client(args, account) as client:
        print(_deliver_one(client, book, book.get(post_id), args.timeout))
    return 0


def _deliver(args: argparse.Namespace) -> int:
    book = _guestbook(args)
    account = load_account(args.keystore, args.password_file)
    if args.post_id:
        posts = [book.get(post_id) for post_id in args.post_id]
    else:
        posts = [p for p in book.posts() if p.status == "pending"]
    if not posts:
        print("no pending posts")
        return 0
    with _client(args, account) as client:
        for post in posts:
            if post.status != "pending":
                print(_verdict(book, post))
                continue
            print(_deliver_one(client, book, post, args.timeout))
    return 0


def _list(args: argparse.Namespace) -> int:
    book = _guestbook(args)
    posts = book.posts(args.limit) if args.all else book.published()
    if not posts:
        print("no posts yet" if args.all else "no published posts yet")
        return 0
    for post in posts:
        status = f" [{post.status}]" if args.all else ""
        print(f"#{post.post_id} {post.poster}{status}: {post.text}")
    return 0


def _reclaim(args: argparse.Namespace) -> int:
    book = _guestbook(args)
    account = load_account(args.keystore, args.password_file)
    amount = book.reclaim(account, args.post_id)
    print(f"post {args.post_id}: {format_eth(amount)} sent back to {account.address}")
    return 0


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``guestbook`` group to the CLI."""
    group = subparsers.add_parser("guestbook", help=SUMMARY, description=DESCRIPTION)
    actions = group.add_subparsers(dest="guestbook_command", metavar="ACTION")
    group.set_defaults(func=print_help_and_fail(group))

    def action(name: str, help: str, signs: bool = True) -> argparse.ArgumentParser:
        parser = actions.add_parser(name, help=help)
        add_chain_args(parser)
        parser.add_argument(
            "--guestbook",
            metavar="FILE",
            help="guestbook record (default: .agentnet/guestbook-<chain_id>.json)",
        )
        if signs:
            parser.add_argument("--keystore", required=True, metavar="FILE", help="your keystore")
            add_password_args(parser)
        return parser

    deploy = action("deploy", "deploy a guestbook on the protocol of --deployment")
    deploy.add_argument("--model", default=DEFAULT_MODEL, help="classification model id or alias")
    deploy.add_argument("--committee", type=int_range(1, 16), default=3, help="seats per post")
    deploy.add_argument("--quorum", type=int_range(1, 16), default=2, help="seats that agree")
    deploy.add_argument("--out", metavar="FILE", help="where to write the record")
    deploy.set_defaults(func=_deploy)

    post = action("post", "post a message, wait for the verdict and deliver it")
    post.add_argument("text", help="1 to 280 bytes, without double quotes or backslashes")
    post.add_argument("--fee", help="task fee, e.g. 0.001ether (default: the guestbook's)")
    post.add_argument("--no-wait", action="store_true", help="post and return at once")
    post.add_argument("--timeout", type=float, default=300.0, help="seconds to wait")
    post.set_defaults(func=_post)

    deliver = action("deliver", "deliver the verdicts of pending posts (all, or those named)")
    deliver.add_argument("post_id", type=int_range(1), nargs="*", help="posts (default: all)")
    deliver.add_argument("--timeout", type=float, default=300.0, help="seconds to wait each")
    deliver.set_defaults(func=_deliver)

    listed = action("list", "the published posts (--all: every post with its status)", False)
    listed.add_argument("--all", action="store_true", help="every post, newest first")
    listed.add_argument("--limit", type=int_range(1), default=50, help="posts --all shows")
    listed.set_defaults(func=_list)

    reclaim = action("reclaim", "take back the fee of your post whose task failed")
    reclaim.add_argument("post_id", type=int_range(1))
    reclaim.set_defaults(func=_reclaim)
