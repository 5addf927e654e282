# pragma version ~=0.4.3
"""
@title agentnet AgentStaking
@custom:contract-name AgentStaking
@license GNU Affero General Public License v3.0 only
@notice Agents stake ETH to serve models. An agent is an owner address,
        which alone can move its stake, plus a separate hot `signer` key
        that its oracle worker uses to sign results; a stolen signer can
        lose at most the slashable stake, never withdraw it.

        For every model, the eligible agents' weights (stake minus pending
        unstake, when at least `min_stake`) are kept in a Fenwick tree of
        stake sums, so that the TaskMarket draws a stake-weighted committee
        without replacement in O(log n) reads per member, and a stake
        change costs O(log n) writes per model the agent serves, however
        many agents serve the model.
"""

from snekmate.auth import ownable
from snekmate.auth import ownable_2step
from snekmate.utils import pausable

from .interfaces import IModelRegistry
from .interfaces import ITaskMarket

initializes: ownable
initializes: ownable_2step[ownable := ownable]
initializes: pausable

exports: (
    ownable_2step.owner,
    ownable_2step.pending_owner,
    ownable_2step.transfer_ownership,
    ownable_2step.accept_ownership,
    pausable.paused,
)


# An agent serves at most this many models.
MAX_MODELS: constant(uint256) = 16
# At most this many agents ever join one model's tree (leaves are reused).
MAX_AGENTS_PER_MODEL: constant(uint256) = 2_048
# log2(MAX_AGENTS_PER_MODEL): a tree walk visits at most LOG + 1 nodes.
LOG_AGENTS: constant(uint256) = 11
# Largest committee the market asks for.
MAX_COMMITTEE: constant(uint256) = 16
# Draws per committee, counting those that land on an agent below a raised minimum.
MAX_DRAWS: constant(uint256) = 2 * MAX_COMMITTEE

# Weights are packed beside the agent address in 96 bits.
MAX_STAKE: constant(uint256) = 2**96 - 1
ADDRESS_MASK: constant(uint256) = 2**160 - 1
MASK32: constant(uint256) = 2**32 - 1

# Bounds of the owner's setters.
MAX_MIN_STAKE: constant(uint256) = 1_000 * 10**18
MIN_UNBONDING: constant(uint256) = 60
MAX_UNBONDING: constant(uint256) = 60 * 86_400

# Agent status values.
STATUS_NONE: constant(uint8) = 0
STATUS_ACTIVE: constant(uint8) = 1
STATUS_DEREGISTERED: constant(uint8) = 2

# Slash reasons, as in the protocol.
REASON_MISSED: constant(uint8) = 1
REASON_WRONG: constant(uint8) = 2


struct Agent:
    signer: address
    status: uint8
    stake: uint256
    pending_unstake: uint256
    unbond_at: uint256
    models: DynArray[bytes32, MAX_MODELS]
    endpoint: String[128]


struct AgentView:
    signer: address
    status: uint8
    stake: uint256
    pending_unstake: uint256
    unbond_at: uint256
    weight: uint256
    models: DynArray[bytes32, MAX_MODELS]
    endpoint: String[128]
    agreed: uint256
    disagreed: uint256
    missed: uint256


event AgentRegistered:
    agent: indexed(address)
    signer: indexed(address)
    stake: uint256


event StakeAdded:
    agent: indexed(address)
    amount: uint256
    stake: uint256


event UnstakeRequested:
    agent: indexed(address)
    amount: uint256
    pending_unstake: uint256
    unbond_at: uint256


event StakeWithdrawn:
    agent: indexed(address)
    amount: uint256
    stake: uint256


event Slashed:
    agent: indexed(address)
    task_id: indexed(uint256)
    amount: uint256
    reason: uint8


event SignerChanged:
    agent: indexed(address)
    old_signer: indexed(address)
    new_signer: indexed(address)


event ModelsSet:
    agent: indexed(address)
    models: DynArray[bytes32, MAX_MODELS]


event EndpointSet:
    agent: indexed(address)
    endpoint: String[128]


event Deregistered:
    agent: indexed(address)


event WeightChanged:
    agent: indexed(address)
    model_id: indexed(bytes32)
    weight: uint256


event MarketSet:
    market: indexed(address)


event MinStakeSet:
    min_stake: uint256


event UnbondingPeriodSet:
    unbonding_period: uint256


