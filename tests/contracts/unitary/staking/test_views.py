import boa
from eth_utils import keccak

from tests.contracts.conftest import DEFAULT_OUTPUT
from tests.contracts.unitary.conftest import OTHER_OUTPUT
from tests.contracts.unitary.helpers import ZERO_ADDRESS
from tests.contracts.utils.protocol import ETHER

UNKNOWN_MODEL = keccak(b"staking views: unknown model")


def test_unknown_agent_and_model_read_as_zero(staking, stranger, model_id):
    info = staking.agentInfo(stranger)
    assert info.signer == ZERO_ADDRESS
    assert (info.status, info.stake, info.pending_unstake, info.unbond_at, info.weight) == (
        0,
        0,
        0,
        0,
        0,
    )
    assert info.models == []
    assert info.endpoint == ""
    assert (info.agreed, info.disagreed, info.missed) == (0, 0, 0)
    assert staking.stakeOf(stranger) == 0
    assert staking.pendingUnstakeOf(stranger) == 0
    assert staking.unbondAt(stranger) == 0
    assert staking.signerOf(stranger) == ZERO_ADDRESS
    assert staking.agentOfSigner(stranger) == ZERO_ADDRESS
    assert staking.resolveAgent(stranger) == ZERO_ADDRESS
    assert staking.modelsOf(stranger) == []
    assert staking.statusOf(stranger) == 0
    assert staking.endpointOf(stranger) == ""
    assert staking.reputation(stranger) == (0, 0, 0)
    assert staking.weightOf(stranger, model_id) == 0
    assert staking.agentsForModel(UNKNOWN_MODEL) == []
    assert staking.eligibleCount(UNKNOWN_MODEL) == 0
    assert staking.totalWeight(UNKNOWN_MODEL) == 0


def test_pool_of_the_fixture_agents(staking, model_id, agents):
    assert [str(a) for a in staking.agentsForModel(model_id)] == [a.owner for a in agents]
    assert staking.eligibleCount(model_id) == 5
    assert staking.totalWeight(model_id) == 15 * ETHER
    assert [staking.weightOf(a.owner, model_id) for a in agents] == [
        (i + 1) * ETHER for i in range(5)
    ]
    assert staking.total_staked() == 15 * ETHER


def test_resolve_agent_maps_owner_and_signer(staking, agents):
    a = agents[3]
    assert staking.resolveAgent(a.owner) == a.owner
    assert staking.resolveAgent(a.signer.address) == a.owner
    assert staking.signerOf(a.owner) == a.signer.address
    assert staking.agentOfSigner(a.signer.address) == a.owner
    assert staking.endpointOf(a.owner) == "http://127.0.0.1:9000"


def test_reputation_counts_finalized_tasks(staking, market, create_task, members, play, model_id):
    task_id = create_task(size=5, quorum=3)
    agree_a, agree_b, agree_c, wrong, silent = members(task_id)
    play(
        task_id,
        {
            agree_a: DEFAULT_OUTPUT,
            agree_b: DEFAULT_OUTPUT,
            agree_c: DEFAULT_OUTPUT,
            wrong: OTHER_OUTPUT,
            silent: None,
        },
    )
    market.finalize(task_id, DEFAULT_OUTPUT)
    assert staking.reputation(agree_a) == (1, 0, 0)
    assert staking.reputation(wrong) == (0, 1, 0)
    assert staking.reputation(silent) == (0, 0, 1)
    info = staking.agentInfo(wrong)
    assert (info.agreed, info.disagreed, info.missed) == (0, 1, 0)
    assert staking.reputation(silent) == market.reputation(silent)


def test_views_never_revert_for_zero_address(staking, model_id):
    assert staking.agentInfo(ZERO_ADDRESS).status == 0
    assert staking.weightOf(ZERO_ADDRESS, model_id) == 0
    assert staking.resolveAgent(ZERO_ADDRESS) == ZERO_ADDRESS
    assert boa.env.get_balance(staking.address) >= staking.total_staked()
