"""End to end: three `agentnet worker` processes serve mixed tasks on a real anvil.

One LocalNet for the module: deploy, three models, three agents with encrypted
keystores, three workers. The tests then post tasks as a requester would and check
what every user can see on chain: the finalized output (equal to the in-process
engine's), the fees credited per seat to whichever agents the draw seated, nobody
slashed, each task finalized within a few blocks of its creation; and what an
operator can see: the worker's /metrics and /healthz, and no private key anywhere
on disk or in `ps`.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from deployments.params import Params
from tests.worker.helpers import (
    PHASE_SUCCEEDED,
    Net,
    NetFactory,
    as_bytes,
    expected,
    function_of,
)

# The real all-MiniLM-L6-v2 packages (exported once per session) and the tiny generator.
EMB, CLS = "minilm-embedding", "minilm-classification"
MODELS = (EMB, CLS, "generation")


@pytest.fixture(scope="module")
def e2e(nets: NetFactory) -> Net:
    net = nets(Params(commit_window=8, reveal_window=8), models=MODELS)
    for index in range(3):
        net.start(index)
    for index in range(3):
        net.wait_started(f"worker{index}")
    return net


def snapshot(net: Net) -> list[dict[str, Any]]:
    out = []
    for agent in net.net.agents:
        owner = agent.owner.address
        out.append(
            {
                "claimable": int(net.net.call("TaskMarket", "claimable", owner)),
                "stake": int(net.net.call("AgentStaking", "stakeOf", owner)),
                "reputation": [int(x) for x in net.net.call("TaskMarket", "reputation", owner)],
            }
        )
    return out


def fee_of(net: Net, task_id: int) -> int:
    (created, _) = net.logs("TaskCreated", task_id)[0]
    return int(created.args["fee"])


def assert_all_agreed(net: Net, before: list[dict[str, Any]], task_ids: list[int]) -> None:
    """Each agent was paid fee // 3 per seat it held (3 seats a task, all agreeing),
    kept its stake, and agreed once per task it sat on (whatever its seats)."""
    after = snapshot(net)
    seats = {t: net.seats(t) for t in task_ids}
    assert all(sum(s.values()) == 3 for s in seats.values())
    for agent, b, a in zip(net.net.agents, before, after, strict=True):
        owner = agent.owner.address
        pay = sum(fee_of(net, t) // 3 * s.get(owner, 0) for t, s in seats.items())
        assert a["claimable"] - b["claimable"] == pay
        assert a["stake"] == b["stake"]
        agreed, disagreed, missed = (
            x - y for x, y in zip(a["reputation"], b["reputation"], strict=True)
        )
        assert (agreed, disagreed, missed) == (sum(owner in s for s in seats.values()), 0, 0)
    slashed = [e for t in task_ids for e, _ in net.logs("Slashed", t, contract="AgentStaking")]
    assert slashed == []


def test_mixed_tasks_finalize_with_engine_outputs_and_fees(e2e: Net) -> None:
    net, pkgs, ids = e2e.net, e2e.packages, e2e.model_ids
    before = snapshot(e2e)
    texts = [
        "the quick brown fox jumps over the lazy dog",
        "agents stake ether and run models off chain",
        "hello world, hello agents",
        "zéro ünïcode 日本語 text",
        "numbers 0 1 2 3 4 5 6 7 8 9",
        "a committee commits then reveals its result",
        "x",
    ]
    labels = ["fox", "chain", "hello", "numbers"]
    posted: list[tuple[str, dict[str, Any] | bytes]] = [(EMB, {"text": t}) for t in texts]
    posted += [(CLS, {"text": t, "labels": labels}) for t in texts[:6]]
    posted += [
        (EMB, b"\xff\xfe this is not JSON"),
        (CLS, b"{not json either"),
        (CLS, {"text": "no labels given"}),
        (EMB, {"prompt": "the wrong field"}),
    ]
    tasks: dict[int, tuple[str, bytes]] = {}
    for model, task_input in posted:
        task_id = net.create_task(ids[model], task_input)
        tasks[task_id] = (model, as_bytes(task_input))
    parent_ids = [list(tasks)[len(texts)], list(tasks)[0]]  # a classification, an embedding
    child_input = {"text": "summary of {parents} for the requester"}
    child = net.create_task(ids[EMB], child_input, parents=parent_ids)
    all_ids = [*tasks, child]

    phases = net.wait_phases(all_ids, timeout=150)
    assert phases == dict.fromkeys(all_ids, PHASE_SUCCEEDED)

    outputs: dict[int, bytes] = {}
    for task_id, (model, data) in tasks.items():
        status, output = net.finalized_output(task_id)
        assert status == 1
        assert output == expected(pkgs[model], data), (task_id, data)
        outputs[task_id] = output
    # invalid inputs were answered with a canonical error, agreed on and paid
    for task_id in list(tasks)[-4:]:
        assert set(json.loads(outputs[task_id])) == {"error"}
    status, output = net.finalized_output(child)
    assert status == 1
    parent_outputs = [outputs[p] for p in parent_ids]
    assert output == expected(pkgs[EMB], as_bytes(child_input), parent_outputs)
    assert output != expected(pkgs[EMB], as_bytes(child_input))

    assert_all_agreed(e2e, before, all_ids)
    # one commit and one reveal per member and task, however many seats it holds
    for event in ("Committed", "Revealed"):
        seen = [(int(e.args["task_id"]), str(e.args["agent"])) for e, _ in e2e.logs(event)]
        assert len(seen) == len(set(seen))
        for task_id in all_ids:
            members = {a for t, a in seen if t == task_id}
            assert members == set(e2e.seats(task_id)), (event, task_id)


def test_a_seated_members_commit_activates_the_task(e2e: Net) -> None:
    """No keeper: the first commit of a seated member seats the committee, which is
    the one ``previewCommittee`` showed once the draw block was mined."""
    task_id = e2e.net.create_task(e2e.model_ids[EMB], {"text": "no keeper needed"})
    e2e.wait_draw_mined(task_id)
    preview = e2e.committee(task_id, pending=True)
    assert len(preview) == 3
    assert e2e.net.wait_phases([task_id], timeout=60) == {task_id: PHASE_SUCCEEDED}
    (activated, raw) = e2e.logs("TaskActivated", task_id)[0]
    assert [str(a) for a in activated.args["committee"]] == preview == e2e.committee(task_id)
    tx = e2e.rpc("eth_getTransactionByHash", [raw["transactionHash"]])
    assert function_of(e2e, tx["input"]) in ("commit", "commitBatch")  # not `activate`
    assert tx["from"].lower() in {a.signer.address.lower() for a in e2e.net.agents}


def test_generation_task_matches_in_process_engine(e2e: Net) -> None:
    before = snapshot(e2e)
    prompts = [
        {"prompt": "hello agents", "max_new_tokens": 8},
        {"prompt": "the quick brown", "max_new_tokens": 5},
    ]
    task_ids = [e2e.net.create_task(e2e.model_ids["generation"], p) for p in prompts]
    assert e2e.net.wait_phases(task_ids, timeout=90) == dict.fromkeys(task_ids, PHASE_SUCCEEDED)
    for task_id, prompt in zip(task_ids, prompts, strict=True):
        status, output = e2e.net.finalized_output(task_id)
        want = expected(e2e.packages["generation"], as_bytes(prompt))
        assert status == 1
        assert output == want
        decoded = json.loads(output)
        assert set(decoded) == {"text", "tokens"}
        assert 0 < len(decoded["tokens"]) <= prompt["max_new_tokens"]
    assert_all_agreed(e2e, before, task_ids)


def get(url: str) -> tuple[int, bytes, str]:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return resp.status, resp.read(), resp.headers.get("Content-Type", "")


def test_metrics_and_healthz_answer(e2e: Net) -> None:
    for index in range(3):
        started = e2e.wait_started(f"worker{index}")
        metrics_url = started["metrics"]
        status, body, ctype = get(metrics_url)
        assert status == 200
        assert ctype.startswith("text/plain")
        text = body.decode()
        assert 'agentnet_worker_tasks_total{step="computed"}' in text
        assert 'agentnet_worker_tasks_total{step="finalized"}' in text
        status, body, _ = get(metrics_url.rsplit("/", 1)[0] + "/healthz")
        health = json.loads(body)
        assert status == 200
        assert health["ok"] is True
        assert health["agent"] == e2e.agent(index).owner.address
        assert health["chain_id"] == 31337
        assert health["tasks"].get("finalized", 0) >= 1


def secret_forms(key: bytes) -> list[bytes]:
    h = key.hex()
    return [key, h.encode(), h.upper().encode(), b"0x" + h.encode()]


def test_no_private_key_in_logs_databases_or_command_lines(e2e: Net) -> None:
    secrets: list[bytes] = []
    for agent in e2e.net.agents:
        secrets += secret_forms(bytes(agent.owner.key)) + secret_forms(bytes(agent.signer.key))
    files = [p for p in Path(e2e.workdir).iterdir() if p.is_file()]
    assert any(p.suffix == ".log" for p in files) and any(p.suffix == ".sqlite" for p in files)
    blobs = {str(p): p.read_bytes() for p in files}
    blobs["commands"] = "\n".join(" ".join(c) for c in e2e.commands).encode()
    for name, proc in e2e.workers.items():
        assert proc.poll() is None, f"{name} is not running"
        blobs[f"/proc/{proc.pid}/cmdline"] = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
        blobs[f"/proc/{proc.pid}/environ"] = Path(f"/proc/{proc.pid}/environ").read_bytes()
    for where, blob in blobs.items():
        lowered = blob.lower()
        for secret in secrets:
            assert secret.lower() not in lowered, f"a private key is in {where}"
