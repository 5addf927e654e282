import boa
import pytest

from tests.contracts.unitary.helpers import BROKEN_STAKING_SOURCE, ZERO_ADDRESS
from tests.contracts.utils.protocol import ETHER

MAX_SLASH = 100 * ETHER


def _deploy(deployer, registry, staking, **kw):
    args = {
        "fee": 10**14,
        "commit": 20,
        "reveal": 20,
        "missed": ETHER // 100,
        "wrong": ETHER // 20,
    }
    args.update(kw)
    return deployer.deploy(
        registry,
        staking,
        args["fee"],
        args["commit"],
        args["reveal"],
        args["missed"],
        args["wrong"],
    )


def test_parameters_and_wiring(market, registry, staking, params, owner):
    assert market.registry() == registry.address
    assert market.staking() == staking.address
    assert market.min_fee_per_agent() == params.min_fee_per_agent
    assert market.commit_window() == params.commit_window
    assert market.reveal_window() == params.reveal_window
    assert market.slash_missed() == params.slash_missed
    assert market.slash_wrong() == params.slash_wrong
    assert market.owner() == owner
    assert market.paused() is False
    assert market.treasury_balance() == 0
    assert market.task_count() == 0
    assert market.escrowed() == 0


def test_eip712_domain(market):
    fields, name, version, chain_id, verifying, salt, extensions = market.eip712Domain()
    assert fields == b"\x0f"
    assert (name, version) == ("agentnet", "1")
    assert chain_id == boa.env.evm.patch.chain_id
    assert verifying == market.address
    assert salt == b"\x00" * 32
    assert extensions == []


def test_accepts_bounds(market_deployer, registry, staking):
    m = _deploy(
        market_deployer, registry, staking, fee=ETHER, commit=2, reveal=2, missed=0, wrong=MAX_SLASH
    )
    assert (m.min_fee_per_agent(), m.commit_window(), m.reveal_window()) == (ETHER, 2, 2)
    assert (m.slash_missed(), m.slash_wrong()) == (0, MAX_SLASH)


def test_reverts_zero_registry(market_deployer, staking):
    with boa.reverts("market: zero registry"):
        _deploy(market_deployer, ZERO_ADDRESS, staking)


def test_reverts_zero_staking(market_deployer, registry):
    with boa.reverts("market: zero staking"):
        _deploy(market_deployer, registry, ZERO_ADDRESS)


def test_reverts_min_fee_out_of_bounds(market_deployer, registry, staking):
    with boa.reverts("market: min fee out of bounds"):
        _deploy(market_deployer, registry, staking, fee=ETHER + 1)


@pytest.mark.parametrize(
    ("commit", "reveal", "reason"),
    [
        (1, 20, "market: commit window out of bounds"),
        (20, 1, "market: reveal window out of bounds"),
        (1_800, 1_800, "market: windows exceed the unbonding period"),
    ],
)
def test_reverts_bad_windows(market_deployer, registry, staking, commit, reveal, reason):
    with boa.reverts(reason):
        _deploy(market_deployer, registry, staking, commit=commit, reveal=reveal)


@pytest.mark.parametrize(("missed", "wrong"), [(MAX_SLASH + 1, 0), (0, MAX_SLASH + 1)])
def test_reverts_slash_out_of_bounds(market_deployer, registry, staking, missed, wrong):
    with boa.reverts("market: slash amount out of bounds"):
        _deploy(market_deployer, registry, staking, missed=missed, wrong=wrong)


def test_a_short_draw_is_caught(market_deployer, registry, model_id, requester):
    # The market checks what the staking contract hands back; only a broken
    # staking contract can return fewer members than asked.
    broken = boa.loads(BROKEN_STAKING_SOURCE)
    m = _deploy(market_deployer, registry, broken)
    with boa.env.prank(requester), boa.reverts("market: committee draw failed"):
        m.createTask(model_id, b"{}", 1, 1, [], value=10**14)
