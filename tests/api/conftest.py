"""Fixtures of the API tests: one anvil (1 s blocks), a LocalNet with three models,
three agents and their workers, and the API server, all started once per session.

Besides, a "silent" model served by one agent that runs no worker: a task on it waits
for ever (nobody activates it), which is how the tests see a waiting task, its draw
block, a redraw, and one agent holding every seat.

Protocol v2 draws with the stake weights of the epoch before the draw block
(docs/protocol-v2.md, section 2), so the fixture mines to the next epoch boundary
after registering the agents (done here: ``deployments/localnet.py`` was not yet
v2-ready when these tests were adapted).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from deployments.localnet import ETHER, AgentSetup, LocalNet
from deployments.params import Params
from model_export.tiny import tiny_package
from oracles.chain.anvil import Anvil
from tests.api.helpers import ThreadedApi, get, http, wait_for

MODELS = ("embedding", "classification", "generation")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


@dataclass
class Network:
    anvil: Anvil
    net: LocalNet
    api: ThreadedApi
    model_ids: dict[str, str] = field(default_factory=dict)
    first_tasks: dict[str, int] = field(default_factory=dict)
    workers: list[AgentSetup] = field(default_factory=list)  # agents with a worker
    silent_model: bytes = b""  # served by one agent without a worker
    silent_task: int = 0  # waiting on the silent model since the start

    @property
    def url(self) -> str:
        return self.api.url

    @property
    def silent_agent(self) -> AgentSetup:
        return self.net.agents[-1]


def cross_epoch(net: LocalNet) -> None:
    """Mine (at once, without moving the clock) to the next stake epoch boundary."""
    epoch_blocks = int(net.call("AgentStaking", "epochBlocks"))
    head = int(net.rpc.call("eth_blockNumber", []), 16)
    net.rpc.call("anvil_mine", [hex(epoch_blocks - head % epoch_blocks), "0x0"])


def _bare_model(net: LocalNet) -> bytes:
    """A model id registered without a package."""
    model_id = os.urandom(32)
    net.send(net.deployer, "ModelRegistry", "registerModel", model_id, 0, "none://silent")
    return model_id


@pytest.fixture(scope="session")
def packages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.getbasetemp() / "agentnet-tiny"
    base.mkdir(exist_ok=True)
    return {name: tiny_package(base, name) for name in MODELS}


@pytest.fixture(scope="session", autouse=True)
def _packages_first(packages: dict[str, Path]) -> None:
    """Build the packages before any other fixture (titanoboa's plugin opens a chain
    snapshot around each fixture's setup; see tests/engine/conftest.py)."""


@pytest.fixture(scope="session")
def network(
    tmp_path_factory: pytest.TempPathFactory, packages: dict[str, Path]
) -> Iterator[Network]:
    workdir = tmp_path_factory.mktemp("apinet")
    with contextlib.ExitStack() as stack:
        anvil = Anvil(block_time=1).start()
        stack.callback(anvil.stop)
        net = LocalNet(anvil, workdir, params=Params(commit_window=8, reveal_window=8))
        stack.callback(net.stop_workers)
        ids = {m: net.register_model(packages[m]) for m in MODELS}
        workers = [net.add_agent(s * ETHER, list(ids.values())) for s in (1, 2, 3)]
        silent_model = _bare_model(net)
        net.add_agent(ETHER, [silent_model])  # runs no worker
        cross_epoch(net)
        for agent in workers:
            net.start_worker(agent, [packages[m] for m in MODELS])
        for index in range(len(workers)):
            log = workdir / f"worker{index}.log"
            wait_for(
                lambda log=log: log.exists() and '"worker.started"' in log.read_text(),
                timeout=120,
                what=f"{log.name}: worker.started",
            )
        api = ThreadedApi(anvil.url, net.deployment_path, workdir / "api.sqlite")
        stack.callback(api.stop)
        network = Network(
            anvil,
            net,
            api,
            {m: "0x" + i.hex() for m, i in ids.items()},
            workers=workers,
            silent_model=silent_model,
        )
        network.silent_task = net.create_task(silent_model, {"text": "nobody answers"}, 2, 2)
        inputs = {
            "embedding": {"text": "hello agents"},
            "classification": {"text": "the quick brown fox", "labels": ["fox", "chain"]},
            "generation": {"prompt": "hello world", "max_new_tokens": 4},
        }
        for model, task_input in inputs.items():
            network.first_tasks[model] = net.create_task(ids[model], task_input)
        net.wait_phases(list(network.first_tasks.values()), timeout=120)
        last = max(network.first_tasks.values())
        wait_for(
            lambda: (
                get(f"{api.url}/api/tasks/{last}")["state"] in ("succeeded", "failed")
                if _exists(api.url, last)
                else None
            ),
            what="first tasks indexed as finalized",
        )
        yield network


def _exists(url: str, task_id: int) -> bool:
    return http("GET", f"{url}/api/tasks/{task_id}")[0] == 200


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