event TreasuryWithdrawn:
    receiver: indexed(address)
    amount: uint256


registry: public(immutable(IModelRegistry))
market: public(address)
min_stake: public(uint256)
unbonding_period: public(uint256)
# Slashed ETH held for the protocol, withdrawn by the owner.
treasury_balance: public(uint256)
# Sum of all agents' stakes.
total_staked: public(uint256)

_agents: HashMap[address, Agent]
# signer -> agent (owner) it signs for.
_agent_of_signer: HashMap[address, address]

# Per model Fenwick tree over leaf weights: node i sums leaves (i - lowbit(i), i].
_tree: HashMap[bytes32, HashMap[uint256, uint256]]
# Leaf i: agent address in the low 160 bits, its weight in the high 96.
_leaves: HashMap[bytes32, HashMap[uint256, uint256]]
# Agent's leaf index in a model's tree (0 = none yet).
_leaf_of: HashMap[bytes32, HashMap[address, uint256]]
# Per model: leaf count (bits 0-31), eligible count (32-63), total weight (64-255).
_model_stats: HashMap[bytes32, uint256]


@deploy
def __init__(registry_: IModelRegistry, min_stake_: uint256, unbonding_period_: uint256):
    """
    @dev The deployer becomes the owner; the market is wired once with
         `setMarket`. Devnet defaults (deployments/params): min stake
         0.1 ETH, unbonding 1 hour.
    @param registry_ The ModelRegistry.
    @param min_stake_ Least stake of an eligible agent, in wei.
    @param unbonding_period_ Seconds between `requestUnstake` and
           `withdrawStake`; must exceed a task's commit and reveal windows.
    """
    ownable.__init__()
    ownable_2step.__init__()
    pausable.__init__()
    assert registry_.address != empty(address), "staking: zero registry"
    assert min_stake_ != 0 and min_stake_ <= MAX_MIN_STAKE, "staking: min stake out of bounds"
    assert (
        unbonding_period_ >= MIN_UNBONDING and unbonding_period_ <= MAX_UNBONDING
    ), "staking: unbonding period out of bounds"
    registry = registry_
    self.min_stake = min_stake_
    self.unbonding_period = unbonding_period_
    log MinStakeSet(min_stake=min_stake_)
    log UnbondingPeriodSet(unbonding_period=unbonding_period_)


# ---------------------------------------------------------------- agents


@external
@payable
def register(signer: address, models: DynArray[bytes32, MAX_MODELS], endpoint: String[128]):
    """
    @dev The caller becomes the agent (owner). An address that fully
         withdrew after `deregister` may register again.
    @notice Registers an agent with its hot signer key, the models it
            serves and an optional public endpoint, staking `msg.value`.
    @param signer The key the oracle worker signs results with; not an
           agent owner and not another agent's signer.
    @param models Ids of registered, active models (no duplicates).
    @param endpoint A URL where the agent's worker reports its health.
    """
    pausable._require_not_paused()
    agent: Agent = self._agents[msg.sender]
    assert agent.status == STATUS_NONE, "staking: already registered"
    assert self._agent_of_signer[msg.sender] == empty(address), "staking: caller is a signer"
    assert msg.value >= self.min_stake, "staking: stake below minimum"
    assert msg.value <= MAX_STAKE, "staking: stake too large"
    self._check_signer(signer, msg.sender)
    self._check_models(models)

    self._agents[msg.sender] = Agent(
        signer=signer,
        status=STATUS_ACTIVE,
        stake=msg.value,
        pending_unstake=0,
        unbond_at=0,
        models=models,
        endpoint=endpoint,
    )
    self._agent_of_signer[signer] = msg.sender
    self.total_staked += msg.value
    log AgentRegistered(agent=msg.sender, signer=signer, stake=msg.value)
    log ModelsSet(agent=msg.sender, models=models)
    if len(endpoint) != 0:
        log EndpointSet(agent=msg.sender, endpoint=endpoint)
    self._sync_models(msg.sender, models, empty(DynArray[bytes32, MAX_MODELS]))


@external
@payable
def addStake():
    """
    @notice Adds `msg.value` to the caller's stake.
    """
    pausable._require_not_paused()
    assert self._agents[msg.sender].status == STATUS_ACTIVE, "staking: not an active agent"
    assert msg.value != 0, "staking: zero amount"
    stake: uint256 = self._agents[msg.sender].stake + msg.value
    assert stake <= MAX_STAKE, "staking: stake too large"
    self._agents[msg.sender].stake = stake
    self.total_staked += msg.value
    log StakeAdded(agent=msg.sender, amount=msg.value, stake=stake)
    self._sync(msg.sender)


