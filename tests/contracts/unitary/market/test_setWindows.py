import boa
import pytest

from tests.contracts.unitary.helpers import events

MAX_WINDOW = 86_400


@pytest.mark.parametrize(("commit", "reveal"), [(2, 2), (2, 3_597), (3_597, 2), (1_000, 2_599)])
def test_windows_within_bounds(market, owner, commit, reveal):
    with boa.env.prank(owner):
        market.setWindows(commit, reveal)
    (ev,) = events(market, "WindowsSet")
    assert (ev.commit_window, ev.reveal_window) == (commit, reveal)
    assert (market.commit_window(), market.reveal_window()) == (commit, reveal)


def test_longest_windows_need_a_longer_unbonding(market, staking, owner):
    with boa.env.prank(owner):
        staking.setUnbondingPeriod(2 * MAX_WINDOW + 1)
        market.setWindows(MAX_WINDOW, MAX_WINDOW)
        with boa.reverts("market: commit window out of bounds"):
            market.setWindows(MAX_WINDOW + 1, 2)
        with boa.reverts("market: reveal window out of bounds"):
            market.setWindows(2, MAX_WINDOW + 1)


@pytest.mark.parametrize(
    ("commit", "reveal", "reason"),
    [
        (0, 20, "market: commit window out of bounds"),
        (1, 20, "market: commit window out of bounds"),
        (20, 0, "market: reveal window out of bounds"),
        (20, 1, "market: reveal window out of bounds"),
    ],
)
def test_windows_out_of_bounds(market, owner, commit, reveal, reason):
    with boa.env.prank(owner), boa.reverts(reason):
        market.setWindows(commit, reveal)


@pytest.mark.parametrize("total_offset", [-1, 0, 1])
def test_windows_must_stay_below_the_unbonding_period(market, staking, owner, total_offset):
    unbonding = staking.unbonding_period()
    commit = 1_000
    reveal = unbonding - commit + total_offset
    with boa.env.prank(owner):
        if total_offset < 0:
            market.setWindows(commit, reveal)
            assert market.reveal_window() == reveal
        else:
            with boa.reverts("market: windows exceed the unbonding period"):
                market.setWindows(commit, reveal)


def test_windows_apply_to_tasks_started_later(market, owner, create_task, params):
    before = create_task()
    with boa.env.prank(owner):
        market.setWindows(50, 60)
    after = create_task()
    now = boa.env.timestamp
    t = market.getTask(before)
    assert t.reveal_end - t.start == params.commit_window + params.reveal_window
    t = market.getTask(after)
    assert (t.commit_end, t.reveal_end) == (now + 50, now + 110)


def test_reverts_for_non_owner(market, stranger):
    with boa.env.prank(stranger), boa.reverts("ownable: caller is not the owner"):
        market.setWindows(30, 30)
