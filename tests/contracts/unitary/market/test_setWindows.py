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
    (version,) = events(market, "ParamsVersionAdded")
    assert (version.version, version.commit_window, version.reveal_window) == (2, commit, reveal)
    assert (version.slash_missed, version.slash_wrong) == (
        market.slash_missed(),
        market.slash_wrong(),
    )
    assert (market.commit_window(), market.reveal_window()) == (commit, reveal)
    assert market.params_version() == 2


def test_longest_windows_need_a_longer_unbonding(market, staking, owner):
    with boa.env.prank(owner):
        staking.setUnbondingPeriod(2 * MAX_WINDOW + 1)
        market.setWindows(MAX_WINDOW, MAX_WINDOW)
        with boa.reverts("market_params: windows out of bounds"):
            market.setWindows(MAX_WINDOW + 1, 2)
        with boa.reverts("market_params: windows out of bounds"):
            market.setWindows(2, MAX_WINDOW + 1)


@pytest.mark.parametrize(("commit", "reveal"), [(0, 20), (1, 20), (20, 0), (20, 1)])
def test_windows_out_of_bounds(market, owner, commit, reveal):
    with boa.env.prank(owner), boa.reverts("market_params: windows out of bounds"):
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
            with boa.reverts("market_params: windows out of bounds"):
                market.setWindows(commit, reveal)


def test_windows_apply_to_tasks_created_later(market, owner, create_task, params):
    before = create_task()
    waiting = create_task(activate=False)
    with boa.env.prank(owner):
        market.setWindows(50, 60)
    after = create_task()
    now = boa.env.timestamp
    t = market.getTask(before)
    assert t.reveal_end - t.start == params.commit_window + params.reveal_window
    assert (t.params_version, t.commit_window, t.reveal_window) == (
        1,
        params.commit_window,
        params.reveal_window,
    )
    t = market.getTask(after)
    assert (t.commit_end, t.reveal_end) == (now + 50, now + 110)
    assert (t.params_version, t.commit_window, t.reveal_window) == (2, 50, 60)
    market.activate(waiting)  # activated after the change: still its creation's windows
    t = market.getTask(waiting)
    assert t.reveal_end - t.start == params.commit_window + params.reveal_window


def test_reverts_for_non_owner(market, stranger):
    with boa.env.prank(stranger), boa.reverts("ownable: caller is not the owner"):
        market.setWindows(30, 30)
