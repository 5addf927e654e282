"""The guestbook, in Vyper and in Solidity, on the real protocol (in-process EVM).

Each test runs once per language: both contracts have the same ABI, events and revert
reasons, so a dApp's users and clients cannot tell them apart.
"""

from __future__ import annotations

from typing import Any

import boa
import pytest

from tests.consumer.evm import (
    ETHER,
    GENUINE,
    SPAM,
    Chain,
    deploy_harness,
    guestbook_input,
    revert_reason,
)

PENDING, PUBLISHED, REJECTED, REFUNDED = 1, 2, 3, 4
NO_LABEL = 2**256 - 1


def post(guestbook: Any, poster: str, text: str, fee: int | None = None) -> tuple[int, int]:
    """(post id, task id) of a new post paying ``fee`` (default: the task fee)."""
    with boa.env.prank(poster):
        post_id = guestbook.post(text, value=guestbook.taskFee() if fee is None else fee)
    return post_id, guestbook.posts(post_id).task_id


def events(contract: Any, name: str) -> list[Any]:
    """Events ``name`` of the last call to ``contract`` (the market's nested ones too)."""
    return [e for e in contract.get_logs() if type(e).__name__ == name]


def test_post_creates_a_classification_task_paid_by_the_poster(
    guestbook: Any, chain: Chain, poster: str
) -> None:
    fee = guestbook.taskFee()
    assert fee == chain.market.min_fee_per_agent() * 3
    before = boa.env.get_balance(poster)
    post_id, task_id = post(guestbook, poster, "Lovely evening, thanks for hosting!")

    assert boa.env.get_balance(poster) == before - fee
    assert boa.env.get_balance(str(guestbook.address)) == 0  # the fee went on to the market
    view = chain.market.getTask(task_id)
    assert str(view.requester) == str(guestbook.address)
    assert (view.fee, view.committee_size, view.quorum) == (fee, 3, 2)
    assert bytes(view.model_id) == chain.model_id
    assert guestbook.posts(post_id) == (
        post_id,
        poster,
        task_id,
        PENDING,
        "Lovely evening, thanks for hosting!",
    )
    assert tuple(guestbook.requestOf(task_id)) == (1, fee, post_id)
    assert guestbook.post_count() == post_id


def test_task_input_is_the_zero_shot_classification_of_the_text(
    guestbook: Any, poster: str
) -> None:
    text = "Ünïcödé is welcome: 🎉 {braces} and 'single quotes' too"
    with boa.env.prank(poster):
        post_id = guestbook.post(text, value=guestbook.taskFee())
    (created,) = events(guestbook, "TaskCreated")
    assert created.input == guestbook_input(text)
    assert (created.committee_size, created.quorum, created.parents) == (3, 2, [])
    (posted,) = events(guestbook, "TaskPosted")
    assert (posted.task_id, posted.tag) == (created.task_id, post_id)
    (submitted,) = events(guestbook, "PostSubmitted")
    assert (submitted.post_id, submitted.poster, submitted.text) == (post_id, poster, text)


def test_genuine_verdict_publishes(guestbook: Any, chain: Chain, poster: str) -> None:
    post_id, task_id = post(guestbook, poster, "Great party")
    chain.succeed(task_id, GENUINE)
    deliverer = boa.env.generate_address()
    with boa.env.prank(deliverer):
        guestbook.deliver(task_id, GENUINE)
    (delivered,) = events(guestbook, "ResultDelivered")
    assert (delivered.task_id, delivered.deliverer) == (task_id, deliverer)
    (published,) = events(guestbook, "PostPublished")
    assert (published.post_id, published.poster, published.text) == (post_id, poster, "Great party")
    assert not events(guestbook, "PostRejected")

    assert guestbook.posts(post_id).status == PUBLISHED
    assert guestbook.published_count() == 1
    assert guestbook.published(0) == post_id
    assert [tuple(p) for p in guestbook.publishedPage(0, 20)] == [
        (post_id, poster, task_id, PUBLISHED, "Great party")
    ]
    assert tuple(guestbook.requestOf(task_id))[0] == 2


def test_spam_verdict_rejects(guestbook: Any, chain: Chain, poster: str) -> None:
    post_id, task_id = post(guestbook, poster, "BUY CHEAP PILLS NOW")
    chain.succeed(task_id, SPAM)
    guestbook.deliver(task_id, SPAM)
    (rejected,) = events(guestbook, "PostRejected")
    assert (rejected.post_id, rejected.poster, rejected.label_index) == (post_id, poster, 0)
    assert not events(guestbook, "PostPublished")

    assert guestbook.posts(post_id).status == REJECTED
    assert guestbook.published_count() == 0
    assert list(guestbook.publishedPage(0, 20)) == []


