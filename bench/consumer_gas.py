"""Gas of consuming agentnet results on chain: the guestbook example and the helpers.

Measured on titanoboa's in-process EVM as bench/gas.py does (:mod:`deployments.boa_gas`):
21,000 + calldata + execution with cold accounts and slots and reset original values,
less the refund (capped at a fifth). Steady state: the guestbooks, the market and the
agents have seen earlier posts and tasks. Committee of 3 seats, quorum 2; the agents'
share is measured for three distinct members, committing and revealing directly or
through a relayer's batches of signed messages.

- the guestbook's ``post`` against a bare ``createTask`` of the same input from an
  account, and ``deliver`` of a published and of a rejected verdict, in Vyper (the
  consumer module) and Solidity (``AgentnetConsumer``);
- the consumer module alone (``tests/consumer/contracts/ConsumerHarness.vy``);
- the canonical-output readers, as a harness call less a call that only reads the
  same argument.

    python bench/consumer_gas.py          # tables
    python bench/consumer_gas.py --json   # one JSON object
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import boa  # noqa: E402
import numpy as np  # noqa: E402
from eth_utils import keccak  # noqa: E402

from deployments.boa_chain import mine  # noqa: E402
from deployments.boa_gas import measure  # noqa: E402
from oracles.engine.canonical import classification_bytes, embedding_bytes  # noqa: E402
from oracles.protocol import commitment, sign_commit, sign_reveal  # noqa: E402
from tests.consumer.evm import (  # noqa: E402
    ETHER,
    GENUINE,
    SPAM,
    Chain,
    deploy_harness,
    deploy_solidity,
    deploy_solidity_guestbook,
    deploy_vyper_guestbook,
    guestbook_input,
    new_chain,
)

TEXT = "Thanks for a lovely evening, the food was wonderful!"  # 52 bytes
LONG_TEXT = "x" * 280
CHAINLINK = 286_243 + 334_643  # Chainlink Functions sendRequest + fulfill
INFERNET = 352_544  # Ritual Infernet create + deliver (1 unverified response)

RELAYER = "0x" + "4e" * 20  # sends the batches of signed commits and reveals
Gas = dict[str, int]


def life(chain: Chain, task_id: int, output: bytes, batched: bool = False) -> int:
    """The committee's share: the first commit activates the task; every member commits
    and reveals (directly, or through a relayer's one batch of signed commits and one of
    reveals); one member finalizes. Total gas of those transactions."""
    mine(2)  # the draw block is mined: the committee is known
    market = chain.market
    members = list(dict.fromkeys(str(a) for a in market.previewCommittee(task_id)))
    result = keccak(output)
    salts = {m: os.urandom(32) for m in members}
    commits = {m: commitment(task_id, m, result, salts[m]) for m in members}
    gas = 0
    if batched:
        chain_id, address = boa.env.evm.patch.chain_id, str(market.address)
        signers = [chain.signers[m] for m in members]
        gas += measure(
            market.commitBatch,
            [task_id] * len(members),
            members,
            [commits[m] for m in members],
            [
                sign_commit(k, chain_id, address, task_id, m, commits[m])
                for k, m in zip(signers, members, strict=True)
            ],
            sender=RELAYER,
        )[1]
        gas += measure(
            market.revealBatch,
            [task_id] * len(members),
            members,
            [result] * len(members),
            [salts[m] for m in members],
            [
                sign_reveal(k, chain_id, address, task_id, m, result, salts[m])
                for k, m in zip(signers, members, strict=True)
            ],
            sender=RELAYER,
        )[1]
    else:
        for m in members:
            gas += measure(market.commit, task_id, commits[m], sender=m)[1]
        for m in members:
            gas += measure(market.reveal, task_id, result, salts[m], sender=m)[1]
    gas += measure(market.finalize, task_id, output, sender=members[0])[1]
    return gas


def agents_life(chain: Chain, poster: str, fee: int, batched: bool) -> int:
    """The committee's share for a committee of three distinct members (a draw may seat
    an agent twice, which costs less): tasks are posted until one draws three."""
    for _ in range(50):
        task_id = chain.market.createTask(
            chain.model_id, guestbook_input(TEXT), 3, 2, [], sender=poster, value=fee
        )
        mine(2)
        if len(set(chain.market.previewCommittee(task_id))) == 3:
            return life(chain, task_id, GENUINE, batched)
        life(chain, task_id, GENUINE)
    raise RuntimeError("no committee of three distinct members in 50 draws")


def failed(chain: Chain, task_id: int) -> None:
    """Nobody answers: the task fails after its windows (not measured)."""
    chain.fail(task_id)


def guestbook_figures(chain: Chain, book: Any, poster: str) -> Gas:
    fee = book.taskFee()
    gas: Gas = {}

    def post(text: str) -> tuple[int, int]:
        post_id, g = measure(book.post, text, sender=poster, value=fee)
        return int(post_id), g

    # Warm up: counters and the published list are not zero any more.
    for output in (GENUINE, SPAM):
        post_id, _ = post(TEXT)
        task_id = int(book.posts(post_id).task_id)
        life(chain, task_id, output)
        book.deliver(task_id, output)

    task_id, gas["createTask (same input, from an account)"] = measure(
        chain.market.createTask,
        chain.model_id,
        guestbook_input(TEXT),
        3,
        2,
        [],
        sender=poster,
        value=fee,
    )
    life(chain, task_id, GENUINE)
    gas["agents: commits + reveals + finalize"] = agents_life(chain, poster, fee, False)
    gas["agents: relayed batches + finalize"] = agents_life(chain, poster, fee, True)
    post_id, gas["post (52-byte text)"] = post(TEXT)
    gas["post (280-byte text)"] = post(LONG_TEXT)[1]
    task_id = int(book.posts(post_id).task_id)
    life(chain, task_id, GENUINE)
    gas["deliver, published"] = measure(book.deliver, task_id, GENUINE, sender=poster)[1]
    post_id, _ = post(TEXT)
    task_id = int(book.posts(post_id).task_id)
    life(chain, task_id, SPAM)
    gas["deliver, rejected"] = measure(book.deliver, task_id, SPAM, sender=poster)[1]
    post_id, _ = post(TEXT)
    failed(chain, int(book.posts(post_id).task_id))
    gas["reclaim (failed task)"] = measure(book.reclaim, post_id, sender=poster)[1]
    return gas


def module_figures(chain: Chain, poster: str) -> Gas:
    """The consumer module alone: what any contract adds to createTask and pays to accept."""
    harness = deploy_harness("ConsumerHarness", chain.market.address, 3, 2)
    fee = harness.taskFee()
    data = guestbook_input(TEXT)
    for _ in range(2):  # warm up
        with boa.env.prank(poster):
            harness.post(chain.model_id, data, fee, 1, value=fee)
    bare = measure(
        chain.market.createTask, chain.model_id, data, 3, 2, [], sender=poster, value=fee
    )[1]
    task_id, posted = measure(harness.post, chain.model_id, data, fee, 7, sender=poster, value=fee)
    life(chain, task_id, GENUINE)
    accepted = measure(harness.accept, task_id, GENUINE, sender=poster)[1]
    return {
        "_post over createTask": posted - bare,
        "_accept (the deliver transaction, 50-byte output)": accepted,
    }


def canonical_figures(harness: Any) -> Gas:
    embedding = embedding_bytes(np.arange(384).astype(np.uint8).view(np.int8))
    classification = classification_bytes(1, "a genuine guestbook message")
    cases: dict[str, tuple[Callable[..., Any], bytes]] = {
        "classification index (50 bytes)": (harness.classificationIndex, classification),
        "is error (20 bytes)": (harness.isError, b'{"error":"too_long"}'),
        "384-d int8 embedding (531 bytes)": (harness.embeddingI8, embedding),
        "json-safe text (52 bytes)": (harness.jsonSafe, TEXT.encode()),
        "json-safe text (280 bytes)": (harness.jsonSafe, LONG_TEXT.encode()),
        "json-safe text (4,096 bytes)": (harness.jsonSafe, b"x" * 4_096),
    }
    sender = str(boa.env.generate_address())
    out: Gas = {}
    for name, (fn, data) in cases.items():
        baseline = measure(harness.length, data, sender=sender)[1]
        out[name] = measure(fn, data, sender=sender)[1] - baseline
    return out


def run() -> dict[str, Any]:
    chain = new_chain()
    poster = str(boa.env.generate_address())
    boa.env.set_balance(poster, 1_000 * ETHER)
    books = {"vyper": deploy_vyper_guestbook(chain), "solidity": deploy_solidity_guestbook(chain)}
    guestbook = {name: guestbook_figures(chain, book, poster) for name, book in books.items()}
    for gas in guestbook.values():
        gas["post over createTask (consumer + guestbook)"] = (
            gas["post (52-byte text)"] - gas["createTask (same input, from an account)"]
        )
        gas["dApp side: post + deliver"] = gas["post (52-byte text)"] + gas["deliver, published"]
        gas["whole life: post + agents (batched) + deliver"] = (
            gas["dApp side: post + deliver"] + gas["agents: relayed batches + finalize"]
        )
    canonical = {
        "vyper": canonical_figures(deploy_harness("CanonicalHarness")),
        "solidity": canonical_figures(deploy_solidity("CanonicalHarness", [], [])),
    }
    return {
        "guestbook": guestbook,
        "module": module_figures(chain, poster),
        "canonical": canonical,
        "references": {
            "Chainlink Functions sendRequest + fulfill": CHAINLINK,
            "Ritual Infernet create + deliver (1 unverified response)": INFERNET,
        },
    }


def table(title: str, rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [title, ""]
    lines.append("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render(figures: dict[str, Any]) -> str:
    vy, sol = figures["guestbook"]["vyper"], figures["guestbook"]["solidity"]
    out = [
        table(
            "Guestbook (committee 3, quorum 2)",
            [(k, f"{vy[k]:,}", f"{sol[k]:,}") for k in vy],
            ("step", "Vyper", "Solidity"),
        )
    ]
    refs = figures["references"]
    compare = [
        ("agentnet guestbook, post + deliver (Vyper)", vy["dApp side: post + deliver"]),
        ("agentnet guestbook, post + deliver (Solidity)", sol["dApp side: post + deliver"]),
        (
            "agentnet, whole life, 3 agents batched (Vyper)",
            vy["whole life: post + agents (batched) + deliver"],
        ),
        *refs.items(),
    ]
    out.append(
        table("Against published figures", [(k, f"{v:,}") for k, v in compare], ("system", "gas"))
    )
    out.append(
        table(
            "Consumer module alone",
            [(k, f"{v:,}") for k, v in figures["module"].items()],
            ("part", "gas"),
        )
    )
    cv, cs = figures["canonical"]["vyper"], figures["canonical"]["solidity"]
    out.append(
        table(
            "Canonical readers (call less a call that reads the same argument)",
            [(k, f"{cv[k]:,}", f"{cs[k]:,}") for k in cv],
            ("reader", "canonical.vy", "AgentnetCanonical.sol"),
        )
    )
    return "\n\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    figures = run()
    print(json.dumps(figures, indent=2) if args.json else render(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
