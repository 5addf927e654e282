"""Hostile receivers: re-entrancy on every ETH exit, and ETH-rejecting accounts.

Every function that sends ETH (`withdraw`, `withdrawTo`, `withdrawStake`, both
`withdrawTreasury`) sends it to a contract that calls straight back in; the
re-entrant call must fail and exactly the amount owed must leave. A receiver
that reverts on ETH blocks only itself: payments are pulled, so nobody else's
withdrawal and no task's finalize depend on it.
"""

import boa
import pytest

from deployments.boa_chain import mine, to_next_epoch
from tests.contracts.conftest import DEFAULT_OUTPUT
from tests.contracts.security.conftest import calldata
from tests.contracts.utils.draws import distinct, move_to_draw
from tests.contracts.utils.protocol import ETHER
from tests.contracts.utils.timing import wait_until_withdrawable


def _refund(market, receiver, model_id, params) -> int:
    """The receiver requests a task that nobody serves: its fee comes back as claimable."""
    fee = 3 * params.min_fee_per_agent + 7
    receiver.execute(market.address, calldata(market.createTask, model_id, b"x", 3, 2, []), fee)
    task_id = market.task_count()
    mine(2)
    market.activate(task_id)
    boa.env.time_travel(seconds=params.commit_window + params.reveal_window)
    market.finalize(task_id, b"")
    assert market.claimable(receiver.address) == fee
    return fee


@pytest.mark.parametrize("exit_fn", ["withdraw", "withdrawTo"])
@pytest.mark.parametrize("reentry_fn", ["withdraw", "withdrawTo"])
def test_market_withdraw_cannot_be_reentered(
    market, model_id, params, create_task, deploy_receiver, exit_fn, reentry_fn
):
    receiver = deploy_receiver()
    fee = _refund(market, receiver, model_id, params)
    # Someone else's fee is escrowed in the market too, within reach of a re-entry.
    create_task(fee=ETHER)
    assert boa.env.get_balance(market.address) >= ETHER + fee

    reentry = (
        calldata(market.withdraw)
        if reentry_fn == "withdraw"
        else calldata(market.withdrawTo, receiver.address)
    )
    receiver.arm(market.address, reentry)
    held = boa.env.get_balance(market.address)
    call = (
        calldata(market.withdraw)
        if exit_fn == "withdraw"
        else calldata(market.withdrawTo, receiver.address)
    )
    receiver.execute(market.address, call, 0)

    assert receiver.attempts() == 1
    assert not receiver.reentry_succeeded()
    assert receiver.received() == fee
    assert boa.env.get_balance(market.address) == held - fee
    assert market.claimable(receiver.address) == 0
    assert market.escrowed() == ETHER


def test_withdraw_stake_cannot_be_reentered(
    staking, model_id, params, agents, deploy_receiver, register_contract_agent
):
    receiver = deploy_receiver()
    register_contract_agent(receiver, [model_id], stake=2 * ETHER)
    receiver.execute(staking.address, calldata(staking.requestUnstake, ETHER), 0)
    wait_until_withdrawable(staking, receiver.address)

    receiver.arm(staking.address, calldata(staking.withdrawStake))
    held = boa.env.get_balance(staking.address)
    receiver.execute(staking.address, calldata(staking.withdrawStake), 0)

    assert receiver.attempts() == 1
    assert not receiver.reentry_succeeded()
    assert receiver.received() == ETHER
    assert boa.env.get_balance(staking.address) == held - ETHER
    assert staking.stakeOf(receiver.address) == ETHER
    assert staking.pendingUnstakeOf(receiver.address) == 0


def test_withdraw_stake_reentering_request_and_withdraw_gets_nothing_more(
    staking, model_id, params, deploy_receiver, register_contract_agent
):
    """Even a re-entry that first asks to unstake the rest is cut off by the lock
    (the unbonding period would stop it anyway)."""
    receiver = deploy_receiver()
    register_contract_agent(receiver, [model_id], stake=2 * ETHER)
    receiver.execute(staking.address, calldata(staking.deregister), 0)
    wait_until_withdrawable(staking, receiver.address)

    receiver.arm(staking.address, calldata(staking.withdrawStake))
    held = boa.env.get_balance(staking.address)
    receiver.execute(staking.address, calldata(staking.withdrawStake), 0)

    assert not receiver.reentry_succeeded()
    assert receiver.received() == 2 * ETHER
    assert boa.env.get_balance(staking.address) == held - 2 * ETHER
    assert staking.statusOf(receiver.address) == 0


