"""Relayed EIP-712 submissions: a signature is good for one task, one contract,
one chain, once, from the agent's current signer, in its 65-byte low-s form."""

import boa
import pytest
from eth_account import Account
from eth_utils import keccak

from deployments.boa_chain import mine
from deployments.boa_deploy import load_partial
from deployments.plan import constructor_args
from tests.contracts.conftest import DEFAULT_OUTPUT
from tests.contracts.utils.draws import move_to_draws
from tests.contracts.utils.protocol import (
    commitment,
    new_salt,
    sign_commit,
    sign_reveal,
    to_high_s,
)

INVALID = "market: invalid signature"


@pytest.fixture
def two_tasks(market, staking, model_id, requester, agents):
    """Two tasks in their commit phase whose committees both seat agents 0, 1 and 2."""
    wanted = {a.owner for a in agents[:3]}
    first = market.task_count() + 1
    move_to_draws(
        staking,
        model_id,
        5,
        [first, first + 1],
        lambda drawn: all(wanted <= set(seats) for seats in drawn),
    )
    with boa.env.prank(requester):
        for _ in range(2):
            market.createTask(model_id, b"x", 5, 3, [], value=10**15)
    mine(2)
    market.activate(first)
    market.activate(first + 1)
    return first, first + 1


def _signed_commit(market, keys, task_id, **kw):
    c = commitment(task_id, keys.owner, keccak(DEFAULT_OUTPUT), new_salt())
    return c, sign_commit(keys.signer, market.address, task_id, keys.owner, c, **kw)


def test_commit_signature_is_bound_to_its_task(market, agents, two_tasks):
    first, second = two_tasks
    keys = agents[0]
    c, sig = _signed_commit(market, keys, first)
    with boa.reverts(INVALID):
        market.commitBySig(second, keys.owner, c, sig)
    assert market.commitBatch([second], [keys.owner], [c], [sig]) == 0  # skipped
    market.commitBySig(first, keys.owner, c, sig)


def test_commit_signature_is_bound_to_its_agent(market, agents, two_tasks):
    first, _ = two_tasks
    c, sig = _signed_commit(market, agents[0], first)
    with boa.reverts(INVALID):
        market.commitBySig(first, agents[1].owner, c, sig)


def test_commit_signature_for_another_chain_is_rejected(market, agents, two_tasks):
    first, _ = two_tasks
    chain_id = boa.env.evm.patch.chain_id
    c, sig = _signed_commit(market, agents[0], first, chain_id=chain_id + 1)
    with boa.reverts(INVALID):
        market.commitBySig(first, agents[0].owner, c, sig)


def test_commit_signature_for_another_contract_is_rejected(
    market, registry, staking, model_id, requester, params, agents
):
    # A second market over the same staking. Tasks of the same id created in the
    # same block draw the same committee in both: a signature for one is void on
    # the other.
    addresses = {"ModelRegistry": registry.address, "AgentStaking": staking.address}
    other = load_partial("TaskMarket").deploy(*constructor_args("TaskMarket", params, addresses))
    keys = agents[0]
    task_id = market.task_count() + 1
    assert other.task_count() + 1 == task_id
    move_to_draws(staking, model_id, 5, [task_id], lambda drawn: keys.owner in drawn[0])
    with boa.env.prank(requester):
        for m in (market, other):
            assert m.createTask(model_id, b"x", 5, 3, [], value=10**15) == task_id
    mine(2)
    market.activate(task_id)
    other.activate(task_id)
    assert market.committeeOf(task_id) == other.committeeOf(task_id)

    # A wrong verifyingContract in the domain.
    c = commitment(task_id, keys.owner, keccak(DEFAULT_OUTPUT), new_salt())
    sig = sign_commit(keys.signer, registry.address, task_id, keys.owner, c)
    with boa.reverts(INVALID):
        market.commitBySig(task_id, keys.owner, c, sig)

    sig_other = sign_commit(keys.signer, other.address, task_id, keys.owner, c)
    with boa.reverts(INVALID):
        market.commitBySig(task_id, keys.owner, c, sig_other)
    sig_here = sign_commit(keys.signer, market.address, task_id, keys.owner, c)
    with boa.reverts(INVALID):
        other.commitBySig(task_id, keys.owner, c, sig_here)
    other.commitBySig(task_id, keys.owner, c, sig_other)
    market.commitBySig(task_id, keys.owner, c, sig_here)


def test_used_signatures_cannot_be_resubmitted(market, agents, two_tasks, params):
    first, _ = two_tasks
    keys = agents[0]
    salt = new_salt()
    h = keccak(DEFAULT_OUTPUT)
    c = commitment(first, keys.owner, h, salt)
    sig = sign_commit(keys.signer, market.address, first, keys.owner, c)
    market.commitBySig(first, keys.owner, c, sig)
    with boa.reverts("market: already committed"):
        market.commitBySig(first, keys.owner, c, sig)
    assert market.commitBatch([first], [keys.owner], [c], [sig]) == 0  # skipped

    boa.env.time_travel(seconds=params.commit_window)
    rsig = sign_reveal(keys.signer, market.address, first, keys.owner, h, salt)
    market.revealBySig(first, keys.owner, h, salt, rsig)
    with boa.reverts("market: already revealed"):
        market.revealBySig(first, keys.owner, h, salt, rsig)


