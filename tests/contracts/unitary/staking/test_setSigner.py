import boa
from eth_account import Account
from eth_utils import keccak

from tests.contracts.unitary.helpers import ZERO_ADDRESS, events
from tests.contracts.utils.protocol import ETHER, commitment, new_agent, new_salt


def test_replaces_and_releases_the_old_signer(staking, agents):
    agent = agents[0]
    new = Account.create().address
    with boa.env.prank(agent.owner):
        staking.setSigner(new)
    (changed,) = events(staking, "SignerChanged")
    assert (changed.agent, changed.old_signer, changed.new_signer) == (
        agent.owner,
        agent.signer.address,
        new,
    )
    assert staking.signerOf(agent.owner) == new
    assert staking.agentOfSigner(new) == agent.owner
    assert staking.resolveAgent(new) == agent.owner
    assert staking.agentOfSigner(agent.signer.address) == ZERO_ADDRESS
    assert staking.resolveAgent(agent.signer.address) == ZERO_ADDRESS


def test_released_signer_can_serve_another_agent(staking, model_id, agents):
    old = agents[0].signer.address
    with boa.env.prank(agents[0].owner):
        staking.setSigner(Account.create().address)
    other = new_agent()
    with boa.env.prank(other.owner):
        staking.register(old, [model_id], "", value=ETHER)
    assert staking.agentOfSigner(old) == other.owner


def test_old_signer_can_no_longer_act(staking, market, create_task, members, by_owner):
    task_id = create_task(size=5, quorum=3)
    member = by_owner(members(task_id)[0])
    with boa.env.prank(member.owner):
        staking.setSigner(Account.create().address)
    c = commitment(task_id, member.owner, keccak(b"out"), new_salt())
    with (
        boa.env.prank(member.signer.address),
        boa.reverts("market: caller is not an agent or signer"),
    ):
        market.commit(task_id, c)


def test_reverts_for_unknown_agent(staking, stranger):
    with boa.env.prank(stranger), boa.reverts("staking: not an agent"):
        staking.setSigner(Account.create().address)


def test_signer_cannot_replace_itself(staking, agents):
    with boa.env.prank(agents[0].signer.address), boa.reverts("staking: not an agent"):
        staking.setSigner(Account.create().address)


def test_reverts_zero_signer(staking, agents):
    with boa.env.prank(agents[0].owner), boa.reverts("staking: zero signer"):
        staking.setSigner(ZERO_ADDRESS)


def test_reverts_signer_is_the_agent(staking, agents):
    with boa.env.prank(agents[0].owner), boa.reverts("staking: signer is the agent"):
        staking.setSigner(agents[0].owner)


def test_reverts_signer_is_another_agent(staking, agents):
    with boa.env.prank(agents[0].owner), boa.reverts("staking: signer is an agent"):
        staking.setSigner(agents[1].owner)


def test_reverts_signer_of_another_agent(staking, agents):
    with boa.env.prank(agents[0].owner), boa.reverts("staking: signer already bound"):
        staking.setSigner(agents[1].signer.address)


def test_reverts_current_signer(staking, agents):
    with boa.env.prank(agents[0].owner), boa.reverts("staking: signer already bound"):
        staking.setSigner(agents[0].signer.address)


def test_deregistered_agent_may_rotate_its_key(staking, agents):
    new = Account.create().address
    with boa.env.prank(agents[0].owner):
        staking.deregister()
        staking.setSigner(new)
    assert staking.signerOf(agents[0].owner) == new