@external
def requestUnstake(amount: uint256):
    """
    @dev The amount stops counting toward the agent's weight at once and
         can be withdrawn after the unbonding period. A new request
         restarts the period for the whole pending amount.
    @notice Asks to take `amount` of the caller's stake out.
    @param amount Wei to unstake, at most the stake not already pending.
    """
    agent: Agent = self._agents[msg.sender]
    assert agent.status != STATUS_NONE, "staking: not an agent"
    assert amount != 0, "staking: zero amount"
    assert amount <= agent.stake - agent.pending_unstake, "staking: amount exceeds free stake"
    pending: uint256 = agent.pending_unstake + amount
    unbond_at: uint256 = block.timestamp + self.unbonding_period
    self._agents[msg.sender].pending_unstake = pending
    self._agents[msg.sender].unbond_at = unbond_at
    log UnstakeRequested(agent=msg.sender, amount=amount, pending_unstake=pending, unbond_at=unbond_at)
    self._sync(msg.sender)


@external
@nonreentrant
def withdrawStake():
    """
    @dev Allowed once the unbonding period has passed and the agent sits
         on no committee of a task that is not finalized, so that stake
         cannot escape a pending slash. A deregistered agent that takes
         its last wei out is forgotten, and its signer is released.
    @notice Sends the caller its pending unstake.
    """
    agent: Agent = self._agents[msg.sender]
    assert agent.status != STATUS_NONE, "staking: not an agent"
    # A deregistered agent slashed to nothing has nothing pending but may still leave.
    leaving: bool = agent.status == STATUS_DEREGISTERED and agent.stake == 0
    assert agent.pending_unstake != 0 or leaving, "staking: nothing pending"
    assert block.timestamp >= agent.unbond_at, "staking: still unbonding"
    if self.market != empty(address):
        open_tasks: uint256 = staticcall ITaskMarket(self.market).openTasks(msg.sender)
        assert open_tasks == 0, "staking: agent has open tasks"

    amount: uint256 = min(agent.pending_unstake, agent.stake)
    stake: uint256 = agent.stake - amount
    self._agents[msg.sender].stake = stake
    self._agents[msg.sender].pending_unstake = 0
    self.total_staked -= amount
    if agent.status == STATUS_DEREGISTERED and stake == 0:
        self._agent_of_signer[agent.signer] = empty(address)
        self._agents[msg.sender] = empty(Agent)
    else:
        self._sync(msg.sender)
    log StakeWithdrawn(agent=msg.sender, amount=amount, stake=stake)

    if amount != 0:
        ok: bool = raw_call(msg.sender, b"", value=amount, revert_on_failure=False)
        assert ok, "staking: transfer failed"


@external
def setSigner(signer: address):
    """
    @dev The old signer is released at once: its signatures stop
         counting for this agent, including ones not yet relayed.
    @notice Replaces the caller's signer key.
    @param signer The new key; not an agent owner and not bound elsewhere.
    """
    old: address = self._agents[msg.sender].signer
    assert self._agents[msg.sender].status != STATUS_NONE, "staking: not an agent"
    self._check_signer(signer, msg.sender)
    self._agent_of_signer[old] = empty(address)
    self._agent_of_signer[signer] = msg.sender
    self._agents[msg.sender].signer = signer
    log SignerChanged(agent=msg.sender, old_signer=old, new_signer=signer)


@external
def setModels(models: DynArray[bytes32, MAX_MODELS]):
    """
    @dev Committees already drawn keep the agent; only future draws see
         the new list.
    @notice Replaces the list of models the caller serves.
    @param models Ids of registered, active models (no duplicates).
    """
    pausable._require_not_paused()
    assert self._agents[msg.sender].status == STATUS_ACTIVE, "staking: not an active agent"
    self._check_models(models)
    old: DynArray[bytes32, MAX_MODELS] = self._agents[msg.sender].models
    self._agents[msg.sender].models = models
    log ModelsSet(agent=msg.sender, models=models)
    self._sync_models(msg.sender, models, old)