def test_high_s_twin_is_rejected(market, agents, two_tasks, params):
    first, _ = two_tasks
    keys = agents[0]
    salt = new_salt()
    h = keccak(DEFAULT_OUTPUT)
    c = commitment(first, keys.owner, h, salt)
    sig = sign_commit(keys.signer, market.address, first, keys.owner, c)
    with boa.reverts(INVALID):
        market.commitBySig(first, keys.owner, c, to_high_s(sig))
    market.commitBySig(first, keys.owner, c, sig)

    boa.env.time_travel(seconds=params.commit_window)
    rsig = sign_reveal(keys.signer, market.address, first, keys.owner, h, salt)
    with boa.reverts(INVALID):
        market.revealBySig(first, keys.owner, h, salt, to_high_s(rsig))


def test_compact_64_byte_signature_is_rejected(market, agents, two_tasks):
    first, _ = two_tasks
    keys = agents[0]
    c, sig = _signed_commit(market, keys, first)
    r, s, v = sig[:32], int.from_bytes(sig[32:64], "big"), sig[64]
    compact = r + ((s | ((v - 27) << 255)).to_bytes(32, "big"))  # EIP-2098
    with boa.reverts("market: signature must be 65 bytes"):
        market.commitBySig(first, keys.owner, c, compact)
    with boa.reverts("market: signature must be 65 bytes"):
        market.commitBySig(first, keys.owner, c, sig[:64])


def test_old_signer_is_void_after_set_signer(market, staking, agents, two_tasks):
    first, _ = two_tasks
    keys = agents[0]
    c, old_sig = _signed_commit(market, keys, first)  # signed, not yet relayed
    new_signer = Account.create()
    with boa.env.prank(keys.owner):
        staking.setSigner(new_signer.address)

    with boa.reverts(INVALID):
        market.commitBySig(first, keys.owner, c, old_sig)
    with (
        boa.env.prank(keys.signer.address),
        boa.reverts("market: caller is not an agent or signer"),
    ):
        market.commit(first, c)
    new_sig = sign_commit(new_signer, market.address, first, keys.owner, c)
    market.commitBySig(first, keys.owner, c, new_sig)


def test_signature_by_a_stranger_is_rejected(market, agents, two_tasks):
    first, _ = two_tasks
    keys = agents[0]
    c = commitment(first, keys.owner, keccak(DEFAULT_OUTPUT), new_salt())
    sig = sign_commit(Account.create(), market.address, first, keys.owner, c)
    with boa.reverts(INVALID):
        market.commitBySig(first, keys.owner, c, sig)
    # Another agent's signer cannot sign for this agent either.
    sig = sign_commit(agents[1].signer, market.address, first, keys.owner, c)
    with boa.reverts(INVALID):
        market.commitBySig(first, keys.owner, c, sig)


def test_a_bad_signature_in_a_batch_voids_only_its_item(market, agents, two_tasks):
    first, second = two_tasks
    items = [_signed_commit(market, agents[i], first) for i in range(2)]
    c2, sig2 = _signed_commit(market, agents[2], first)
    applied = market.commitBatch(
        [first, first, second],
        [agents[0].owner, agents[1].owner, agents[2].owner],
        [items[0][0], items[1][0], c2],
        [items[0][1], items[1][1], sig2],  # the third was signed for `first`
    )
    assert applied == 2
    for i in range(2):
        assert market.memberState(first, agents[i].owner)[1] is True
    assert market.memberState(second, agents[2].owner)[1] is False
    assert market.memberState(first, agents[2].owner)[1] is False


def test_copied_commitment_cannot_be_revealed_by_the_copier(
    market, staking, create_task, agents, params
):
    """B copies A's commitment from the mempool/chain. B cannot reveal it (the
    commitment binds A's address), so B is slashed as missed and A is paid."""
    task_id = create_task(size=3, quorum=2, fee=3 * 10**15)
    a, b, c = (str(m) for m in market.committeeOf(task_id))
    h = keccak(DEFAULT_OUTPUT)
    salts = {a: new_salt(), c: new_salt()}
    with boa.env.prank(a):
        market.commit(task_id, commitment(task_id, a, h, salts[a]))
    # The commitment is public (calldata and storage); B submits it as its own.
    a_commitment = commitment(task_id, a, h, salts[a])
    with boa.env.prank(b):
        market.commit(task_id, a_commitment)
    with boa.env.prank(c):
        market.commit(task_id, commitment(task_id, c, h, salts[c]))

    # Even once A's salt is public (A revealed), B cannot open the copy.
    with boa.env.prank(a):
        market.reveal(task_id, h, salts[a])
    with boa.env.prank(b), boa.reverts("market: reveal does not match commitment"):
        market.reveal(task_id, h, salts[a])
    with boa.env.prank(c):
        market.reveal(task_id, h, salts[c])

    stakes = {m: staking.stakeOf(m) for m in (a, b, c)}
    boa.env.time_travel(seconds=params.reveal_window)
    market.finalize(task_id, DEFAULT_OUTPUT)
    assert market.taskPhase(task_id) == 5
    assert market.claimable(a) == market.claimable(c) == 3 * 10**15 // 2
    assert market.claimable(b) == 0
    assert staking.stakeOf(a) == stakes[a] and staking.stakeOf(c) == stakes[c]
    assert staking.stakeOf(b) == stakes[b] - params.slash_missed
    assert market.reputation(b) == (0, 0, 1)


def test_reveal_without_commit_is_rejected(market, create_task, params):
    task_id = create_task(size=3, quorum=2)
    member = str(market.committeeOf(task_id)[0])
    boa.env.time_travel(seconds=params.commit_window)
    with boa.env.prank(member), boa.reverts("market: not committed"):
        market.reveal(task_id, keccak(DEFAULT_OUTPUT), new_salt())
