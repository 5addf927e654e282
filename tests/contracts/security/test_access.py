"""Privileged functions refuse every other caller, and a stolen signer key
cannot move an agent's money."""

import boa
import pytest
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.contracts.conftest import DEFAULT_OUTPUT
from tests.contracts.utils.protocol import ETHER

NOT_OWNER = "ownable: caller is not the owner"

# (contract, function, args builder(caller, ctx), expected reason)
PRIVILEGED = [
    ("market", "pause", lambda c, x: (), NOT_OWNER),
    ("market", "unpause", lambda c, x: (), NOT_OWNER),
    ("market", "setMinFeePerAgent", lambda c, x: (1,), NOT_OWNER),
    ("market", "setWindows", lambda c, x: (10, 10), NOT_OWNER),
    ("market", "setSlashAmounts", lambda c, x: (1, 1), NOT_OWNER),
    ("market", "withdrawTreasury", lambda c, x: (c, 0), NOT_OWNER),
    ("market", "transfer_ownership", lambda c, x: (c,), NOT_OWNER),
    ("market", "accept_ownership", lambda c, x: (), "ownable_2step: caller is not the new owner"),
    ("staking", "pause", lambda c, x: (), NOT_OWNER),
    ("staking", "unpause", lambda c, x: (), NOT_OWNER),
    ("staking", "setMinStake", lambda c, x: (1,), NOT_OWNER),
    ("staking", "setUnbondingPeriod", lambda c, x: (7_200,), NOT_OWNER),
    ("staking", "withdrawTreasury", lambda c, x: (c, 0), NOT_OWNER),
    ("staking", "setMarket", lambda c, x: (c,), NOT_OWNER),
    ("staking", "transfer_ownership", lambda c, x: (c,), NOT_OWNER),
    ("staking", "accept_ownership", lambda c, x: (), "ownable_2step: caller is not the new owner"),
    (
        "staking",
        "slash",
        lambda c, x: (x["agent"], ETHER, 1, 1),
        "staking: caller is not the market",
    ),
    ("registry", "transfer_ownership", lambda c, x: (c,), NOT_OWNER),
    (
        "registry",
        "accept_ownership",
        lambda c, x: (),
        "ownable_2step: caller is not the new owner",
    ),
    (
        "registry",
        "correctModel",
        lambda c, x: (x["model_id"], c, 0, "ipfs://m"),
        NOT_OWNER,
    ),
    ("registry", "reinstateModel", lambda c, x: (x["model_id"],), NOT_OWNER),
    (
        "registry",
        "deprecateModel",
        lambda c, x: (x["model_id"],),
        "registry: caller is not the publisher or owner",
    ),
]

addresses = st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())


@pytest.mark.parametrize(
    ("contract", "fn", "args", "reason"), PRIVILEGED, ids=[f"{c}.{f}" for c, f, *_ in PRIVILEGED]
)
@settings(max_examples=5, deadline=None, database=None)
@given(caller=addresses)
def test_privileged_functions_refuse_other_callers(
    protocol, model_id, publisher, agents, contract, fn, args, reason, caller
):
    privileged = {
        str(protocol.owner).lower(),
        str(publisher).lower(),
        str(protocol.market.address).lower(),
        "0x" + "00" * 20,
    }
    if caller.lower() in privileged:
        return
    target = getattr(protocol, contract)
    ctx = {"agent": agents[0].owner, "model_id": model_id}
    stake = protocol.staking.stakeOf(agents[0].owner)
    with boa.env.prank(caller), boa.reverts(reason):
        getattr(target, fn)(*args(caller, ctx))
    assert protocol.staking.stakeOf(agents[0].owner) == stake
    assert protocol.registry.isActive(model_id)


def test_publisher_of_one_model_cannot_deprecate_another(registry, model_id):
    stranger = boa.env.generate_address()
    other = keccak(b"someone else's model")
    with boa.env.prank(stranger):
        registry.registerModel(other, 0, "file://x")
        with boa.reverts("registry: caller is not the publisher or owner"):
            registry.deprecateModel(model_id)
        registry.deprecateModel(other)
    assert registry.isActive(model_id)


def test_stolen_signer_cannot_take_stake_or_rewards(
    market, staking, agents, create_task, play, members, wait_until_withdrawable
):
    """The signer key alone can commit and reveal for its agent, nothing more:
    it cannot unstake, withdraw stake or rewards, change the signer or leave."""
    keys = agents[2]
    task_id = create_task(size=5, quorum=3, fee=5 * 10**15)
    play(task_id, dict.fromkeys(members(task_id), DEFAULT_OUTPUT))
    market.finalize(task_id, DEFAULT_OUTPUT)
    thief = keys.signer.address
    boa.env.set_balance(thief, 0)
    stake = staking.stakeOf(keys.owner)
    reward = market.claimable(keys.owner)
    assert reward == 10**15

    # The owner had asked to unstake, and the unbonding period passed.
    with boa.env.prank(keys.owner):
        staking.requestUnstake(ETHER // 2)
    wait_until_withdrawable(keys.owner)

    with boa.env.prank(thief):
        with boa.reverts("staking: not an agent"):
            staking.withdrawStake()
        with boa.reverts("staking: not an agent"):
            staking.requestUnstake(1)
        with boa.reverts("staking: not an agent"):
            staking.setSigner(boa.env.generate_address())
        with boa.reverts("staking: not an active agent"):
            staking.deregister()
        with boa.reverts("staking: not an active agent"):
            staking.setModels([])
        with boa.reverts("market: nothing to withdraw"):
            market.withdraw()
        with boa.reverts("market: nothing to withdraw"):
            market.withdrawTo(thief)
        with boa.reverts("staking: caller is a signer"):
            staking.register(boa.env.generate_address(), [], "", value=0)

    assert boa.env.get_balance(thief) == 0
    assert staking.stakeOf(keys.owner) == stake
    assert staking.pendingUnstakeOf(keys.owner) == ETHER // 2
    assert market.claimable(keys.owner) == reward
    assert staking.signerOf(keys.owner) == thief

    # The owner still gets everything out.
    before = boa.env.get_balance(keys.owner)
    with boa.env.prank(keys.owner):
        staking.withdrawStake()
        market.withdraw()
    assert boa.env.get_balance(keys.owner) == before + ETHER // 2 + reward