@external
def setEndpoint(endpoint: String[128]):
    """
    @notice Sets the public URL of the caller's worker.
    @param endpoint The URL (may be empty).
    """
    assert self._agents[msg.sender].status == STATUS_ACTIVE, "staking: not an active agent"
    self._agents[msg.sender].endpoint = endpoint
    log EndpointSet(agent=msg.sender, endpoint=endpoint)


@external
def deregister():
    """
    @dev The agent leaves every model at once and its whole stake starts
         unbonding; it must still serve the committees it sits on.
    @notice Retires the caller's agent.
    """
    agent: Agent = self._agents[msg.sender]
    assert agent.status == STATUS_ACTIVE, "staking: not an active agent"
    unbond_at: uint256 = block.timestamp + self.unbonding_period
    self._agents[msg.sender].status = STATUS_DEREGISTERED
    self._agents[msg.sender].pending_unstake = agent.stake
    self._agents[msg.sender].unbond_at = unbond_at
    log Deregistered(agent=msg.sender)
    log UnstakeRequested(
        agent=msg.sender,
        amount=agent.stake - agent.pending_unstake,
        pending_unstake=agent.stake,
        unbond_at=unbond_at,
    )
    self._sync(msg.sender)


@external
def poke(agent: address):
    """
    @dev Weights follow `min_stake` only when recomputed; after the owner
         raises it, anyone may push an agent's weights up to date.
    @notice Recomputes an agent's weight in every model it serves.
    @param agent The agent to update.
    """
    assert self._agents[agent].status != STATUS_NONE, "staking: not an agent"
    self._sync(agent)


# ---------------------------------------------------------------- market


@external
def slash(agent: address, amount: uint256, task_id: uint256, reason: uint8) -> uint256:
    """
    @dev Only the TaskMarket. Takes at most the agent's stake; the pending
         unstake shrinks with it. Slashed ETH goes to the treasury.
    @notice Slashes an agent for a task.
    @param agent The agent (owner address).
    @param amount Wei to take.
    @param task_id The task the agent failed.
    @param reason 1 missed, 2 wrong.
    @return uint256 The amount actually taken.
    """
    assert msg.sender == self.market, "staking: caller is not the market"
    assert reason == REASON_MISSED or reason == REASON_WRONG, "staking: unknown reason"
    stake: uint256 = self._agents[agent].stake
    taken: uint256 = min(amount, stake)
    stake -= taken
    self._agents[agent].stake = stake
    if self._agents[agent].pending_unstake > stake:
        self._agents[agent].pending_unstake = stake
    self.total_staked -= taken
    self.treasury_balance += taken
    log Slashed(agent=agent, task_id=task_id, amount=taken, reason=reason)
    if self._agents[agent].status != STATUS_NONE:
        self._sync(agent)
    return taken


@external
@view
def drawCommittee(model_id: bytes32, size: uint256, seed: bytes32) -> DynArray[address, MAX_COMMITTEE]:
    """
    @dev Stake-weighted sampling without replacement: member k is leaf
         `r_k mod W_k` of the prefix sums, with `r_k = keccak(seed, k)`
         and `W_k` the weight not yet drawn. Drawn leaves are kept in
         memory and their weights subtracted from every tree node that
         covers them, so nothing is written. O(size * log n) reads.
         A leaf whose stored weight is below the current `min_stake` (the
         owner raised it and the agent was not poked since) is drawn over:
         removed from the draw but not seated. Fewer than `size` agents
         come back only when such leaves exhaust the 32 draws or the weight.
    @notice Draws a committee for a model.
    @param model_id The model the committee serves.
    @param size Number of distinct agents to draw.
    @param seed Randomness from the market.
    @return DynArray The agents (owner addresses) in draw order.
    """
    stats: uint256 = self._model_stats[model_id]
    n: uint256 = stats & MASK32
    assert size <= MAX_COMMITTEE, "staking: committee too large"
    assert size <= (stats >> 32) & MASK32, "staking: not enough eligible agents"
    remaining: uint256 = stats >> 64

    top: uint256 = 1
    for _: uint256 in range(LOG_AGENTS):
        if top * 2 > n:
            break
        top *= 2

    # Weights are refreshed on each agent's own changes (or `poke`); one left below a
    # minimum the owner has since raised is drawn over, not seated.
    min_weight: uint256 = self.min_stake
    picked: DynArray[uint256, MAX_DRAWS] = []
    picked_weight: DynArray[uint256, MAX_DRAWS] = []
    committee: DynArray[address, MAX_COMMITTEE] = []
    for k: uint256 in range(MAX_DRAWS):
        if len(committee) == size or remaining == 0:
            break
        r: uint256 = convert(keccak256(abi_encode(seed, k)), uint256) % remaining
        pos: uint256 = 0
        step: uint256 = top
        for _: uint256 in range(LOG_AGENTS + 1):
            if step == 0:
                break
            nxt: uint256 = pos + step
            if nxt <= n:
                v: uint256 = self._tree[model_id][nxt]
                for j: uint256 in range(len(picked), bound=MAX_DRAWS):
                    if picked[j] > pos and picked[j] <= nxt:
                        v -= picked_weight[j]
                if v <= r:
                    pos = nxt
                    r -= v
            step = step >> 1
        leaf: uint256 = self._leaves[model_id][pos + 1]
        weight: uint256 = leaf >> 160
        picked.append(pos + 1)
        picked_weight.append(weight)
        remaining -= weight
        if weight >= min_weight:
            committee.append(convert(convert(leaf & ADDRESS_MASK, uint160), address))
    return committee


