"""A map-reduce workflow: map tasks feed one reduce task through ``parents``."""

from __future__ import annotations

from oracles.client import Client
from oracles.client.inputs import encode_input
from tests.client.conftest import ClientNet
from tests.worker.helpers import expected


def test_workflow_reduces_the_map_outputs_in_order(network: ClientNet, client: Client) -> None:
    generation = network.package("generation")
    maps = [
        {"prompt": f"Question: what is {topic}?\nAnswer:", "max_new_tokens": 6}
        for topic in ("proof of stake", "a committee", "ONNX")
    ]
    reduce = {"prompt": "Notes:\n{parents}\n\nIn one line:", "max_new_tokens": 8}

    final = client.workflow(maps, reduce, model=network.model("generation"))

    map_outputs = [expected(generation, encode_input(m)) for m in maps]
    assert final == expected(generation, encode_input(reduce), map_outputs)
    assert final != expected(generation, encode_input(reduce))  # the parents made a difference
