"""Fixtures for the v1 attack tests: v1 and v2 deployments side by side.

Each attack of the v1 audit runs as written against v2 (and fails), and, where it
is cheap, against the v1 contracts too (and succeeds), so that a test proves it
could fail. The v1 sources come from git history (`V1_COMMIT`), compiled from a
temporary directory; without git or that commit, the v1 halves are skipped.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boa
import pytest
from eth_utils import keccak

from deployments.boa_chain import block_hash, block_number, mine
from deployments.boa_deploy import deploy
from deployments.params import Params
from tests.contracts.utils.draws import move_to_draw
from tests.contracts.utils.protocol import ETHER, AgentKeys, new_agent

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
V1_COMMIT = "15a1949"
V1_FILES = [
    "ModelRegistry.vy",
    "AgentStaking.vy",
    "TaskMarket.vy",
    "interfaces/IAgentStaking.vyi",
    "interfaces/IModelRegistry.vyi",
    "interfaces/ITaskMarket.vyi",
]
GRINDER = boa.load_partial(str(HERE / "contracts" / "Grinder.vy"))


@dataclass
class World:
    """A deployed protocol (v1 or v2) with one registered model."""

    version: int
    registry: Any
    staking: Any
    market: Any
    owner: str
    params: Params
    model_id: bytes

    def add_agent(self, stake: int, models: list[bytes] | None = None) -> AgentKeys:
        agent = new_agent(balance=stake + 10 * ETHER)
        with boa.env.prank(agent.owner):
            self.staking.register(agent.signer.address, models or [self.model_id], "", value=stake)
        return agent


@pytest.fixture(scope="session")
def v1_sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The v1 contracts, written from git history into a temporary directory."""
    out = tmp_path_factory.mktemp("contracts_v1")
    for name in V1_FILES:
        try:
            source = subprocess.run(
                ["git", "show", f"{V1_COMMIT}:contracts/{name}"],
                cwd=ROOT,
                capture_output=True,
                check=True,
            ).stdout
        except (OSError, subprocess.CalledProcessError):
            pytest.skip(f"v1 sources ({V1_COMMIT}) are not in this checkout's history")
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(source)
    return out


@pytest.fixture(scope="session")
def deploy_v1(v1_sources: Path) -> Callable[[Params], World]:
    """deploy_v1(params) -> a v1 World (the v1 constructors and wiring)."""
    partial = {
        n: boa.load_partial(str(v1_sources / f"{n}.vy"))
        for n in ("ModelRegistry", "AgentStaking", "TaskMarket")
    }

    def _deploy(params: Params) -> World:
        owner = boa.env.generate_address()
        with boa.env.prank(owner):
            registry = partial["ModelRegistry"].deploy()
            staking = partial["AgentStaking"].deploy(
                registry.address, params.min_stake, params.unbonding_period
            )
            market = partial["TaskMarket"].deploy(
                registry.address,
                staking.address,
                params.min_fee_per_agent,
                params.commit_window,
                params.reveal_window,
                params.slash_missed,
                params.slash_wrong,
            )
            staking.setMarket(market.address)
        return _with_model(World(1, registry, staking, market, owner, params, b""))

    return _deploy


@pytest.fixture(scope="session")
def deploy_v2() -> Callable[[Params], World]:
    """deploy_v2(params) -> a v2 World (deployments.boa_deploy, as users deploy)."""

    def _deploy(params: Params) -> World:
        p = deploy(params, owner=boa.env.generate_address())
        return _with_model(World(2, p.registry, p.staking, p.market, p.owner, params, b""))

    return _deploy


def _with_model(world: World) -> World:
    model_id = keccak(f"attack model v{world.version}".encode())
    world.registry.registerModel(model_id, 0, "file://attack/manifest.json")
    world.model_id = model_id
    return world


def seat_task(
    world: World,
    requester: str,
    size: int,
    quorum: int,
    want: Callable[[list[str]], bool],
    parents: tuple[int, ...] = (),
    fee: int = 10**15,
) -> int:
    """A v2 task created in a block whose draw `want` accepts, then activated
    (a task with parents is only created)."""
    if not parents:
        move_to_draw(world.staking, world.model_id, size, world.market.task_count() + 1, want)
    with boa.env.prank(requester):
        task_id = world.market.createTask(
            world.model_id, b'{"text":"x"}', size, quorum, list(parents), value=fee
        )
    if not parents:
        mine(2)
        world.market.activate(task_id)
    return task_id


def next_block() -> None:
    """Mine a block, giving it a fresh prevrandao as a real chain would (v1 seeds
    its draw from it; v2 ignores it)."""
    mine(1)
    boa.env.evm.patch.prevrandao = block_hash(block_number(), b"prevrandao")


@pytest.fixture(scope="session")
def grinder() -> Callable[[World, list[str]], Any]:
    """grinder(world, attacker_agents) -> a funded Grinder attacking `world.market`."""

    def _deploy(world: World, agents: list[str]) -> Any:
        contract = GRINDER.deploy(world.market.address, agents)
        boa.env.set_balance(contract.address, 1_000 * ETHER)
        return contract

    return _deploy