@external
@view
def resolveAgent(caller: address) -> address:
    """
    @dev Owners and signers are disjoint, so the answer is unambiguous.
    @notice The agent a caller acts for: itself when it is an agent
            owner, the agent it signs for when it is a signer, else zero.
    @param caller The address to resolve.
    @return address The agent, or the zero address.
    """
    if self._agents[caller].status != STATUS_NONE:
        return caller
    return self._agent_of_signer[caller]


# ---------------------------------------------------------------- owner


@external
def setMarket(market_: address):
    """
    @dev Once, by the owner, right after deployment.
    @notice Wires the TaskMarket that may slash and whose open tasks
            lock stake.
    @param market_ The TaskMarket.
    """
    ownable._check_owner()
    assert self.market == empty(address), "staking: market already set"
    assert market_ != empty(address), "staking: zero market"
    self.market = market_
    log MarketSet(market=market_)


@external
def pause():
    """
    @dev Blocks `register`, `addStake` and `setModels`; never a way out
         (`requestUnstake`, `withdrawStake`).
    @notice Pauses new stake and registrations.
    """
    ownable._check_owner()
    pausable._pause()


@external
def unpause():
    """
    @notice Lifts the pause.
    """
    ownable._check_owner()
    pausable._unpause()


@external
def setMinStake(min_stake_: uint256):
    """
    @dev Existing weights follow on the agent's next change or `poke`.
    @notice Sets the least stake of an eligible agent.
    @param min_stake_ Wei, in (0, 1000 ETH].
    """
    ownable._check_owner()
    assert min_stake_ != 0 and min_stake_ <= MAX_MIN_STAKE, "staking: min stake out of bounds"
    self.min_stake = min_stake_
    log MinStakeSet(min_stake=min_stake_)


@external
def setUnbondingPeriod(unbonding_period_: uint256):
    """
    @dev Must stay longer than a task's commit and reveal windows.
    @notice Sets the unbonding period.
    @param unbonding_period_ Seconds, in [60 s, 60 days].
    """
    ownable._check_owner()
    assert (
        unbonding_period_ >= MIN_UNBONDING and unbonding_period_ <= MAX_UNBONDING
    ), "staking: unbonding period out of bounds"
    if self.market != empty(address):
        market: ITaskMarket = ITaskMarket(self.market)
        lifetime: uint256 = staticcall market.commit_window() + staticcall market.reveal_window()
        assert unbonding_period_ > lifetime, "staking: unbonding shorter than a task"
    self.unbonding_period = unbonding_period_
    log UnbondingPeriodSet(unbonding_period=unbonding_period_)


@external
@nonreentrant
def withdrawTreasury(receiver: address, amount: uint256):
    """
    @notice Sends slashed ETH from the treasury.
    @param receiver Where to send it.
    @param amount Wei, at most `treasury_balance`.
    """
    ownable._check_owner()
    assert receiver != empty(address), "staking: zero receiver"
    assert amount <= self.treasury_balance, "staking: amount exceeds treasury"
    self.treasury_balance -= amount
    log TreasuryWithdrawn(receiver=receiver, amount=amount)
    ok: bool = raw_call(receiver, b"", value=amount, revert_on_failure=False)
    assert ok, "staking: transfer failed"


# ---------------------------------------------------------------- views


