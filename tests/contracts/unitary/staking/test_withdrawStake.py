import boa
import pytest

from deployments.boa_chain import EPOCH_BLOCKS, block_number, mine
from tests.contracts.conftest import DEFAULT_OUTPUT
from tests.contracts.unitary.helpers import CONTRACT_AGENT_SOURCE, ZERO_ADDRESS, events
from tests.contracts.utils.protocol import ETHER


def _request(staking, agent, amount):
    with boa.env.prank(agent):
        staking.requestUnstake(amount)
    return staking.unbondAt(agent)


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_unbonding_boundary(staking, owner, agents, offset):
    with boa.env.prank(owner):  # longer than the two-epoch lag, so time decides
        staking.setUnbondingPeriod(10 * 3_600)
    agent = agents[1].owner  # 2 ETH
    unbond_at = _request(staking, agent, ETHER)
    boa.env.time_travel(seconds=unbond_at - boa.env.timestamp + offset)
    balance = boa.env.get_balance(agent)
    total = staking.total_staked()
    if offset < 0:
        with boa.env.prank(agent), boa.reverts("staking: still unbonding"):
            staking.withdrawStake()
        return
    with boa.env.prank(agent):
        staking.withdrawStake()
    (out,) = events(staking, "StakeWithdrawn")
    assert (out.agent, out.amount, out.stake) == (agent, ETHER, ETHER)
    assert boa.env.get_balance(agent) == balance + ETHER
    assert staking.stakeOf(agent) == ETHER
    assert staking.pendingUnstakeOf(agent) == 0
    assert staking.total_staked() == total - ETHER
    assert staking.statusOf(agent) == 1


def test_reverts_nothing_pending(staking, agents):
    with boa.env.prank(agents[0].owner), boa.reverts("staking: nothing pending"):
        staking.withdrawStake()


