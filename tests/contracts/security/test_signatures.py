"""Relayed EIP-712 submissions: a signature is good for one task, one contract,
one chain, once, from the agent's current signer, in its 65-byte low-s form."""

import boa
import pytest
from eth_account import Account
from eth_utils import keccak

from deployments.boa_deploy import load_partial
from tests.contracts.conftest import DEFAULT_OUTPUT
from tests.contracts.utils.protocol import (
    commitment,
    new_salt,
    sign_commit,
    sign_reveal,
    to_high_s,
)

INVALID = "market: invalid signature"


@pytest.fixture
def two_tasks(create_task, agents):
    """Two tasks whose committees are all five agents."""
    return create_task(size=5, quorum=3), create_task(size=5, quorum=3)


def _signed_commit(market, keys, task_id, **kw):
    c = commitment(task_id, keys.owner, keccak(DEFAULT_OUTPUT), new_salt())
    return c, sign_commit(keys.signer, market.address, task_id, keys.owner, c, **kw)


def test_commit_signature_is_bound_to_its_task(market, agents, two_tasks):
    first, second = two_tasks
    keys = agents[0]
    c, sig = _signed_commit(market, keys, first)
    with boa.reverts(INVALID):
        market.commitBySig(second, keys.owner, c, sig)
    with boa.reverts(INVALID):
        market.commitBatch([second], [keys.owner], [c], [sig])
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
    market, registry, staking, params, agents, two_tasks
):
    first, _ = two_tasks
    keys = agents[0]
    # A wrong verifyingContract in the domain.
    c = commitment(first, keys.owner, keccak(DEFAULT_OUTPUT), new_salt())
    sig = sign_commit(keys.signer, registry.address, first, keys.owner, c)
    with boa.reverts(INVALID):
        market.commitBySig(first, keys.owner, c, sig)

    # A second market over the same staking, with a task of the same id whose
    # committee is the same five agents: a signature for one is void on the other.
    other = load_partial("TaskMarket").deploy(
        registry.address,
        staking.address,
        params.min_fee_per_agent,
        params.commit_window,
        params.reveal_window,
        params.slash_missed,
        params.slash_wrong,
    )
    model_id = market.getTask(first).model_id
    boa.env.set_balance(boa.env.eoa, 10**18)
    other_id = other.createTask(model_id, b"x", 5, 3, [], value=5 * params.min_fee_per_agent)
    assert other_id == first
    sig_other = sign_commit(keys.signer, other.address, first, keys.owner, c)
    with boa.reverts(INVALID):
        market.commitBySig(first, keys.owner, c, sig_other)
    sig_here = sign_commit(keys.signer, market.address, first, keys.owner, c)
    with boa.reverts(INVALID):
        other.commitBySig(first, keys.owner, c, sig_here)
    other.commitBySig(first, keys.owner, c, sig_other)
    market.commitBySig(first, keys.owner, c, sig_here)


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
    with boa.reverts("market: already committed"):
        market.commitBatch([first], [keys.owner], [c], [sig])

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
    with boa.reverts("ecdsa: invalid signature `s` value"):
        market.commitBySig(first, keys.owner, c, to_high_s(sig))
    market.commitBySig(first, keys.owner, c, sig)

    boa.env.time_travel(seconds=params.commit_window)
    rsig = sign_reveal(keys.signer, market.address, first, keys.owner, h, salt)
    with boa.reverts("ecdsa: invalid signature `s` value"):
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


def test_one_bad_signature_voids_the_whole_batch(market, agents, two_tasks):
    first, second = two_tasks
    items = [_signed_commit(market, agents[i], first) for i in range(2)]
    c2, sig2 = _signed_commit(market, agents[2], first)
    with boa.reverts(INVALID):
        market.commitBatch(
            [first, first, second],
            [agents[0].owner, agents[1].owner, agents[2].owner],
            [items[0][0], items[1][0], c2],
            [items[0][1], items[1][1], sig2],  # the third was signed for `first`
        )
    for i in range(3):
        assert market.memberState(first, agents[i].owner)[1] is False
        assert market.memberState(second, agents[i].owner)[1] is False


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
