"""Every route against a real anvil with the contracts and three workers."""

from __future__ import annotations

import base64
import json
import time

from oracles.protocol import Phase
from tests.api.conftest import Network, _bare_model
from tests.api.helpers import chain_task, committee_of, get, http, task_if, wait_for


def test_healthz_reports_chain_and_progress(network: Network) -> None:
    body = get(f"{network.url}/healthz")
    assert body["ok"] is True
    assert body["chain_id"] == network.net.deployment.chain_id
    assert body["indexed_block"] > 0


def test_finalized_tasks_show_decoded_outputs(network: Network) -> None:
    kinds = {}
    for model, task_id in network.first_tasks.items():
        task = get(f"{network.url}/api/tasks/{task_id}")
        status, output = network.net.finalized_output(task_id)
        assert task["state"] == ("succeeded" if status == 1 else "failed")
        assert task["output_hex"] == "0x" + output.hex()
        assert task["model"] == network.model_ids[model]
        assert task["model_kind"] == model
        assert task["latency_s"] >= 0
        # Seats as the chain has them: one address per seat, members with their seats.
        on_chain = chain_task(network.net, task_id)
        assert task["committee"] == committee_of(network.net, task_id)
        assert [(m["agent"], m["seats"]) for m in task["members"]] == [
            (m["agent"], m["seats"]) for m in on_chain["members"]
        ]
        assert sum(m["seats"] for m in task["members"]) == task["committee_size"] == 3
        assert all(m["revealed"] and m["outcome"] == "agreed" for m in task["members"])
        assert task["revealed_seats"] == 3 and task["agreeing_seats"] == 3
        assert task["draw_block"] == on_chain["draw_block"] > task["created_block"]
        assert (task["commit_window"], task["reveal_window"]) == (8, 8)
        assert task["slash_missed"] == str(network.net.params.slash_missed)
        assert task["slash_wrong"] == str(network.net.params.slash_wrong)
        assert task["grace_period"] == network.net.params.grace_period
        assert task["grace_end"] == on_chain["reveal_end"] + network.net.params.grace_period
        assert task["reveal_end"] == on_chain["reveal_end"]
        assert [e["name"] for e in task["events"]][0] == "TaskCreated"
        assert task["events"][-1]["name"] == "TaskFinalized"
        assert task["input"] == {"json": json.loads(bytes.fromhex(task["input_hex"][2:]))}
        kinds[model] = task["output"]
    decoded = json.loads(network.net.finalized_output(network.first_tasks["embedding"])[1])
    emb = kinds["embedding"]
    assert emb["type"] == "embedding" and emb["dim"] == decoded["dim"]
    first = base64.b64decode(decoded["i8"])[0]
    assert emb["first"][0] == round((first - 256 if first > 127 else first) / 127, 6)
    assert kinds["classification"]["label"] in ("fox", "chain")
    gen = json.loads(network.net.finalized_output(network.first_tasks["generation"])[1])
    assert kinds["generation"]["text"] == gen["text"]


def test_list_filters_and_cursor_pagination(network: Network) -> None:
    ids = sorted(network.first_tasks.values(), reverse=True)
    page = get(f"{network.url}/api/tasks?limit=2")
    assert [t["id"] for t in page["items"]][:2] == sorted(
        [t["id"] for t in page["items"]], reverse=True
    )
    seen: list[int] = []
    cursor = None
    while True:
        url = f"{network.url}/api/tasks?limit=1" + (f"&cursor={cursor}" if cursor else "")
        page = get(url)
        seen += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen, reverse=True) and set(ids) <= set(seen)
    emb = network.model_ids["embedding"]
    by_model = get(f"{network.url}/api/tasks?model={emb}")["items"]
    assert by_model and all(t["model"] == emb for t in by_model)
    assert network.first_tasks["embedding"] in [t["id"] for t in by_model]
    requester = network.net.requester.address
    mine = get(f"{network.url}/api/tasks?requester={requester.lower()}")["items"]
    assert set(ids) <= {t["id"] for t in mine}
    stranger = "0x" + "11" * 20
    assert get(f"{network.url}/api/tasks?requester={stranger}")["items"] == []
    # An agent's tasks: those the chain seats it on (seats are drawn with replacement,
    # so an agent may sit on none of them, or hold several seats of one).
    for worker in network.workers:
        agent = worker.owner.address
        served = {t["id"] for t in get(f"{network.url}/api/tasks?agent={agent}")["items"]}
        assert served & set(ids) == {t for t in ids if agent in committee_of(network.net, t)}
    done = get(f"{network.url}/api/tasks?state=succeeded")["items"]
    assert done and all(t["state"] == "succeeded" for t in done)
    # Waiting tasks: those the chain says wait for their draw block (the silent model's).
    waiting = get(f"{network.url}/api/tasks?state=waiting&limit=200")["items"]
    assert all(t["state"] == "waiting" and t["member_count"] == 0 for t in waiting)
    for t in waiting:
        assert network.net.phase(t["id"]) == Phase.WAITING
        assert t["draw_block"] == chain_task(network.net, t["id"])["draw_block"]
    if network.net.phase(network.silent_task) == Phase.WAITING:
        assert network.silent_task in {t["id"] for t in waiting}


