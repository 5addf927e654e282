"""The consumer module's paths the guestbook does not take, through a minimal contract
(tests/consumer/contracts/ConsumerHarness.vy), and the constructors of both languages."""

from __future__ import annotations

from typing import Any

import boa
import pytest
from eth.exceptions import Revert

from tests.consumer.evm import (
    ETHER,
    GENUINE,
    Chain,
    deploy_harness,
    deploy_solidity,
    deploy_solidity_guestbook,
    deploy_vyper_guestbook,
    guestbook_input,
    revert_reason,
)

INPUT = guestbook_input("hello")


def test_post_remembers_fee_and_tag(harness: Any, chain: Chain) -> None:
    fee = harness.taskFee()
    tag = 2**160 - 1
    task_id = harness.post(chain.model_id, INPUT, fee, tag)
    assert tuple(harness.requestOf(task_id)) == (1, fee, tag)
    assert tuple(harness.requestOf(task_id + 1)) == (0, 0, 0)
    view = chain.market.getTask(task_id)
    assert (view.committee_size, view.quorum, view.fee) == (3, 2, fee)


def test_deliver_hands_back_the_tag_and_the_output(harness: Any, chain: Chain) -> None:
    task_id = harness.post(chain.model_id, INPUT, harness.taskFee(), 42)
    chain.succeed(task_id, GENUINE)
    harness.deliver(task_id, GENUINE)
    assert harness.last_tag() == 42
    assert harness.last_output() == GENUINE
    assert tuple(harness.requestOf(task_id))[0] == 2


def test_post_with_its_own_committee_and_parents(harness: Any, chain: Chain) -> None:
    parent = harness.post(chain.model_id, INPUT, harness.taskFee(), 1)
    fee = chain.market.min_fee_per_agent() * 5
    child = harness.postWith(chain.model_id, INPUT, 5, 3, [parent], fee, 2)
    view = chain.market.getTask(child)
    assert (view.committee_size, view.quorum, list(view.parents)) == (5, 3, [parent])
    assert tuple(harness.requestOf(child)) == (1, fee, 2)


def test_tag_over_160_bits_reverts(harness: Any, chain: Chain) -> None:
    with boa.reverts("consumer: tag over 160 bits"):
        harness.post(chain.model_id, INPUT, harness.taskFee(), 2**160)


def test_fee_over_the_balance_reverts(harness: Any, chain: Chain) -> None:
    balance = boa.env.get_balance(str(harness.address))
    with boa.reverts("consumer: fee over the contract's balance"):
        harness.post(chain.model_id, INPUT, balance + 1, 0)
    # msg.value counts: the caller may pay the rest.
    task_id = harness.post(chain.model_id, INPUT, balance + 1, 0, value=1)
    assert chain.market.getTask(task_id).fee == balance + 1


def test_markets_own_refusals_come_through(harness: Any, chain: Chain) -> None:
    with boa.reverts("market: fee below minimum"):
        harness.post(chain.model_id, INPUT, harness.taskFee() - 1, 0)
    with boa.reverts("market: empty input"):
        harness.post(chain.model_id, b"", harness.taskFee(), 0)


def test_task_fee_follows_the_markets_minimum(harness: Any, chain: Chain) -> None:
    with boa.env.prank(chain.protocol.owner):
        chain.market.setMinFeePerAgent(7 * 10**14)
    assert harness.taskFee() == 3 * 7 * 10**14


def test_refund_pays_the_fee_and_only_once(harness: Any, chain: Chain) -> None:
    fee = harness.taskFee() * 2
    task_id = harness.post(chain.model_id, INPUT, fee, 9)
    chain.fail(task_id)
    caller = boa.env.generate_address()
    with boa.env.prank(caller):
        assert tuple(harness.refund(task_id)) == (fee, 9)
    assert boa.env.get_balance(caller) == fee
    assert tuple(harness.requestOf(task_id)) == (3, fee, 9)
    with boa.reverts("consumer: fee already refunded"):
        harness.refund(task_id)
    with boa.reverts("consumer: task failed"):
        harness.deliver(task_id, b"")
    with boa.reverts("consumer: task not posted by this contract"):
        harness.refund(task_id + 1)


def test_withdraw_refunds_is_open_to_anyone(harness: Any, chain: Chain) -> None:
    task_id = harness.post(chain.model_id, INPUT, harness.taskFee(), 0)
    assert harness.withdrawRefunds() == 0
    chain.fail(task_id)
    assert harness.pendingRefunds() == harness.taskFee()
    before = boa.env.get_balance(str(harness.address))
    with boa.env.prank(boa.env.generate_address()):
        assert harness.withdrawRefunds() == harness.taskFee()
    assert boa.env.get_balance(str(harness.address)) == before + harness.taskFee()
    assert harness.pendingRefunds() == 0


@pytest.mark.parametrize(
    ("size", "quorum", "reason"),
    [
        (0, 0, "consumer: committee size out of range"),
        (17, 9, "consumer: committee size out of range"),
        (3, 1, "consumer: quorum out of range"),
        (4, 2, "consumer: quorum out of range"),
        (3, 4, "consumer: quorum out of range"),
    ],
)
@pytest.mark.parametrize("language", ["vyper", "solidity"])
def test_constructor_refusals(
    chain: Chain, language: str, size: int, quorum: int, reason: str
) -> None:
    if language == "vyper":
        with boa.reverts(reason):
            deploy_vyper_guestbook(chain, size, quorum)
    else:  # the creation code of an ABI contract reverts with the raw revert data
        with pytest.raises(Revert) as refused:
            deploy_solidity_guestbook(chain, size, quorum)
        assert revert_reason(refused.value.args[0]) == reason


def test_zero_market_is_refused(chain: Chain) -> None:
    zero = "0x" + "00" * 20
    with boa.reverts("consumer: zero market"):
        deploy_harness("ConsumerHarness", zero, 3, 2)
    with pytest.raises(Revert) as refused:
        deploy_solidity("Guestbook", ["address", "bytes32", "uint8", "uint8"], [zero, b"", 3, 2])
    assert revert_reason(refused.value.args[0]) == "consumer: zero market"


def test_a_committee_of_one(chain: Chain) -> None:
    one = deploy_harness("ConsumerHarness", chain.market.address, 1, 1)
    assert one.taskFee() == chain.market.min_fee_per_agent()
    one.fund(value=ETHER)
    task_id = one.post(chain.model_id, INPUT, one.taskFee(), 0)
    assert chain.market.getTask(task_id).committee_size == 1