@external
@view
def agentsForModel(model_id: bytes32) -> DynArray[address, MAX_AGENTS_PER_MODEL]:
    """
    @dev Reads every leaf: meant for off-chain callers.
    @notice The agents (owners) currently eligible for a model.
    @param model_id The model.
    @return DynArray Eligible agents in the order they joined the model.
    """
    n: uint256 = self._model_stats[model_id] & MASK32
    min_weight: uint256 = max(self.min_stake, 1)
    out: DynArray[address, MAX_AGENTS_PER_MODEL] = []
    for i: uint256 in range(1, MAX_AGENTS_PER_MODEL + 1):
        if i > n:
            break
        leaf: uint256 = self._leaves[model_id][i]
        if leaf >> 160 >= min_weight:
            out.append(convert(convert(leaf & ADDRESS_MASK, uint160), address))
    return out


@external
@view
def eligibleCount(model_id: bytes32) -> uint256:
    """
    @dev Counts the agents with a weight in the model's tree; after the owner
         raises `min_stake`, agents below it count until they are poked.
    @notice How many agents are eligible for a model.
    @param model_id The model.
    @return uint256 The count.
    """
    return (self._model_stats[model_id] >> 32) & MASK32


@external
@view
def totalWeight(model_id: bytes32) -> uint256:
    """
    @notice Sum of the eligible agents' weights for a model.
    @param model_id The model.
    @return uint256 Wei.
    """
    return self._model_stats[model_id] >> 64


@external
@view
def weightOf(agent: address, model_id: bytes32) -> uint256:
    """
    @notice An agent's weight in a model's committee draw.
    @param agent The agent.
    @param model_id The model.
    @return uint256 Wei (0 when not eligible).
    """
    leaf: uint256 = self._leaf_of[model_id][agent]
    if leaf == 0:
        return 0
    return self._leaves[model_id][leaf] >> 160


@external
@view
def stakeOf(agent: address) -> uint256:
    """
    @notice An agent's stake, pending unstake included.
    @param agent The agent.
    @return uint256 Wei.
    """
    return self._agents[agent].stake


@external
@view
def pendingUnstakeOf(agent: address) -> uint256:
    """
    @notice Stake an agent asked to take out.
    @param agent The agent.
    @return uint256 Wei.
    """
    return self._agents[agent].pending_unstake


@external
@view
def unbondAt(agent: address) -> uint256:
    """
    @notice When an agent's pending unstake can be withdrawn.
    @param agent The agent.
    @return uint256 Unix time (0 when nothing is pending).
    """
    return self._agents[agent].unbond_at


@external
@view
def signerOf(agent: address) -> address:
    """
    @notice An agent's signer key.
    @param agent The agent.
    @return address The signer (zero for an unknown agent).
    """
    return self._agents[agent].signer


@external
@view
def agentOfSigner(signer: address) -> address:
    """
    @notice The agent a signer key belongs to.
    @param signer The signer.
    @return address The agent (zero when unbound).
    """
    return self._agent_of_signer[signer]


@external
@view
def modelsOf(agent: address) -> DynArray[bytes32, MAX_MODELS]:
    """
    @notice The models an agent lists.
    @param agent The agent.
    @return DynArray Model ids.
    """
    return self._agents[agent].models


@external
@view
def statusOf(agent: address) -> uint8:
    """
    @notice An agent's status.
    @param agent The agent.
    @return uint8 0 unknown, 1 active, 2 deregistered.
    """
    return self._agents[agent].status


@external
@view
def endpointOf(agent: address) -> String[128]:
    """
    @notice An agent's public endpoint.
    @param agent The agent.
    @return String The URL.
    """
    return self._agents[agent].endpoint


@external
@view
def reputation(agent: address) -> (uint256, uint256, uint256):
    """
    @dev The counters live beside the agent's claimable balance in the
         market, where finalize updates them in the same write.
    @notice An agent's record over finalized tasks.
    @param agent The agent.
    @return uint256 Tasks where it agreed with the accepted result.
    @return uint256 Tasks where it revealed another result.
    @return uint256 Tasks where it failed to commit or reveal.
    """
    if self.market == empty(address):
        return (0, 0, 0)
    return staticcall ITaskMarket(self.market).reputation(agent)