def test_agents_leaderboard_earnings_from_events(network: Network) -> None:
    # Other tests may have just posted tasks: let them settle and the indexer catch up.
    # The chain is read after the index: when both agree, nothing moved in between.
    deadline = time.time() + 60
    while True:
        agents = get(f"{network.url}/api/agents")["items"]
        claimable = {
            a["address"]: int(network.net.call("TaskMarket", "claimable", a["address"]))
            for a in agents
        }
        reputation = {
            a["address"]: dict(
                zip(
                    ("agreed", "disagreed", "missed"),
                    network.net.call("TaskMarket", "reputation", a["address"]),
                    strict=True,
                )
            )
            for a in agents
        }
        if all(
            _owed(a) == claimable[a["address"]] and a["reputation"] == reputation[a["address"]]
            for a in agents
        ):
            break
        assert time.time() < deadline, (agents, claimable, reputation)
        time.sleep(1)
    owners = {a.owner.address for a in network.net.agents}
    assert {a["address"] for a in agents} == owners
    for a in agents:
        assert int(a["stake"]) == int(network.net.call("AgentStaking", "stakeOf", a["address"]))
        assert a["paid_seats"] >= a["reputation"]["agreed"]  # a task pays each agreeing seat
    for worker in network.workers:
        mine = next(a for a in agents if a["address"] == worker.owner.address)
        assert set(network.model_ids.values()) <= set(mine["models"])
    earnings = [int(a["earnings"]) for a in agents]
    assert earnings == sorted(earnings, reverse=True)
    one = get(f"{network.url}/api/agents/{agents[0]['address'].lower()}")
    assert one["address"] == agents[0]["address"]
    assert one["recent_tasks"] and one["events"][-1]["name"] == "AgentRegistered"


def _owed(agent: dict[str, object]) -> int:
    """What the index says the contract owes an agent: its earnings less its withdrawals."""
    return int(str(agent["earnings"])) - int(str(agent["withdrawn"]))


def test_models_and_stats(network: Network) -> None:
    models = {m["model_id"]: m for m in get(f"{network.url}/api/models")["items"]}
    assert set(network.model_ids.values()) <= set(models)
    served = [models[i] for i in network.model_ids.values()]
    assert {m["kind"] for m in served} == {"embedding", "classification", "generation"}
    assert all(m["agents"] == 3 and m["status"] == "active" for m in served)
    assert models["0x" + network.silent_model.hex()]["agents"] == 1
    stats = get(f"{network.url}/api/stats")
    assert stats["tasks"] >= 3 and stats["finalized"] >= 3
    assert stats["states"]["succeeded"] >= 3
    assert stats["latency_s"]["p50"] is not None
    assert stats["latency_s"]["p50"] <= stats["latency_s"]["p95"]
    assert int(stats["fees_total"]) >= int(stats["fees_paid"]) > 0
    assert sum(stats["latency_histogram"]["counts"]) == stats["finalized"]


def test_openapi_document_lists_every_route(network: Network) -> None:
    doc = get(f"{network.url}/api/openapi.json")
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == {
        "/",
        "/healthz",
        "/api/tasks",
        "/api/tasks/{id}",
        "/api/tasks/prepare",
        "/api/agents",
        "/api/agents/{address}",
        "/api/models",
        "/api/stats",
        "/api/events",
        "/api/openapi.json",
    }


