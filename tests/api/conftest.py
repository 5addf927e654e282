"""Fixtures of the API tests: one anvil (1 s blocks), a LocalNet with three models,
three agents and their workers, and the API server, all started once per session."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from deployments.localnet import ETHER, LocalNet
from deployments.params import Params
from model_export.tiny import tiny_package
from oracles.chain.anvil import Anvil
from tests.api.helpers import ThreadedApi, get, wait_for

MODELS = ("embedding", "classification", "generation")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


@dataclass
class Network:
    anvil: Anvil
    net: LocalNet
    api: ThreadedApi
    model_ids: dict[str, str] = field(default_factory=dict)
    first_tasks: dict[str, int] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.api.url


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
        for stake in (1 * ETHER, 2 * ETHER, 3 * ETHER):
            net.add_agent(stake, list(ids.values()))
        for agent in net.agents:
            net.start_worker(agent, [packages[m] for m in MODELS])
        for index in range(len(net.agents)):
            log = workdir / f"worker{index}.log"
            wait_for(
                lambda log=log: log.exists() and '"worker.started"' in log.read_text(),
                timeout=120,
                what=f"{log.name}: worker.started",
            )
        api = ThreadedApi(anvil.url, net.deployment_path, workdir / "api.sqlite")
        stack.callback(api.stop)
        network = Network(anvil, net, api, {m: "0x" + i.hex() for m, i in ids.items()})
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
    from tests.api.helpers import http

    return http("GET", f"{url}/api/tasks/{task_id}")[0] == 200


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
