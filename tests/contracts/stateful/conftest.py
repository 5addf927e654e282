"""The world the stateful machine starts every example from.

A fresh protocol is deployed once per module (not the session `protocol`, so
that agents other test modules registered cannot blur the ETH accounting), with
three models, eight agents of varied stakes and model lists, two funded
addresses that may register later, and three requesters; then the chain moves to the
next stake epoch, so that the agents can be drawn. titanoboa's pytest plugin wraps
every hypothesis example in `boa.env.anchor()`, so each example starts from
exactly this state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import boa
import pytest
from eth_utils import keccak

from deployments.boa_chain import EPOCH_BLOCKS, block_number, to_next_epoch
from deployments.boa_deploy import Protocol, deploy
from deployments.params import Params
from tests.contracts.utils.protocol import ETHER, AgentKeys, new_agent

# Stakes of the registered agents, from just above `min_stake` to 5 ETH, and
# the models (indices into World.models) each one serves.
AGENT_STAKES = [ETHER // 10, 15 * ETHER // 100, 3 * ETHER // 10, ETHER // 2, ETHER, 2 * ETHER]
AGENT_STAKES += [3 * ETHER, 5 * ETHER]
AGENT_MODELS = [[0], [0, 1], [0, 2], [0, 1, 2], [1], [0, 1], [0, 2], [1, 2]]
N_SPARES = 2
N_REQUESTERS = 3


@dataclass
class World:
    protocol: Protocol
    params: Params
    publisher: str
    models: list[bytes]
    agents: list[AgentKeys]
    agent_models: list[list[bytes]]
    spares: list[AgentKeys]
    requesters: list[str]
    registered_epoch: int
    outsiders: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def world() -> World:
    params = Params()
    protocol = deploy(params, owner=boa.env.generate_address())
    publisher = boa.env.generate_address()
    models = [keccak(f"agentnet stateful model {i}".encode()) for i in range(3)]
    with boa.env.prank(publisher):
        for i, mid in enumerate(models):
            protocol.registry.registerModel(mid, i, f"file://models/{i}/manifest.json")

    agents, agent_models = [], []
    registered_epoch = block_number() // EPOCH_BLOCKS
    for stake, idx in zip(AGENT_STAKES, AGENT_MODELS, strict=True):
        agent = new_agent(balance=1_000 * ETHER)
        served = [models[i] for i in idx]
        with boa.env.prank(agent.owner):
            protocol.staking.register(agent.signer.address, served, "", value=stake)
        agents.append(agent)
        agent_models.append(served)
    spares = [new_agent(balance=1_000 * ETHER) for _ in range(N_SPARES)]
    requesters = []
    for _ in range(N_REQUESTERS):
        addr = boa.env.generate_address()
        boa.env.set_balance(addr, 1_000 * ETHER)
        requesters.append(addr)
    outsiders = [boa.env.generate_address() for _ in range(2)]
    assert block_number() // EPOCH_BLOCKS == registered_epoch
    to_next_epoch()
    return World(
        protocol=protocol,
        params=params,
        publisher=publisher,
        models=models,
        agents=agents,
        agent_models=agent_models,
        spares=spares,
        requesters=requesters,
        registered_epoch=registered_epoch,
        outsiders=outsiders,
    )