def test_error_output_rejects(guestbook: Any, chain: Chain, poster: str) -> None:
    """A committee that found the input invalid agrees on an error: the post is rejected."""
    post_id, task_id = post(guestbook, poster, "x" * 280)
    chain.succeed(task_id, b'{"error":"too_long"}')
    guestbook.deliver(task_id, b'{"error":"too_long"}')
    (rejected,) = events(guestbook, "PostRejected")
    assert rejected.label_index == NO_LABEL
    assert guestbook.posts(post_id).status == REJECTED


def test_published_page_bounds(guestbook: Any, chain: Chain, poster: str) -> None:
    ids = []
    for i in range(3):
        post_id, task_id = post(guestbook, poster, f"hello {i}")
        chain.succeed(task_id, GENUINE)
        guestbook.deliver(task_id, GENUINE)
        ids.append(post_id)
    assert [p.text for p in guestbook.publishedPage(1, 20)] == ["hello 1", "hello 2"]
    assert [p.text for p in guestbook.publishedPage(0, 1)] == ["hello 0"]
    assert list(guestbook.publishedPage(3, 5)) == []
    assert len(guestbook.publishedPage(0, 1_000)) == 3
    assert guestbook.published(3) == 0


def test_delivering_twice_reverts(guestbook: Any, chain: Chain, poster: str) -> None:
    _, task_id = post(guestbook, poster, "twice")
    chain.succeed(task_id, GENUINE)
    guestbook.deliver(task_id, GENUINE)
    with boa.reverts("consumer: result already delivered"):
        guestbook.deliver(task_id, GENUINE)
    assert guestbook.published_count() == 1


def test_another_tasks_output_reverts(guestbook: Any, chain: Chain, poster: str) -> None:
    """The spam verdict of one post cannot be swapped for the genuine one of another."""
    _, spam_task = post(guestbook, poster, "spam spam")
    _, good_task = post(guestbook, poster, "genuine")
    chain.succeed(spam_task, SPAM)
    chain.succeed(good_task, GENUINE)
    with boa.reverts("consumer: output does not match the result"):
        guestbook.deliver(spam_task, GENUINE)
    with boa.reverts("consumer: output does not match the result"):
        guestbook.deliver(spam_task, SPAM + b" ")


def test_failed_task_output_reverts(guestbook: Any, chain: Chain, poster: str) -> None:
    _, task_id = post(guestbook, poster, "nobody answers")
    chain.fail(task_id)
    with boa.reverts("consumer: task failed"):
        guestbook.deliver(task_id, b"")


def test_unfinalized_task_reverts(guestbook: Any, chain: Chain, poster: str) -> None:
    _, task_id = post(guestbook, poster, "still open")
    with boa.reverts("consumer: task not finalized"):
        guestbook.deliver(task_id, GENUINE)
    chain.activate(task_id)
    with boa.reverts("consumer: task not finalized"):
        guestbook.deliver(task_id, GENUINE)


def test_task_posted_by_someone_else_reverts(guestbook: Any, chain: Chain, poster: str) -> None:
    """A task created on the market directly, with the genuine verdict, publishes nothing."""
    with boa.env.prank(poster):
        task_id = chain.market.createTask(
            chain.model_id, guestbook_input("sneaky"), 3, 2, [], value=guestbook.taskFee()
        )
    chain.succeed(task_id, GENUINE)
    with boa.reverts("consumer: task not posted by this contract"):
        guestbook.deliver(task_id, GENUINE)
    with boa.reverts("consumer: task not posted by this contract"):
        guestbook.deliver(10_000, GENUINE)


def test_failed_task_refunds_the_poster(guestbook: Any, chain: Chain, poster: str) -> None:
    post_id, task_id = post(guestbook, poster, "unlucky")
    fee = guestbook.taskFee()
    chain.fail(task_id)
    assert guestbook.pendingRefunds() == fee
    before = boa.env.get_balance(poster)
    with boa.env.prank(poster):
        guestbook.reclaim(post_id)
    (refunded,) = events(guestbook, "PostRefunded")
    assert (refunded.post_id, refunded.poster, refunded.amount) == (post_id, poster, fee)
    (task_refund,) = events(guestbook, "TaskRefunded")
    assert (task_refund.task_id, task_refund.fee, task_refund.tag) == (task_id, fee, post_id)

    assert boa.env.get_balance(poster) == before + fee
    assert guestbook.posts(post_id).status == REFUNDED
    assert tuple(guestbook.requestOf(task_id))[0] == 3
    assert guestbook.pendingRefunds() == 0
    assert boa.env.get_balance(str(guestbook.address)) == 0
    with boa.env.prank(poster), boa.reverts("consumer: fee already refunded"):
        guestbook.reclaim(post_id)


