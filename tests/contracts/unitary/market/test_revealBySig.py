import boa
import pytest
from eth_account import Account
from eth_utils import keccak

from tests.contracts.conftest import DEFAULT_OUTPUT
from tests.contracts.unitary.helpers import events
from tests.contracts.utils.protocol import new_salt, sign_reveal

H = keccak(DEFAULT_OUTPUT)


@pytest.fixture
def revealing(market, task, members, commit_as, by_owner):
    """Every member committed (reveal phase open); returns [(AgentKeys, salt)]."""
    return [(by_owner(m), commit_as(task, m)) for m in members(task)]


def test_relayer_reveals_for_a_member(market, task, revealing, stranger):
    agent, salt = revealing[1]
    sig = sign_reveal(agent.signer, market.address, task, agent.owner, H, salt)
    with boa.env.prank(stranger):
        market.revealBySig(task, agent.owner, H, salt, sig)
    (ev,) = events(market, "Revealed")
    assert (ev.task_id, ev.agent, ev.result_hash) == (task, agent.owner, H)
    assert market.memberState(task, agent.owner) == (True, True, True, H)


def test_reverts_signed_by_another_key(market, task, revealing):
    (a, salt), (b, _) = revealing[:2]
    for key in (b.signer, Account.create()):
        sig = sign_reveal(key, market.address, task, a.owner, H, salt)
        with boa.reverts("market: invalid signature"):
            market.revealBySig(task, a.owner, H, salt, sig)


def test_reverts_for_another_salt(market, task, revealing):
    a, salt = revealing[0]
    sig = sign_reveal(a.signer, market.address, task, a.owner, H, salt)
    with boa.reverts("market: invalid signature"):
        market.revealBySig(task, a.owner, H, new_salt(), sig)


def test_reverts_64_byte_signature(market, task, revealing):
    a, salt = revealing[0]
    sig = sign_reveal(a.signer, market.address, task, a.owner, H, salt)
    with boa.reverts("market: signature must be 65 bytes"):
        market.revealBySig(task, a.owner, H, salt, sig[:64])


def test_signed_mismatch_is_still_a_mismatch(market, task, revealing):
    a, _ = revealing[0]
    wrong_salt = new_salt()
    sig = sign_reveal(a.signer, market.address, task, a.owner, H, wrong_salt)
    with boa.reverts("market: reveal does not match commitment"):
        market.revealBySig(task, a.owner, H, wrong_salt, sig)


def test_phase_rules_apply(market, task, revealing, travel_to):
    a, salt = revealing[0]
    sig = sign_reveal(a.signer, market.address, task, a.owner, H, salt)
    travel_to(market.getTask(task).reveal_end)
    with boa.reverts("market: reveal phase closed"):
        market.revealBySig(task, a.owner, H, salt, sig)
