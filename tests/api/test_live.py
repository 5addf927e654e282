"""Live behaviour: server-sent events and the indexer's handling of a reorg."""

from __future__ import annotations

import json
import queue
import threading
import urllib.request

from eth_account import Account

from tests.api.conftest import Network
from tests.api.helpers import get, http, task_if, wait_for


def _read_sse(url: str, out: queue.Queue[dict[str, object]], stop: threading.Event) -> None:
    with urllib.request.urlopen(url, timeout=60) as resp:
        kind = None
        for raw in resp:
            if stop.is_set():
                return
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                out.put({"kind": kind, **json.loads(line[6:])})


def test_sse_delivers_a_new_task_created(network: Network) -> None:
    events: queue.Queue[dict[str, object]] = queue.Queue()
    stop = threading.Event()
    reader = threading.Thread(
        target=_read_sse, args=(f"{network.url}/api/events", events, stop), daemon=True
    )
    reader.start()
    wait_for(lambda: _listening(network), what="SSE listener registered")
    task_id = network.net.create_task(
        bytes.fromhex(network.model_ids["embedding"][2:]), {"text": "over sse"}
    )
    try:
        while True:
            event = events.get(timeout=60)
            args = event.get("args")
            if (
                event["name"] == "TaskCreated"
                and isinstance(args, dict)
                and int(args["task_id"]) == task_id
            ):
                break
        assert event["kind"] == "chain" and event["contract"] == "TaskMarket"
        assert args["requester"] == network.net.requester.address
    finally:
        stop.set()


def _listening(network: Network) -> bool:
    indexer = network.api.server.indexer
    return indexer is not None and len(indexer.listeners) > 0


def test_reverted_task_disappears_from_the_index(network: Network) -> None:
    rpc = network.net.rpc
    model = bytes.fromhex(network.model_ids["generation"][2:])
    snapshot = rpc.call("evm_snapshot", [])
    task_id = network.net.create_task(model, {"prompt": "reorg me", "max_new_tokens": 2})
    wait_for(
        lambda: http("GET", f"{network.url}/api/tasks/{task_id}")[0] == 200,
        what="task indexed",
    )
    assert task_id in [t["id"] for t in get(f"{network.url}/api/tasks?limit=5")["items"]]
    assert rpc.call("evm_revert", [snapshot]) is True
    rpc.call("anvil_mine", [hex(3)])
    wait_for(
        lambda: http("GET", f"{network.url}/api/tasks/{task_id}")[0] == 404,
        what="task gone after the revert",
    )
    assert task_id not in [t["id"] for t in get(f"{network.url}/api/tasks?limit=5")["items"]]
    stats = get(f"{network.url}/api/stats")
    assert stats["tasks"] == len(_all_ids(network))
    # The chain goes on: a new task reuses the id and is indexed as the chain has it.
    again = network.net.create_task(model, {"prompt": "after the reorg", "max_new_tokens": 2})
    assert again == task_id
    task = wait_for(lambda: task_if(network.url, again), what="new task with the reused id")
    assert task["input"]["json"]["prompt"] == "after the reorg"


def _all_ids(network: Network) -> list[int]:
    return [t["id"] for t in get(f"{network.url}/api/tasks?limit=200")["items"]]


def test_task_moved_by_anvil_reorg_is_reindexed_at_its_new_block(network: Network) -> None:
    rpc = network.net.rpc
    market = network.net.deployment["TaskMarket"]
    model = bytes.fromhex(network.model_ids["classification"][2:])
    task_input = json.dumps({"text": "moved by a reorg", "labels": ["a", "b"]}).encode()
    sender = network.net.anvil.private_keys[6]
    tx = {
        "from": Account.from_key(sender).address,
        "to": market.address,
        "data": "0x" + market.encode("createTask", model, task_input, 3, 2, []).hex(),
        "value": hex(3 * network.net.params.min_fee_per_agent),
        "gas": hex(3_000_000),
    }
    tx_hash = rpc.call("eth_sendTransaction", [tx])
    receipt = wait_for(lambda: rpc.call("eth_getTransactionReceipt", [tx_hash]), what="receipt")
    block = int(receipt["blockNumber"], 16)
    task_id = _created_id(network, receipt)
    first = wait_for(lambda: task_if(network.url, task_id), what="task indexed")
    assert first["created_block"] == block
    head = wait_for(
        lambda: (h := int(rpc.call("eth_blockNumber", []), 16)) > block and h, what="next block"
    )
    # Drop every block from the task's one up, and re-include its transaction one later.
    rpc.call("anvil_reorg", [head - block + 1, [[tx, 1]]])
    moved = wait_for(
        lambda: (t := task_if(network.url, task_id)) and t["created_block"] == block + 1 and t,
        what="task re-indexed at its new block",
    )
    assert moved["input"]["json"]["text"] == "moved by a reorg"
    assert moved["draw_block"] == block + 2  # the block after its new one
    assert [e["block"] for e in moved["events"]][0] == block + 1
    assert len([t for t in _all_ids(network) if t == task_id]) == 1


def _created_id(network: Network, receipt: dict[str, object]) -> int:
    created = [e for e in network.net.events(receipt) if e.name == "TaskCreated"]  # type: ignore[arg-type]
    return int(created[0].args["task_id"])
