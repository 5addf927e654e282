import boa
import pytest

from tests.contracts.unitary.helpers import ZERO_ADDRESS
from tests.contracts.utils.protocol import ETHER

MAX_SLASH = 100 * ETHER
MAX_GRACE = 30 * 86_400


def _deploy(deployer, registry, staking, **kw):
    args = {
        "fee": 10**14,
        "commit": 20,
        "reveal": 20,
        "missed": ETHER // 100,
        "wrong": ETHER // 20,
        "grace": 60,
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
        args["grace"],
    )


def test_parameters_and_wiring(market, registry, staking, params, owner):
    assert market.registry() == registry.address
    assert market.staking() == staking.address
    assert market.min_fee_per_agent() == params.min_fee_per_agent
    assert market.commit_window() == params.commit_window
    assert market.reveal_window() == params.reveal_window
    assert market.slash_missed() == params.slash_missed
    assert market.slash_wrong() == params.slash_wrong
    assert market.grace_period() == params.grace_period
    assert market.params_version() == 1
    assert market.paramsAt(1) == (
        params.commit_window,
        params.reveal_window,
        params.slash_missed,
        params.slash_wrong,
    )
    assert market.paramsAt(2) == (0, 0, 0, 0)
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
        market_deployer,
        registry,
        staking,
        fee=ETHER,
        commit=2,
        reveal=2,
        missed=0,
        wrong=MAX_SLASH,
        grace=2,
    )
    assert [type(ev).__name__ for ev in m.get_logs()][-4:] == [
        "MinFeeSet",
        "ParamsVersionAdded",
        "WindowsSet",
        "SlashAmountsSet",
    ]
    assert (m.min_fee_per_agent(), m.commit_window(), m.reveal_window()) == (ETHER, 2, 2)
    assert (m.slash_missed(), m.slash_wrong(), m.grace_period()) == (0, MAX_SLASH, 2)
    assert _deploy(market_deployer, registry, staking, grace=MAX_GRACE).grace_period() == MAX_GRACE


def test_reverts_zero_registry(market_deployer, staking):
    with boa.reverts("market: zero registry"):
        _deploy(market_deployer, ZERO_ADDRESS, staking)


def test_reverts_zero_staking(market_deployer, registry):
    with boa.reverts("market: zero staking"):
        _deploy(market_deployer, registry, ZERO_ADDRESS)


def test_reverts_min_fee_out_of_bounds(market_deployer, registry, staking):
    with boa.reverts("market_params: min fee out of bounds"):
        _deploy(market_deployer, registry, staking, fee=ETHER + 1)


@pytest.mark.parametrize(("commit", "reveal"), [(1, 20), (20, 1), (1_800, 1_800)])
def test_reverts_bad_windows(market_deployer, registry, staking, commit, reveal):
    with boa.reverts("market_params: windows out of bounds"):
        _deploy(market_deployer, registry, staking, commit=commit, reveal=reveal)


@pytest.mark.parametrize(("missed", "wrong"), [(MAX_SLASH + 1, 0), (0, MAX_SLASH + 1)])
def test_reverts_slash_out_of_bounds(market_deployer, registry, staking, missed, wrong):
    with boa.reverts("market_params: slash amount out of bounds"):
        _deploy(market_deployer, registry, staking, missed=missed, wrong=wrong)


@pytest.mark.parametrize("grace", [0, 1, MAX_GRACE + 1])
def test_reverts_grace_period_out_of_bounds(market_deployer, registry, staking, grace):
    with boa.reverts("market_params: grace period out of bounds"):
        _deploy(market_deployer, registry, staking, grace=grace)
