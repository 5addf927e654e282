import boa
from eth_account import Account
from eth_utils import keccak

from tests.contracts.unitary.helpers import events
from tests.contracts.utils.protocol import commitment, new_salt, sign_commit


def _signed(market, task_id, agent, signer=None):
    c = commitment(task_id, agent.owner, keccak(b"out"), new_salt())
    sig = sign_commit(signer or agent.signer, market.address, task_id, agent.owner, c)
    return c, sig


def test_relayer_commits_for_a_member(market, task, members, by_owner, stranger):
    member = by_owner(members(task)[2])
    c, sig = _signed(market, task, member)
    assert len(sig) == 65
    with boa.env.prank(stranger):
        market.commitBySig(task, member.owner, c, sig)
    (ev,) = events(market, "Committed")
    assert (ev.task_id, ev.agent) == (task, member.owner)
    assert market.memberState(task, member.owner)[:3] == (True, True, False)


def test_reverts_signed_by_another_key(market, task, members, by_owner, stranger):
    a, b = (by_owner(m) for m in members(task)[:2])
    for wrong_key in (b.signer, Account.create()):
        c, sig = _signed(market, task, a, signer=wrong_key)
        with boa.env.prank(stranger), boa.reverts("market: invalid signature"):
            market.commitBySig(task, a.owner, c, sig)


def test_reverts_for_another_commitment(market, task, members, by_owner):
    a = by_owner(members(task)[0])
    _, sig = _signed(market, task, a)
    other = commitment(task, a.owner, keccak(b"other"), new_salt())
    with boa.reverts("market: invalid signature"):
        market.commitBySig(task, a.owner, other, sig)


def test_reverts_for_another_agent(market, task, members, by_owner):
    # The signature names its agent; it cannot be moved to another member.
    a, b = (by_owner(m) for m in members(task)[:2])
    c, sig = _signed(market, task, a)
    with boa.reverts("market: invalid signature"):
        market.commitBySig(task, b.owner, c, sig)


def test_reverts_64_byte_signature(market, task, members, by_owner):
    a = by_owner(members(task)[0])
    c, sig = _signed(market, task, a)
    with boa.reverts("market: signature must be 65 bytes"):
        market.commitBySig(task, a.owner, c, sig[:64])


def test_reverts_garbage_signature(market, task, members, by_owner):
    a = by_owner(members(task)[0])
    c, sig = _signed(market, task, a)
    with boa.reverts("market: invalid signature"):
        market.commitBySig(task, a.owner, c, sig[:64] + b"\x00")


def test_old_signer_signature_dies_with_set_signer(market, staking, task, members, by_owner):
    a = by_owner(members(task)[0])
    c, sig = _signed(market, task, a)
    with boa.env.prank(a.owner):
        staking.setSigner(Account.create().address)
    with boa.reverts("market: invalid signature"):
        market.commitBySig(task, a.owner, c, sig)


def test_reverts_for_a_non_member(market, task, outsiders):
    outsider = outsiders(task)[0]
    c, sig = _signed(market, task, outsider)
    with boa.reverts("market: not a committee member"):
        market.commitBySig(task, outsider.owner, c, sig)


def test_phase_rules_apply(market, task, members, by_owner, travel_to):
    a = by_owner(members(task)[0])
    c, sig = _signed(market, task, a)
    travel_to(market.getTask(task).commit_end)
    with boa.reverts("market: commit phase closed"):
        market.commitBySig(task, a.owner, c, sig)