@pytest.fixture
def owned_by_receiver(staking, market, owner, deploy_receiver, agents, params, create_task, play):
    """A hostile receiver that became the owner of staking and market (two-step),
    with ETH in both treasuries."""
    receiver = deploy_receiver()
    for contract in (staking, market):
        with boa.env.prank(owner):
            contract.transfer_ownership(receiver.address)
        receiver.execute(contract.address, calldata(contract.accept_ownership), 0)
        assert contract.owner() == receiver.address

    # A task where one member is wrong: slashed stake to the staking treasury
    # and the fee remainder (fee not divisible by 2) to the market treasury.
    task_id = create_task(size=3, quorum=2, fee=10**15 + 1)
    committee = list(market.committeeOf(task_id))
    play(task_id, {committee[0]: DEFAULT_OUTPUT, committee[1]: DEFAULT_OUTPUT, committee[2]: b"x"})
    market.finalize(task_id, DEFAULT_OUTPUT)
    assert staking.treasury_balance() == params.slash_wrong
    assert market.treasury_balance() == 1
    return receiver


@pytest.mark.parametrize("which", ["staking", "market"])
def test_withdraw_treasury_cannot_be_reentered(staking, market, owned_by_receiver, which):
    receiver = owned_by_receiver
    contract = staking if which == "staking" else market
    held_treasury = contract.treasury_balance()
    amount, rest = held_treasury - held_treasury // 2, held_treasury // 2
    # The re-entrant call asks for the rest, which alone would be a valid call:
    # only the re-entrancy lock can stop it.
    receiver.arm(contract.address, calldata(contract.withdrawTreasury, receiver.address, rest))
    held = boa.env.get_balance(contract.address)
    receiver.execute(
        contract.address, calldata(contract.withdrawTreasury, receiver.address, amount), 0
    )

    assert receiver.attempts() == 1
    assert not receiver.reentry_succeeded()
    assert receiver.received() == amount
    assert boa.env.get_balance(contract.address) == held - amount
    assert contract.treasury_balance() == rest


def test_rejecting_member_blocks_nobody(
    market,
    staking,
    registry,
    other_model_id,
    make_agent,
    deploy_receiver,
    register_contract_agent,
    run_round,
    params,
):
    """A committee member that reverts on ETH: finalize still pays the others,
    who withdraw normally; only its own `withdraw` fails, and `withdrawTo`
    gets its money out."""
    rejecter = deploy_receiver(reject=True)
    signer = register_contract_agent(rejecter, [other_model_id])
    honest = [make_agent(models=[other_model_id]) for _ in range(2)]
    to_next_epoch()
    requester = boa.env.generate_address()
    boa.env.set_balance(requester, ETHER)
    move_to_draw(staking, other_model_id, 3, market.task_count() + 1, distinct)
    with boa.env.prank(requester):
        task_id = market.createTask(other_model_id, b"x", 3, 2, [], value=3 * 10**15)
    mine(2)
    market.activate(task_id)
    assert set(map(str, market.committeeOf(task_id))) == {
        rejecter.address,
        *(a.owner for a in honest),
    }
    plan = {a.owner: (a.owner, DEFAULT_OUTPUT) for a in honest}
    plan[rejecter.address] = (signer.address, DEFAULT_OUTPUT)
    run_round(task_id, plan)
    market.finalize(task_id, DEFAULT_OUTPUT)
    assert market.taskPhase(task_id) == 5

    for a in honest:
        before = boa.env.get_balance(a.owner)
        with boa.env.prank(a.owner):
            market.withdraw()
        assert boa.env.get_balance(a.owner) == before + 10**15

    with boa.reverts("market: transfer failed"):
        rejecter.execute(market.address, calldata(market.withdraw), 0)
    assert market.claimable(rejecter.address) == 10**15
    payee = boa.env.generate_address()
    rejecter.execute(market.address, calldata(market.withdrawTo, payee), 0)
    assert boa.env.get_balance(payee) == 10**15
    assert registry.isActive(other_model_id)


def test_rejecting_requester_and_agent_block_nobody(
    market, staking, model_id, agents, deploy_receiver, register_contract_agent, params
):
    """A requester that reverts on ETH: its failed task still finalizes (refund is
    credited, not pushed). An agent that reverts on ETH cannot withdraw its stake,
    but every other agent can."""
    rejecter = deploy_receiver(reject=True)
    rejecter.execute(market.address, calldata(market.createTask, model_id, b"x", 3, 2, []), 10**15)
    task_id = market.task_count()
    mine(2)
    market.activate(task_id)
    boa.env.time_travel(seconds=params.commit_window + params.reveal_window)
    market.finalize(task_id, b"")
    assert market.taskPhase(task_id) == 6
    assert market.claimable(rejecter.address) == 10**15

    register_contract_agent(rejecter, [model_id])
    rejecter.execute(staking.address, calldata(staking.requestUnstake, ETHER // 2), 0)
    other = agents[4].owner
    with boa.env.prank(other):
        staking.requestUnstake(ETHER)
    wait_until_withdrawable(staking, other)
    with boa.reverts("staking: transfer failed"):
        rejecter.execute(staking.address, calldata(staking.withdrawStake), 0)
    before = boa.env.get_balance(other)
    with boa.env.prank(other):
        staking.withdrawStake()
    assert boa.env.get_balance(other) == before + ETHER
