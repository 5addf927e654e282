import boa
import pytest

from tests.contracts.unitary.helpers import events
from tests.contracts.utils.protocol import ETHER

MAX_SLASH = 100 * ETHER


@pytest.mark.parametrize(("missed", "wrong"), [(0, 0), (MAX_SLASH, MAX_SLASH), (1, MAX_SLASH)])
def test_slash_amounts_within_bounds(market, owner, missed, wrong):
    with boa.env.prank(owner):
        market.setSlashAmounts(missed, wrong)
    (ev,) = events(market, "SlashAmountsSet")
    assert (ev.slash_missed, ev.slash_wrong) == (missed, wrong)
    assert (market.slash_missed(), market.slash_wrong()) == (missed, wrong)
    assert market.params_version() == 2
    assert market.paramsAt(2) == (market.commit_window(), market.reveal_window(), missed, wrong)


@pytest.mark.parametrize(("missed", "wrong"), [(MAX_SLASH + 1, 0), (0, MAX_SLASH + 1)])
def test_slash_amounts_out_of_bounds(market, owner, missed, wrong):
    with boa.env.prank(owner), boa.reverts("market_params: slash amount out of bounds"):
        market.setSlashAmounts(missed, wrong)


def test_reverts_for_non_owner(market, stranger):
    with boa.env.prank(stranger), boa.reverts("ownable: caller is not the owner"):
        market.setSlashAmounts(1, 1)


def test_slash_amounts_apply_to_tasks_created_later(market, owner, create_task, params):
    before = create_task()
    with boa.env.prank(owner):
        market.setSlashAmounts(1, 2)
    after = create_task()
    t = market.getTask(before)
    assert (t.slash_missed, t.slash_wrong) == (params.slash_missed, params.slash_wrong)
    assert (market.getTask(after).slash_missed, market.getTask(after).slash_wrong) == (1, 2)