def test_refunds_pulled_in_bulk_still_pay_each_poster(
    guestbook: Any, chain: Chain, poster: str
) -> None:
    first, t1 = post(guestbook, poster, "one")
    second, t2 = post(guestbook, poster, "two")
    chain.fail(t1)
    chain.fail(t2)
    fee = guestbook.taskFee()
    assert guestbook.withdrawRefunds() == 2 * fee
    assert boa.env.get_balance(str(guestbook.address)) == 2 * fee
    before = boa.env.get_balance(poster)
    with boa.env.prank(poster):
        guestbook.reclaim(first)
        guestbook.reclaim(second)
    assert boa.env.get_balance(poster) == before + 2 * fee
    assert boa.env.get_balance(str(guestbook.address)) == 0
    assert guestbook.withdrawRefunds() == 0


def test_reclaim_refusals(guestbook: Any, chain: Chain, poster: str) -> None:
    post_id, task_id = post(guestbook, poster, "refusals")
    with boa.env.prank(poster), boa.reverts("consumer: task not finalized"):
        guestbook.reclaim(post_id)
    chain.succeed(task_id, GENUINE)
    with boa.env.prank(poster), boa.reverts("consumer: task succeeded"):
        guestbook.reclaim(post_id)
    with boa.env.prank(boa.env.generate_address()), boa.reverts("guestbook: not the poster"):
        guestbook.reclaim(post_id)
    with boa.env.prank(poster), boa.reverts("guestbook: unknown post"):
        guestbook.reclaim(post_id + 1)


@pytest.mark.parametrize(
    "text",
    ['say "hi"', "back\\slash", "new\nline", "tab\there", "nul\x00", "x" * 40 + '"'],
)
def test_post_refuses_text_that_would_break_the_input(
    guestbook: Any, poster: str, text: str
) -> None:
    with boa.reverts("guestbook: text holds a quote, backslash or control character"):
        post(guestbook, poster, text)


def test_post_refusals(guestbook: Any, poster: str) -> None:
    with boa.reverts("guestbook: empty text"):
        post(guestbook, poster, "")
    with boa.reverts("market: fee below minimum"):
        post(guestbook, poster, "cheap", fee=guestbook.taskFee() - 1)
    assert guestbook.post_count() == 0


def test_plain_transfers_are_refused(guestbook: Any, poster: str) -> None:
    computation = boa.env.execute_code(str(guestbook.address), sender=poster, value=ETHER)
    assert computation.is_error
    assert revert_reason(computation.output) == "consumer: only the market sends ether"
    assert boa.env.get_balance(str(guestbook.address)) == 0


def test_overpaying_pays_the_committee_more(guestbook: Any, chain: Chain, poster: str) -> None:
    fee = guestbook.taskFee() * 5
    _, task_id = post(guestbook, poster, "a generous tip", fee=fee)
    assert chain.market.getTask(task_id).fee == fee
    assert tuple(guestbook.requestOf(task_id))[1] == fee


@pytest.fixture
def contract_poster(guestbook: Any, chain: Chain, poster: str) -> Any:
    """A contract that posted to ``guestbook``; its task failed."""
    contract = deploy_harness("Poster")
    with boa.env.prank(poster):
        contract.post(guestbook.address, "from a contract", value=guestbook.taskFee())
    chain.fail(guestbook.posts(contract.post_id()).task_id)
    return contract


def test_reclaim_cannot_be_reentered(guestbook: Any, contract_poster: Any, request: Any) -> None:
    fee = guestbook.taskFee()
    contract_poster.reclaim(1)  # its fallback calls reclaim again while receiving the fee
    assert boa.env.get_balance(str(contract_poster.address)) == fee
    assert contract_poster.reentered() and not contract_poster.reentry_ok()
    if "solidity" in request.node.name:
        assert revert_reason(contract_poster.reentry_data()) == "consumer: reentrant call"
    else:  # Vyper's @nonreentrant lock reverts without data
        assert contract_poster.reentry_data() == b""
    assert guestbook.posts(contract_poster.post_id()).status == REFUNDED


def test_a_poster_refusing_its_refund_keeps_it_claimable(
    guestbook: Any, contract_poster: Any
) -> None:
    with boa.reverts("guestbook: transfer failed"):
        contract_poster.reclaim(2)
    assert guestbook.posts(contract_poster.post_id()).status == PENDING
    contract_poster.reclaim(0)
    assert boa.env.get_balance(str(contract_poster.address)) == guestbook.taskFee()


def test_text_over_280_bytes(guestbook: Any, poster: str, request: Any) -> None:
    post(guestbook, poster, "é" * 140)  # 280 bytes
    if "solidity" in request.node.name:
        with boa.reverts("guestbook: text over 280 bytes"):
            post(guestbook, poster, "x" * 281)
    else:  # Vyper's ABI decoder refuses a String[280] argument over 280 bytes
        with boa.reverts():
            post(guestbook, poster, "x" * 281)
