"""Attack 5 of the v1 audit: taking a model id hostage.

`registerModel` is permissionless and a model id is the hash of a public package:
whoever registers a known package first becomes its publisher, can point it at a
bogus manifest and deprecate it. v1 had no way back. In v2 the protocol owner
corrects the registration and reinstates the model.
"""

from __future__ import annotations

import boa
from eth_utils import keccak

from deployments.params import Params

PACKAGE = keccak(b"the all-MiniLM-L6-v2 package everybody knows")


def _squat(world, squatter: str) -> None:
    with boa.env.prank(squatter):
        world.registry.registerModel(PACKAGE, 2, "ipfs://bogus-manifest")
        world.registry.deprecateModel(PACKAGE)


def test_v2_owner_recovers_the_hostage_id(deploy_v2):
    world = deploy_v2(Params())
    squatter, publisher = boa.env.generate_address(), boa.env.generate_address()
    _squat(world, squatter)
    with boa.env.prank(publisher), boa.reverts("registry: model already registered"):
        world.registry.registerModel(PACKAGE, 0, "ipfs://real-manifest")

    with boa.env.prank(world.owner):
        world.registry.correctModel(PACKAGE, publisher, 0, "ipfs://real-manifest")
        world.registry.reinstateModel(PACKAGE)
    info = world.registry.modelInfo(PACKAGE)
    assert (info.publisher, info.kind, info.status) == (publisher, 0, 1)
    assert info.manifest_uri == "ipfs://real-manifest"
    # The squatter has no say any more; the real publisher has.
    with boa.env.prank(squatter), boa.reverts("registry: caller is not the publisher or owner"):
        world.registry.deprecateModel(PACKAGE)
    agent_owner = boa.env.generate_address()
    boa.env.set_balance(agent_owner, 10 * 10**18)
    with boa.env.prank(agent_owner):
        world.staking.register(boa.env.generate_address(), [PACKAGE], "", value=10**18)
    assert world.staking.modelsOf(agent_owner) == [PACKAGE]


def test_v1_had_no_way_back(deploy_v1):
    world = deploy_v1(Params())
    squatter, publisher = boa.env.generate_address(), boa.env.generate_address()
    _squat(world, squatter)
    assert not hasattr(world.registry, "correctModel")
    assert not hasattr(world.registry, "reinstateModel")
    for caller in (world.owner, publisher):
        with boa.env.prank(caller), boa.reverts("registry: model already registered"):
            world.registry.registerModel(PACKAGE, 0, "ipfs://real-manifest")
    assert world.registry.modelInfo(PACKAGE).publisher == squatter
    assert not world.registry.isActive(PACKAGE)
