import boa

from tests.contracts.unitary.helpers import events


def test_sets_and_clears(staking, agents):
    agent = agents[0].owner
    url = "https://" + "a" * 120
    with boa.env.prank(agent):
        staking.setEndpoint(url)
    (ev,) = events(staking, "EndpointSet")
    assert (ev.agent, ev.endpoint) == (agent, url)
    assert staking.endpointOf(agent) == url
    with boa.env.prank(agent):
        staking.setEndpoint("")
    assert staking.endpointOf(agent) == ""


def test_reverts_for_unknown_agent(staking, stranger):
    with boa.env.prank(stranger), boa.reverts("staking: not an active agent"):
        staking.setEndpoint("http://x")


def test_reverts_for_deregistered_agent(staking, agents):
    with boa.env.prank(agents[0].owner):
        staking.deregister()
        with boa.reverts("staking: not an active agent"):
            staking.setEndpoint("http://x")
