"""Fixtures for the committee-draw fuzzing tests: a fresh protocol per module."""

from __future__ import annotations

from dataclasses import dataclass

import boa
import pytest
from eth_utils import keccak

from deployments.boa_deploy import Protocol, deploy
from deployments.params import Params
from tests.contracts.utils.protocol import ETHER, AgentKeys, new_agent

N_POOL = 8


@dataclass
class DrawWorld:
    protocol: Protocol
    params: Params
    models: list[bytes]
    pool: list[AgentKeys]  # funded, unregistered owners


@pytest.fixture(scope="module")
def draw_world() -> DrawWorld:
    params = Params()
    protocol = deploy(params, owner=boa.env.generate_address())
    models = [keccak(f"agentnet fuzzing model {i}".encode()) for i in range(3)]
    for i, mid in enumerate(models):
        protocol.registry.registerModel(mid, i, f"file://models/{i}/manifest.json")
    pool = [new_agent(balance=10_000 * ETHER) for _ in range(N_POOL)]
    return DrawWorld(protocol=protocol, params=params, models=models, pool=pool)