@external
@view
def agentInfo(agent: address) -> AgentView:
    """
    @notice Everything about an agent in one call.
    @param agent The agent.
    @return AgentView Signer, status, stake, pending unstake, unbonding
            time, current weight, models, endpoint and reputation.
    """
    a: Agent = self._agents[agent]
    agreed: uint256 = 0
    disagreed: uint256 = 0
    missed: uint256 = 0
    if self.market != empty(address):
        agreed, disagreed, missed = staticcall ITaskMarket(self.market).reputation(agent)
    return AgentView(
        signer=a.signer,
        status=a.status,
        stake=a.stake,
        pending_unstake=a.pending_unstake,
        unbond_at=a.unbond_at,
        weight=self._weight(a),
        models=a.models,
        endpoint=a.endpoint,
        agreed=agreed,
        disagreed=disagreed,
        missed=missed,
    )


# ---------------------------------------------------------------- internal


@internal
@view
def _check_signer(signer: address, agent: address):
    assert signer != empty(address), "staking: zero signer"
    assert signer != agent, "staking: signer is the agent"
    assert self._agents[signer].status == STATUS_NONE, "staking: signer is an agent"
    assert self._agent_of_signer[signer] == empty(address), "staking: signer already bound"


@internal
@view
def _check_models(models: DynArray[bytes32, MAX_MODELS]):
    assert len(models) != 0, "staking: no models"
    for i: uint256 in range(len(models), bound=MAX_MODELS):
        assert staticcall registry.isActive(models[i]), "staking: model not active"
        for j: uint256 in range(i + 1, len(models), bound=MAX_MODELS):
            assert models[j] != models[i], "staking: duplicate model"


@internal
@view
def _weight(agent: Agent) -> uint256:
    if agent.status != STATUS_ACTIVE:
        return 0
    free: uint256 = agent.stake - agent.pending_unstake
    if free < self.min_stake:
        return 0
    return free


@internal
def _sync(agent: address):
    models: DynArray[bytes32, MAX_MODELS] = self._agents[agent].models
    weight: uint256 = self._weight(self._agents[agent])
    for m: bytes32 in models:
        self._set_weight(m, agent, weight)


@internal
def _sync_models(
    agent: address,
    models: DynArray[bytes32, MAX_MODELS],
    old: DynArray[bytes32, MAX_MODELS],
):
    for m: bytes32 in old:
        if m not in models:
            self._set_weight(m, agent, 0)
    weight: uint256 = self._weight(self._agents[agent])
    for m: bytes32 in models:
        self._set_weight(m, agent, weight)


@internal
def _set_weight(model_id: bytes32, agent: address, weight: uint256):
    """
    @dev Sets an agent's leaf in a model's Fenwick tree. A new leaf is
         appended (its node summing the leaves it covers); an existing
         one propagates the change to the at most LOG + 1 nodes above.
    """
    stats: uint256 = self._model_stats[model_id]
    n: uint256 = stats & MASK32
    eligible: uint256 = (stats >> 32) & MASK32
    total: uint256 = stats >> 64
    leaf: uint256 = self._leaf_of[model_id][agent]
    old: uint256 = 0

    if leaf == 0:
        if weight == 0:
            return
        assert n < MAX_AGENTS_PER_MODEL, "staking: model has too many agents"
        n += 1
        leaf = n
        self._leaf_of[model_id][agent] = leaf
        node: uint256 = weight
        lowest: uint256 = leaf - (leaf & unsafe_sub(0, leaf))
        j: uint256 = leaf - 1
        for _: uint256 in range(LOG_AGENTS + 1):
            if j <= lowest:
                break
            node += self._tree[model_id][j]
            j -= j & unsafe_sub(0, j)
        self._tree[model_id][leaf] = node
    else:
        old = self._leaves[model_id][leaf] >> 160
        if old == weight:
            return
        i: uint256 = leaf
        for _: uint256 in range(LOG_AGENTS + 1):
            if i > n:
                break
            if weight > old:
                self._tree[model_id][i] += weight - old
            else:
                self._tree[model_id][i] -= old - weight
            i += i & unsafe_sub(0, i)

    self._leaves[model_id][leaf] = convert(agent, uint256) | (weight << 160)
    if old == 0 and weight != 0:
        eligible += 1
    elif old != 0 and weight == 0:
        eligible -= 1
    total = total + weight - old
    self._model_stats[model_id] = n | (eligible << 32) | (total << 64)
    log WeightChanged(agent=agent, model_id=model_id, weight=weight)