def test_prepare_builds_a_transaction_anvil_accepts(network: Network) -> None:
    body = {
        "model": network.model_ids["embedding"],
        "input": {"text": "prepared by the api"},
        "committee_size": 3,
        "quorum": 2,
        "from": network.net.requester.address,
    }
    status, prepared = http("POST", f"{network.url}/api/tasks/prepare", body)
    assert status == 200, prepared
    tx = prepared["tx"]
    assert int(tx["chainId"], 16) == network.net.deployment.chain_id
    assert int(tx["value"], 16) == int(prepared["fee"]) == 3 * network.net.params.min_fee_per_agent
    frm = network.net.requester.address  # an anvil dev account: anvil signs for it
    tx_hash = network.net.rpc.call(
        "eth_sendTransaction",
        [{"from": frm, "to": tx["to"], "data": tx["data"], "value": tx["value"], "gas": tx["gas"]}],
    )
    receipt = wait_for(
        lambda: network.net.rpc.call("eth_getTransactionReceipt", [tx_hash]), what="receipt"
    )
    assert int(receipt["status"], 16) == 1
    created = [e for e in network.net.events(receipt) if e.name == "TaskCreated"][0]
    task_id = int(created.args["task_id"])
    task = wait_for(lambda: task_if(network.url, task_id), what="prepared task indexed")
    assert task["input"] == {"json": {"text": "prepared by the api"}}


def test_prepare_follows_v2_seats(network: Network) -> None:
    """Seats are drawn with replacement: three agents can fill five seats."""
    body = {"model": network.model_ids["generation"], "input": "x", "committee_size": 5,
            "quorum": 3, "from": network.net.requester.address}  # fmt: skip
    status, prepared = http("POST", f"{network.url}/api/tasks/prepare", body)
    assert status == 200, prepared
    assert int(prepared["fee"]) == 5 * network.net.params.min_fee_per_agent
    assert int(prepared["tx"]["gas"], 16) > 0
    # A registered model without a single agent cannot have a task.
    nobody = "0x" + _bare_model(network.net).hex()
    status, answer = http("POST", f"{network.url}/api/tasks/prepare", {**body, "model": nobody})
    assert (status, answer["field"]) == (409, "model"), answer
    assert "no agent serves this model" in answer["error"]


def test_bad_requests_are_400_naming_the_field(network: Network) -> None:
    cases = {
        "/api/tasks?limit=0": "limit",
        "/api/tasks?limit=abc": "limit",
        "/api/tasks?limit=201": "limit",
        "/api/tasks?cursor=-1": "cursor",
        "/api/tasks?state=done": "state",
        "/api/tasks?model=0x12": "model",
        "/api/tasks?requester=bob": "requester",
        "/api/tasks?agent=0xzz": "agent",
        "/api/tasks?colour=red": "colour",
        "/api/tasks/0": "id",
        "/api/tasks/abc": "id",
        "/api/tasks/99999999999999999999999": "id",
        "/api/agents/0x1234": "address",
    }
    for path, field in cases.items():
        status, body = http("GET", network.url + path)
        assert status == 400, (path, status, body)
        assert body["field"] == field, (path, body)


def test_unknown_ids_are_404_json(network: Network) -> None:
    for path in ("/api/tasks/999999", f"/api/agents/0x{'22' * 20}", "/api/nothing"):
        status, body = http("GET", network.url + path)
        assert status == 404 and "error" in body, (path, body)
    status, body = http("DELETE", network.url + "/api/tasks")
    assert status == 405 and "error" in body


def test_prepare_rejections_name_the_field(network: Network) -> None:
    emb = network.model_ids["embedding"]
    good = {"model": emb, "input": "x", "committee_size": 3}
    bad = [
        ({**good, "committee_size": 0}, 400, "committee_size"),
        ({**good, "committee_size": 17}, 400, "committee_size"),
        ({**good, "model": "0x1"}, 400, "model"),
        ({**good, "input": 5}, 400, "input"),
        ({**good, "fee": "-3"}, 400, "fee"),
        ({**good, "parents": [1, 1]}, 400, "parents"),
        ({**good, "extra": 1}, 400, "extra"),
        ({"input": "x", "committee_size": 3}, 400, "model"),
        ({**good, "quorum": 1}, 409, "quorum"),
        ({**good, "fee": "1"}, 409, "fee"),
        ({**good, "model": "0x" + "ab" * 32}, 409, "model"),
        ({**good, "committee_size": 4, "quorum": 2}, 409, "quorum"),
        ({**good, "parents": [10**9]}, 409, "parents"),
        ({**good, "committee_size": 2, "quorum": 3}, 409, "quorum"),
        ({**good, "from": "0x" + "12" * 20}, 409, "from"),  # no funds for the fee
        ({**good, "from": "0x12"}, 400, "from"),
        ({**good, "input": {"text": "é" * 1000, "more": "x" * 2100}}, 409, "input"),
    ]
    for body, status, field in bad:
        got, answer = http("POST", f"{network.url}/api/tasks/prepare", body)
        assert (got, answer.get("field")) == (status, field), (body, got, answer)
    got, answer = http("POST", f"{network.url}/api/tasks/prepare", raw=b"{not json")
    assert got == 400 and answer["field"] == "body"
