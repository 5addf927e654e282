"""Fixtures of the client tests: one real network for the session, and clients on it.

The network is the worker tests' LocalNet on its own anvil (1 s blocks): the real
contracts deployed by the deploy code, the three tiny packages registered, three
agents staked on all of them with an ``agentnet worker`` process each. Besides, a
"silent" model whose one agent runs no worker (its tasks are never answered) and an
"orphan" model that no agent serves.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from deployments.localnet import ETHER
from deployments.params import Params
from oracles.client import Client
from tests.utils.tiny import (  # noqa: F401  (fixtures, found by name)
    _tiny_packages_first,
    classification_pkg,
    embedding_pkg,
    generation_pkg,
    tiny_base,
)
from tests.worker.helpers import Net, NetFactory

MODELS = ("embedding", "classification", "generation")
EPOCH_BLOCKS = 256


@dataclass
class ClientNet:
    net: Net
    silent: bytes  # served by one agent that never answers
    orphan: bytes  # served by nobody
    aliases: Path  # a devnet-style alias file for the tiny models

    @property
    def url(self) -> str:
        return self.net.anvil.url

    @property
    def deployment_path(self) -> Path:
        return self.net.net.deployment_path

    def model(self, kind: str) -> bytes:
        return self.net.model_ids[kind]

    def package(self, kind: str) -> Path:
        return self.net.packages[kind]

    def client(self, **options: object) -> Client:
        """A blocking client of the requester, quick to poll and to help its tasks."""
        settings: dict[str, object] = {
            "account": self.net.net.requester,
            "aliases": self.aliases,
            "poll_interval": 0.25,
            "help_after": 2.0,
            "timeout": 120.0,
        }
        settings.update(options)
        return Client(self.url, self.deployment_path, **settings)  # type: ignore[arg-type]


def _register_bare_model(net: Net, kind: int) -> bytes:
    """A model id registered without a package (nobody can serve it)."""
    model_id = os.urandom(32)
    local = net.net
    local.send(local.deployer, "ModelRegistry", "registerModel", model_id, kind, "none://")
    return model_id


@pytest.fixture(scope="session")
def network(
    tmp_path_factory: pytest.TempPathFactory,
    embedding_pkg: Path,  # noqa: F811
    classification_pkg: Path,  # noqa: F811
    generation_pkg: Path,  # noqa: F811
) -> Iterator[ClientNet]:
    packages = dict(zip(MODELS, (embedding_pkg, classification_pkg, generation_pkg), strict=True))
    root = tmp_path_factory.mktemp("clientnet")
    factory = NetFactory(root, packages)
    try:
        net = factory(Params(commit_window=8, reveal_window=8), models=MODELS)
        silent = _register_bare_model(net, 0)
        orphan = _register_bare_model(net, 0)
        net.net.add_agent(ETHER, [silent])  # its worker is never started
        # Protocol v2 draws with the stake weights of the epoch before (256 blocks,
        # docs/protocol-v2.md section 2): cross an epoch boundary so that every agent
        # registered above can be drawn. Nothing changes for v1.
        net.rpc("anvil_mine", [hex(EPOCH_BLOCKS)])
        for index in range(3):
            net.start(index)
        for index in range(3):
            net.wait_started(f"worker{index}")
        aliases = root / "models.json"
        recorded = {f"tiny-{kind}": "0x" + net.model_ids[kind].hex() for kind in MODELS}
        recorded["tiny"] = recorded["tiny-embedding"]
        aliases.write_text(json.dumps(recorded))
        yield ClientNet(net, silent, orphan, aliases)
    finally:
        factory.stop()


@pytest.fixture(scope="session")
def client(network: ClientNet) -> Iterator[Client]:
    with network.client() as c:
        yield c
