import boa

from tests.contracts.unitary.helpers import ZERO_ADDRESS, events


def test_member_withdraws_its_reward(market, finalize_succeeded_task, members):
    task_id = finalize_succeeded_task(fee=3 * 10**15)
    m = members(task_id)[0]
    balance = boa.env.get_balance(m)
    with boa.env.prank(m):
        market.withdraw()
    (ev,) = events(market, "Withdrawn")
    assert (ev.account, ev.receiver, ev.amount) == (m, m, 10**15)
    assert boa.env.get_balance(m) == balance + 10**15
    assert market.claimable(m) == 0
    with boa.env.prank(m), boa.reverts("market: nothing to withdraw"):
        market.withdraw()


def test_requester_withdraws_its_refund(market, finalize_failed_task, requester):
    fee = 4 * 10**15
    finalize_failed_task(fee=fee)
    balance = boa.env.get_balance(requester)
    with boa.env.prank(requester):
        market.withdraw()
    assert boa.env.get_balance(requester) == balance + fee
    assert boa.env.get_balance(market.address) == 0


def test_reputation_survives_a_withdrawal(market, finalize_succeeded_task, members):
    task_id = finalize_succeeded_task()
    m = members(task_id)[0]
    with boa.env.prank(m):
        market.withdraw()
    assert market.reputation(m) == (1, 0, 0)


def test_reverts_nothing_to_withdraw(market, stranger):
    with boa.env.prank(stranger), boa.reverts("market: nothing to withdraw"):
        market.withdraw()


def test_withdraw_to_another_address(market, finalize_failed_task, requester, stranger):
    fee = 10**15
    finalize_failed_task(fee=fee)
    before = boa.env.get_balance(stranger)
    with boa.env.prank(requester):
        market.withdrawTo(stranger)
    (ev,) = events(market, "Withdrawn")
    assert (ev.account, ev.receiver, ev.amount) == (requester, stranger, fee)
    assert boa.env.get_balance(stranger) == before + fee
    assert market.claimable(requester) == 0


def test_withdraw_to_reverts_nothing_to_withdraw(market, stranger):
    with boa.env.prank(stranger), boa.reverts("market: nothing to withdraw"):
        market.withdrawTo(stranger)


def test_withdraw_to_reverts_zero_receiver(market, finalize_failed_task, requester):
    finalize_failed_task()
    with boa.env.prank(requester), boa.reverts("market: zero receiver"):
        market.withdrawTo(ZERO_ADDRESS)


def test_reverts_when_the_receiver_refuses(market, finalize_failed_task, requester, rejector):
    fee = 10**15
    finalize_failed_task(fee=fee)
    with boa.env.prank(requester), boa.reverts("market: transfer failed"):
        market.withdrawTo(rejector.address)
    # Nothing was lost: the balance is still claimable.
    assert market.claimable(requester) == fee


def test_allowed_while_paused(market, owner, finalize_failed_task, requester):
    finalize_failed_task()
    with boa.env.prank(owner):
        market.pause()
    with boa.env.prank(requester):
        market.withdraw()
    assert market.claimable(requester) == 0
