"""A requester gets decoded results from the real network through the Python client.

Each result is checked against what the in-process engine computes for the same
input from the same package: what every honest agent must agree on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from oracles.client import AsyncClient, Client, InvalidInput, Phase, TaskNotFinished, TaskTimeout
from oracles.client.inputs import encode_input
from oracles.client.models import ModelRef
from oracles.client.outputs import decode_classification, decode_embedding, decode_generation
from tests.client.conftest import ClientNet
from tests.worker.helpers import expected


def reference(network: ClientNet, kind: str, data: Mapping[str, object]) -> bytes:
    return expected(network.package(kind), encode_input(data))


def test_embed_classify_generate_from_threads(network: ClientNet, client: Client) -> None:
    """Default models (chosen on chain by kind), called from three threads at once."""
    labels = ["sports", "politics", "cooking"]
    with ThreadPoolExecutor(3) as pool:
        vector = pool.submit(client.embed, "agentnet runs verifiable inference")
        chosen = pool.submit(client.classify, "the match ended 2-1", labels)
        text = pool.submit(client.generate, "hello agents", 8)
        vector_r, chosen_r, text_r = vector.result(), chosen.result(), text.result()

    want = decode_embedding(
        reference(network, "embedding", {"text": "agentnet runs verifiable inference"})
    )
    assert vector_r.dtype == np.int8 and vector_r.shape == (32,)
    assert np.array_equal(vector_r, want)
    assert chosen_r == decode_classification(
        reference(network, "classification", {"text": "the match ended 2-1", "labels": labels})
    )
    assert chosen_r[1] == labels[chosen_r[0]]
    generated = decode_generation(
        reference(network, "generation", {"prompt": "hello agents", "max_new_tokens": 8})
    )
    assert text_r == generated and text_r


def test_models_by_id_folder_and_alias(network: ClientNet) -> None:
    """One model named three ways gives one result; an alias prefers ``<name>-<kind>``."""
    text = {"text": "a committee commits then reveals"}
    labels = ["chain", "fox"]

    async def main() -> tuple[list[bytes], list[object]]:
        async with AsyncClient(
            network.url,
            network.deployment_path,
            network.net.net.requester,
            aliases=network.aliases,
            poll_interval=0.25,
            help_after=2.0,
        ) as c:
            refs: list[ModelRef] = [
                "0x" + network.model("embedding").hex(),
                network.package("embedding"),
                "tiny",
            ]
            ids = [await c.model_id(ref) for ref in refs]
            results = await asyncio.gather(
                *(c.embed(text["text"], model=ref) for ref in refs),
                c.classify("the quick brown fox", labels, model="tiny"),
            )
            return ids, list(results)

    ids, results = asyncio.run(main())
    assert ids == [network.model("embedding")] * 3
    want = decode_embedding(reference(network, "embedding", text))
    for vector in results[:3]:
        assert np.array_equal(vector, want)  # type: ignore[arg-type]
    assert results[3] == decode_classification(
        reference(network, "classification", {"text": "the quick brown fox", "labels": labels})
    )


def test_submit_wait_output_with_chain_defaults(network: ClientNet, client: Client) -> None:
    data = {"text": "hello world, hello agents"}
    handle = client.submit(network.model("embedding"), data)
    assert handle.status() in (Phase.WAITING, Phase.COMMIT, Phase.REVEAL)
    out = handle.wait()
    assert out == reference(network, "embedding", data)
    assert handle.output() == out
    assert handle.status() == Phase.SUCCEEDED
    assert client.task(handle.task_id).output() == out  # a fresh handle reads it from chain

    local = network.net.net
    (created, _) = network.net.logs("TaskCreated", handle.task_id)[0]
    committee = local.call("TaskMarket", "committeeOf", handle.task_id)
    min_fee = int(local.call("TaskMarket", "min_fee_per_agent"))
    assert len(committee) == 3  # min(3, eligible agents)
    assert int(created.args["quorum"]) == 2  # a majority
    assert int(created.args["fee"]) == min_fee * 3
    assert created.args["requester"] == local.requester.address


def test_timeout_leaves_the_task_running(network: ClientNet, client: Client) -> None:
    data = {"text": "numbers 0 1 2 3"}
    handle = client.submit(network.model("embedding"), data)
    with pytest.raises(TimeoutError) as caught:
        handle.wait(timeout=0.2)
    assert isinstance(caught.value, TaskTimeout)
    assert caught.value.task_id == handle.task_id
    with pytest.raises(TaskNotFinished):
        handle.output()
    assert handle.wait() == reference(network, "embedding", data)  # waited on again

    with pytest.raises(TimeoutError, match="not finalized after 0.2 s"):
        client.embed("the lazy dog", timeout=0.2)


def test_invalid_input_is_a_typed_error(network: ClientNet, client: Client) -> None:
    with pytest.raises(InvalidInput) as caught:
        client.generate("hello", max_new_tokens=10_000)
    assert caught.value.code == "bad_max_new_tokens"
    assert caught.value.task_id is not None

    handle = client.submit(network.model("embedding"), b"this is not JSON")
    assert handle.wait() == b'{"error":"bad_json"}'
