"""The example Guestbook contract from Python: compile, deploy, post, read, deliver, reclaim.

``contracts/consumer/examples/Guestbook.vy`` publishes a post only when an agentnet
committee classifies its text as "a genuine guestbook message" rather than "spam". Its
deployment is recorded beside the protocol's, in ``.agentnet/guestbook-<chain_id>.json``
(``{"chain_id", "block", "address", "abi", "model_id", "market"}``). Used by
``agentnet guestbook`` (:mod:`oracles.cli_guestbook`) and by the tests, so that both run
the same deploy path. The Solidity twin (``contracts/solidity/examples/Guestbook.sol``)
has the same ABI: a :class:`Guestbook` drives either.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_abi import encode
from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address

from oracles.chain.contracts import Contract, Deployment
from oracles.chain.rpc import SyncRpcClient
from oracles.chain.sender import send_sync
from oracles.errors import NotFound, UsageError

ROOT = Path(__file__).resolve().parents[1]
CONSUMER_DIR = ROOT / "contracts" / "consumer"
SOURCE = CONSUMER_DIR / "examples" / "Guestbook.vy"
STATE_DIR = ROOT / ".agentnet"
CACHE_DIR = STATE_DIR / "artifacts"
KIND_CLASSIFICATION = 1
STATUS = {0: "unknown", 1: "pending", 2: "published", 3: "rejected", 4: "refunded"}
MAX_TEXT = 280
UNSAFE = frozenset(b'"\\') | frozenset(range(32))


class GuestbookError(UsageError):
    """The guestbook cannot do what was asked (no record, no contract, bad text)."""


@dataclass(frozen=True)
class Post:
    post_id: int
    poster: str
    task_id: int
    status: str
    text: str


@functools.cache
def compile_guestbook() -> tuple[list[dict[str, Any]], bytes]:
    """ABI and creation code of Guestbook.vy, cached by the sources and the compiler."""
    import vyper

    h = hashlib.sha256(f"vyper {vyper.__version__}".encode())
    for path in sorted(CONSUMER_DIR.rglob("*.vy*")):
        h.update(str(path.relative_to(CONSUMER_DIR)).encode() + b"\0" + path.read_bytes())
    cache = CACHE_DIR / f"guestbook-{h.hexdigest()[:24]}.json"
    if cache.exists():
        data = json.loads(cache.read_text())
        return list(data["abi"]), bytes.fromhex(data["bytecode"])
    from vyper.cli.vyper_compile import compile_files

    out = compile_files([SOURCE], ("abi", "bytecode"), paths=[str(ROOT / "contracts")])
    entry = next(iter(out.values()))
    abi, bytecode = list(entry["abi"]), bytes.fromhex(entry["bytecode"].removeprefix("0x"))
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".tmp")
    tmp.write_text(json.dumps({"abi": abi, "bytecode": bytecode.hex()}))
    tmp.replace(cache)
    return abi, bytecode


def record_path(chain_id: int) -> Path:
    """Where the guestbook of a chain is recorded by default."""
    return STATE_DIR / f"guestbook-{chain_id}.json"


def check_text(text: str) -> bytes:
    """The post's bytes; a one-line error for text the contract would refuse."""
    raw = text.encode("utf-8")
    if not raw:
        raise GuestbookError("the text is empty: write something")
    if len(raw) > MAX_TEXT:
        raise GuestbookError(f"the text is {len(raw)} bytes: at most {MAX_TEXT} fit")
    if UNSAFE.intersection(raw):
        raise GuestbookError(
            "the text holds a double quote, a backslash or a control character "
            "(it goes into the task's JSON input unescaped): leave them out"
        )
    return raw


def deploy_guestbook(
    urls: str | list[str],
    account: LocalAccount,
    deployment: Deployment,
    model_id: bytes,
    committee_size: int = 3,
    quorum: int = 2,
    out: Path | None = None,
) -> Path:
    """Deploy a guestbook on the protocol of ``deployment``; write and return its record."""
    rpc = SyncRpcClient(urls)
    registry = deployment["ModelRegistry"]
    info = registry.call(rpc, "modelInfo", model_id)
    if int(info[1]) != KIND_CLASSIFICATION or not registry.call(rpc, "isActive", model_id):
        raise GuestbookError(
            f"model 0x{model_id.hex()} is not an active classification model: "
            "give one with --model (e.g. minilm-classification on the devnet)"
        )
    abi, bytecode = compile_guestbook()
    market = deployment["TaskMarket"].address
    args = encode(
        ["address", "bytes32", "uint8", "uint8"], [market, model_id, committee_size, quorum]
    )
    receipt = send_sync(urls, account, None, bytecode + args)
    record = {
        "chain_id": deployment.chain_id,
        "block": int(receipt["blockNumber"], 16),
        "address": receipt["contractAddress"],
        "abi": abi,
        "model_id": "0x" + model_id.hex(),
        "market": market,
    }
    path = out or record_path(deployment.chain_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2) + "\n")
    return path