def test_reverts_twice(wait_until_withdrawable, staking, agents, params):
    agent = agents[0].owner
    _request(staking, agent, ETHER // 2)
    wait_until_withdrawable(agent)
    with boa.env.prank(agent):
        staking.withdrawStake()
        with boa.reverts("staking: nothing pending"):
            staking.withdrawStake()


def test_reverts_for_unknown_agent(staking, stranger):
    with boa.env.prank(stranger), boa.reverts("staking: not an agent"):
        staking.withdrawStake()


def test_signer_cannot_withdraw(wait_until_withdrawable, staking, agents, params):
    agent = agents[0]
    _request(staking, agent.owner, ETHER // 2)
    wait_until_withdrawable(agent.owner)
    with boa.env.prank(agent.signer.address), boa.reverts("staking: not an agent"):
        staking.withdrawStake()


def test_locked_while_on_an_unfinalized_committee(
    wait_until_withdrawable, staking, market, create_task, members, play, params
):
    task_id = create_task(size=5, quorum=3)
    agent = members(task_id)[0]
    assert market.openTasks(agent) == 1
    play(task_id, dict.fromkeys(members(task_id), DEFAULT_OUTPUT))
    _request(staking, agent, ETHER // 2)
    wait_until_withdrawable(agent)
    # Long past the task's windows, yet the task is not finalized.
    with boa.env.prank(agent), boa.reverts("staking: agent has open tasks"):
        staking.withdrawStake()

    market.finalize(task_id, DEFAULT_OUTPUT)
    assert market.openTasks(agent) == 0
    with boa.env.prank(agent):
        staking.withdrawStake()
    assert events(staking, "StakeWithdrawn")[0].amount == ETHER // 2


def test_allowed_while_paused(wait_until_withdrawable, staking, owner, agents, params):
    agent = agents[0].owner
    _request(staking, agent, ETHER // 2)
    wait_until_withdrawable(agent)
    with boa.env.prank(owner):
        staking.pause()
    with boa.env.prank(agent):
        staking.withdrawStake()
    assert staking.pendingUnstakeOf(agent) == 0


def test_deregistered_agent_is_forgotten_after_its_last_wei(
    wait_until_withdrawable, staking, model_id, agents, params
):
    agent = agents[0]
    balance = boa.env.get_balance(agent.owner)
    with boa.env.prank(agent.owner):
        staking.deregister()
    wait_until_withdrawable(agent.owner)
    with boa.env.prank(agent.owner):
        staking.withdrawStake()
    assert events(staking, "StakeWithdrawn")[0].stake == 0
    assert boa.env.get_balance(agent.owner) == balance + ETHER
    assert staking.statusOf(agent.owner) == 0
    assert staking.signerOf(agent.owner) == ZERO_ADDRESS
    assert staking.agentOfSigner(agent.signer.address) == ZERO_ADDRESS
    assert staking.resolveAgent(agent.signer.address) == ZERO_ADDRESS

    # The owner may come back, even with the same signer key.
    with boa.env.prank(agent.owner):
        staking.register(agent.signer.address, [model_id], "", value=ETHER)
    assert staking.statusOf(agent.owner) == 1
    assert staking.weightOf(agent.owner, model_id) == ETHER


def test_slash_during_unbonding_shrinks_the_payout(
    wait_until_withdrawable, staking, market, create_task, members, play, params
):
    task_id = create_task(size=3, quorum=2)
    silent, *honest = members(task_id)
    with boa.env.prank(silent):
        staking.deregister()
    stake = staking.stakeOf(silent)
    play(task_id, {silent: None, **dict.fromkeys(honest, DEFAULT_OUTPUT)})
    market.finalize(task_id, DEFAULT_OUTPUT)
    assert staking.pendingUnstakeOf(silent) == stake - params.slash_missed

    wait_until_withdrawable(silent)
    balance = boa.env.get_balance(silent)
    with boa.env.prank(silent):
        staking.withdrawStake()
    assert boa.env.get_balance(silent) == balance + stake - params.slash_missed
    assert staking.statusOf(silent) == 0


def test_reverts_when_the_owner_refuses_eth(
    wait_until_withdrawable, staking, model_id, stranger, params
):
    holder = boa.loads(CONTRACT_AGENT_SOURCE)
    with boa.env.prank(stranger):
        holder.register(staking.address, boa.env.generate_address(), [model_id], value=ETHER)
    holder.requestUnstake(staking.address, ETHER // 2)
    wait_until_withdrawable(holder.address)
    with boa.reverts("staking: transfer failed"):
        holder.withdrawStake(staking.address)
    assert staking.pendingUnstakeOf(holder.address) == ETHER // 2


def test_deregistered_agent_slashed_to_nothing_can_come_back(
    wait_until_withdrawable, staking, market, owner, model_id, create_task, members, play, by_owner
):
    with boa.env.prank(owner):
        market.setSlashAmounts(100 * ETHER, 100 * ETHER)
    task_id = create_task(size=3, quorum=2)
    silent, *honest = members(task_id)
    signer = by_owner(silent).signer.address
    with boa.env.prank(silent):
        staking.deregister()
    play(task_id, {silent: None, **dict.fromkeys(honest, DEFAULT_OUTPUT)})
    market.finalize(task_id, DEFAULT_OUTPUT)
    assert staking.stakeOf(silent) == 0

    wait_until_withdrawable(silent)
    if staking.statusOf(silent) != 0:
        with boa.env.prank(silent):
            staking.withdrawStake()
    assert staking.statusOf(silent) == 0
    assert staking.agentOfSigner(signer) == ZERO_ADDRESS
    with boa.env.prank(silent):
        staking.register(signer, [model_id], "", value=ETHER)
    assert staking.statusOf(silent) == 1


@pytest.mark.parametrize("offset", [-1, 0])
def test_stake_leaves_two_epochs_after_the_request(staking, owner, agents, offset):
    """Stake asked out in epoch k still counts in draws of epoch k, which can seat
    until the end of epoch k + 1: it may leave from the first block of epoch k + 2."""
    with boa.env.prank(owner):
        staking.setUnbondingPeriod(60)  # shorter than the lag, so the epoch decides
    agent = agents[1].owner
    _request(staking, agent, ETHER)
    epoch = block_number() // EPOCH_BLOCKS
    assert staking.withdrawableFromEpoch(agent) == epoch + 2
    mine((epoch + 2) * EPOCH_BLOCKS + offset - block_number())
    assert boa.env.timestamp >= staking.unbondAt(agent)
    with boa.env.prank(agent):
        if offset < 0:
            with boa.reverts("staking: stake still counts in draws"):
                staking.withdrawStake()
        else:
            staking.withdrawStake()
            assert staking.stakeOf(agent) == ETHER


def test_a_new_request_restarts_the_lag(staking, owner, agents):
    with boa.env.prank(owner):
        staking.setUnbondingPeriod(60)
    agent = agents[1].owner
    _request(staking, agent, ETHER // 2)
    mine(EPOCH_BLOCKS)
    _request(staking, agent, ETHER // 2)
    mine(EPOCH_BLOCKS)
    with boa.env.prank(agent), boa.reverts("staking: stake still counts in draws"):
        staking.withdrawStake()
