import boa
import pytest
from eth_utils import keccak

from tests.contracts.conftest import DEFAULT_OUTPUT
from tests.contracts.unitary.conftest import OTHER_OUTPUT
from tests.contracts.unitary.helpers import events
from tests.contracts.utils.protocol import new_salt

H = keccak(DEFAULT_OUTPUT)


@pytest.fixture
def committed(market, task, members, commit_as):
    """The task with two of its three members committed; returns {member: salt}."""
    return {m: commit_as(task, m) for m in members(task)[:2]}


def test_owner_reveals(market, task, committed, travel_to):
    travel_to(market.getTask(task).commit_end)
    member, salt = next(iter(committed.items()))
    with boa.env.prank(member):
        market.reveal(task, H, salt)
    (ev,) = events(market, "Revealed")
    assert (ev.task_id, ev.agent, ev.result_hash) == (task, member, H)
    assert market.memberState(task, member) == (1, True, True, H)
    t = market.getTask(task)
    assert [m.revealed for m in t.members] == [True, False, False]
    assert t.members[0].result_hash == H
    assert t.phase == 3


def test_signer_reveals_for_its_agent(market, task, committed, travel_to, by_owner):
    travel_to(market.getTask(task).commit_end)
    member, salt = list(committed.items())[1]
    with boa.env.prank(by_owner(member).signer.address):
        market.reveal(task, H, salt)
    assert events(market, "Revealed")[0].agent == member


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_reveal_opens_at_commit_end(market, task, committed, travel_to, offset):
    travel_to(market.getTask(task).commit_end + offset)
    member, salt = next(iter(committed.items()))
    with boa.env.prank(member):
        if offset < 0:
            with boa.reverts("market: reveal phase not open"):
                market.reveal(task, H, salt)
        else:
            market.reveal(task, H, salt)
            assert market.memberState(task, member)[2] is True


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_reveal_closes_at_reveal_end(market, task, committed, travel_to, offset):
    travel_to(market.getTask(task).reveal_end + offset)
    member, salt = next(iter(committed.items()))
    with boa.env.prank(member):
        if offset < 0:
            market.reveal(task, H, salt)
        else:
            with boa.reverts("market: reveal phase closed"):
                market.reveal(task, H, salt)


@pytest.mark.parametrize("offset", [-1, 0])
def test_early_reveal_window_after_the_last_commit(
    market, task, members, commit_as, travel_to, params, offset
):
    boa.env.time_travel(seconds=3)
    salts = {m: commit_as(task, m) for m in members(task)}
    last_commit = boa.env.timestamp
    member = members(task)[0]
    # Open in the very block of the last commit...
    with boa.env.prank(member):
        market.reveal(task, H, salts[member])
    # ...and closed reveal_window later, not commit_window + reveal_window after start.
    travel_to(last_commit + params.reveal_window + offset)
    other = members(task)[1]
    with boa.env.prank(other):
        if offset < 0:
            market.reveal(task, H, salts[other])
        else:
            with boa.reverts("market: reveal phase closed"):
                market.reveal(task, H, salts[other])


def test_reverts_for_a_stranger(market, task, committed, stranger, travel_to):
    travel_to(market.getTask(task).commit_end)
    with boa.env.prank(stranger), boa.reverts("market: caller is not an agent or signer"):
        market.reveal(task, H, new_salt())


def test_reverts_for_an_agent_off_the_committee(market, task, committed, outsiders, travel_to):
    travel_to(market.getTask(task).commit_end)
    with boa.env.prank(outsiders(task)[0].owner), boa.reverts("market: not a committee member"):
        market.reveal(task, H, new_salt())


def test_reverts_unknown_task(market, agents):
    with boa.env.prank(agents[0].owner), boa.reverts("market: unknown task"):
        market.reveal(5, H, new_salt())


def test_reverts_for_a_waiting_task(market, create_task, agents):
    child = create_task(parents=(create_task(),))
    with boa.env.prank(agents[0].owner), boa.reverts("market: task not active"):
        market.reveal(child, H, new_salt())


def test_reverts_after_finalize(market, task, committed, travel_to):
    travel_to(market.getTask(task).reveal_end)
    market.finalize(task, b"")
    member, salt = next(iter(committed.items()))
    with boa.env.prank(member), boa.reverts("market: task already finalized"):
        market.reveal(task, H, salt)


def test_reverts_without_a_commit(market, task, committed, members, travel_to):
    travel_to(market.getTask(task).commit_end)
    with boa.env.prank(members(task)[2]), boa.reverts("market: not committed"):
        market.reveal(task, H, new_salt())


def test_reverts_second_reveal(market, task, committed, travel_to):
    travel_to(market.getTask(task).commit_end)
    member, salt = next(iter(committed.items()))
    with boa.env.prank(member):
        market.reveal(task, H, salt)
        with boa.reverts("market: already revealed"):
            market.reveal(task, H, salt)


@pytest.mark.parametrize("what", ["hash", "salt"])
def test_reverts_when_not_matching_the_commitment(market, task, committed, travel_to, what):
    travel_to(market.getTask(task).commit_end)
    member, salt = next(iter(committed.items()))
    result_hash, s = (keccak(OTHER_OUTPUT), salt) if what == "hash" else (H, new_salt())
    with boa.env.prank(member), boa.reverts("market: reveal does not match commitment"):
        market.reveal(task, result_hash, s)


def test_allowed_while_paused(market, task, committed, travel_to, owner):
    with boa.env.prank(owner):
        market.pause()
    travel_to(market.getTask(task).commit_end)
    member, salt = next(iter(committed.items()))
    with boa.env.prank(member):
        market.reveal(task, H, salt)
    assert market.memberState(task, member)[2] is True


def test_signer_commits_and_owner_reveals(market, task, members, by_owner, commit_as, reveal_as):
    member = by_owner(members(task)[0])
    salts = {m: commit_as(task, m) for m in members(task)[1:]}
    salts[member.owner] = commit_as(task, member.owner, sender=member.signer.address)
    reveal_as(task, member.owner, salts[member.owner])
    assert market.memberState(task, member.owner) == (1, True, True, H)