def _post(view: Any) -> Post:
    """A ``Post`` struct as ``eth_call`` decodes it."""
    post_id, poster, task_id, status, text = view
    poster = to_checksum_address(poster)
    return Post(int(post_id), poster, int(task_id), STATUS[int(status)], str(text))


class Guestbook:
    """A deployed guestbook (Vyper or Solidity): reads by ``eth_call``, writes signed."""

    def __init__(self, urls: str | list[str], contract: Contract, block: int = 0) -> None:
        self.urls = urls
        self.rpc = SyncRpcClient(urls)
        self.contract = contract
        self.block = block

    @classmethod
    def load(cls, urls: str | list[str], chain_id: int, path: Path | None = None) -> Guestbook:
        """The guestbook recorded at ``path`` (default: this chain's record), checked live."""
        path = path or record_path(chain_id)
        if not path.is_file():
            raise NotFound(
                f"no guestbook record at {path}: deploy one with `agentnet guestbook deploy`"
            )
        try:
            record = json.loads(path.read_text())
            contract = Contract("Guestbook", str(record["address"]), list(record["abi"]))
            recorded_chain, block = int(record["chain_id"]), int(record.get("block", 0))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise GuestbookError(f"{path} is not a guestbook record ({exc})") from None
        if recorded_chain != chain_id:
            raise GuestbookError(f"{path} is for chain {recorded_chain}, not {chain_id}")
        book = cls(urls, contract, block)
        if book.rpc.call("eth_getCode", [contract.address, "latest"]) in ("0x", None):
            raise NotFound(
                f"no contract at {contract.address} (a restarted devnet?): "
                "deploy again with `agentnet guestbook deploy`"
            )
        return book

    @property
    def address(self) -> str:
        return self.contract.address

    def call(self, function: str, *args: Any) -> Any:
        return self.contract.call(self.rpc, function, *args)

    def send(self, account: LocalAccount, function: str, *args: Any, value: int = 0) -> Any:
        """Simulate and send; a refusal raises ``SimulationReverted`` with the reason."""
        data = self.contract.encode(function, *args)
        return send_sync(self.urls, account, self.address, data, value)

    # --- reads -------------------------------------------------------------------------
    def task_fee(self) -> int:
        return int(self.call("taskFee"))

    def fee_of(self, task_id: int) -> int:
        """The fee the guestbook paid for a task (``requestOf``)."""
        return int(self.call("requestOf", task_id)[1])

    def post_count(self) -> int:
        return int(self.call("post_count"))

    def published_count(self) -> int:
        return int(self.call("published_count"))

    def get(self, post_id: int) -> Post:
        return _post(self.call("posts", post_id))

    def posts(self, limit: int | None = None) -> list[Post]:
        """Every post (the last ``limit``), newest first."""
        count = self.post_count()
        first = 1 if limit is None else max(1, count - limit + 1)
        return [self.get(post_id) for post_id in range(count, first - 1, -1)]

    def published(self) -> list[Post]:
        """The published posts, oldest first."""
        out: list[Post] = []
        total = self.published_count()
        while len(out) < total:
            page = self.call("publishedPage", len(out), 20)
            if not page:
                break
            out.extend(_post(p) for p in page)
        return out

    # --- writes ------------------------------------------------------------------------
    def post(self, account: LocalAccount, text: str, fee: int | None = None) -> tuple[int, int]:
        """Post ``text`` paying ``fee`` (default: ``taskFee()``); (post id, task id)."""
        check_text(text)
        receipt = self.send(account, "post", text, value=self.task_fee() if fee is None else fee)
        events = [e for e in self.contract.receipt_events(receipt) if e.name == "PostSubmitted"]
        if not events:
            raise GuestbookError(f"post in {receipt['transactionHash']} emitted no PostSubmitted")
        return int(events[0].args["post_id"]), int(events[0].args["task_id"])

    def reclaim(self, account: LocalAccount, post_id: int) -> int:
        """Take back the fee of a post whose task failed; the wei returned."""
        receipt = self.send(account, "reclaim", post_id)
        events = [e for e in self.contract.receipt_events(receipt) if e.name == "PostRefunded"]
        return int(events[0].args["amount"]) if events else 0
