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
        unstake, when at least `min_stake`) live in a lagged stake tree
        (`modules/stake_tree.vy`): a weight change made in epoch `k` (256
        blocks) counts for draws whose draw block lies in epoch `k + 1` or
        later, so the TaskMarket's draw reads weights fixed before its
        randomness existed. Seats are drawn with replacement, in proportion
        to weight, in O(log n) reads per seat however many agents serve the
        model; a stake change costs at most 12 node writes per model the
        agent serves.
@custom:security Slashes lower the stake at once but leave the trees
        alone (a finalize slashing 16 members of 16 models each would not
        fit a block); `poke` brings an agent's weights in line with its stake
        and the current `min_stake`, and anyone may call it.
"""

from snekmate.auth import ownable
from snekmate.auth import ownable_2step
from snekmate.utils import pausable

from .interfaces import IModelRegistry
from .interfaces import ITaskMarket
from .modules import constants
from .modules import stake_tree

initializes: ownable
initializes: ownable_2step[ownable := ownable]
initializes: pausable
initializes: stake_tree

exports: (
    ownable_2step.owner,
    ownable_2step.pending_owner,
    ownable_2step.transfer_ownership,
    ownable_2step.accept_ownership,
    pausable.paused,
    stake_tree.currentEpoch,
    stake_tree.epochBlocks,
    stake_tree.weightOf,
    stake_tree.weightAt,
    stake_tree.totalWeight,
    stake_tree.totalWeightAt,
    stake_tree.eligibleCount,
    stake_tree.leafStats,
    stake_tree.agentsForModel,
    stake_tree.drawWeights,
    stake_tree.drawCommittee,
)


# Bounds of the owner's setters.
MAX_MIN_STAKE: constant(uint256) = 1_000 * 10**18
MIN_UNBONDING: constant(uint256) = 60
MAX_UNBONDING: constant(uint256) = 60 * 86_400

# Stake asked out in epoch k still counts in draws of epoch k, which can
# seat until the end of epoch k + 1: it may leave from epoch k + 2.
WITHDRAW_AFTER_EPOCHS: constant(uint256) = 2

# Agent status values.
STATUS_NONE: constant(uint8) = 0
STATUS_ACTIVE: constant(uint8) = 1
STATUS_DEREGISTERED: constant(uint8) = 2


struct Agent:
    signer: address
    status: uint8
    stake: uint256
    pending_unstake: uint256
    unbond_at: uint256
    unbond_epoch: uint256
    models: DynArray[bytes32, constants.MAX_MODELS]
    endpoint: String[128]


struct AgentView:
    signer: address
    status: uint8
    stake: uint256
    pending_unstake: uint256
    unbond_at: uint256
    unbond_epoch: uint256
    weight: uint256
    models: DynArray[bytes32, constants.MAX_MODELS]
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
    models: DynArray[bytes32, constants.MAX_MODELS]


event EndpointSet:
    agent: indexed(address)
    endpoint: String[128]


event Deregistered:
    agent: indexed(address)


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

# owner -> agent record.
_agents: HashMap[address, Agent]
# signer -> agent (owner) it signs for.
_agent_of_signer: HashMap[address, address]


@deploy
def __init__(registry_: IModelRegistry, min_stake_: uint256, unbonding_period_: uint256):
    """
    @dev The deployer becomes the owner; the market is wired once with
         `setMarket`. Devnet defaults (deployments/params): min stake
         0.1 ETH, unbonding 1 hour.
    @notice Deploys the staking contract of a registry.
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
def register(signer: address, models: DynArray[bytes32, constants.MAX_MODELS], endpoint: String[128]):
    """
    @dev The caller becomes the agent (owner). An address that fully
         withdrew after `deregister` may register again. Its weight counts
         in draws from the next epoch on.
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
    assert msg.value <= constants.MAX_STAKE, "staking: stake too large"
    self._check_signer(signer, msg.sender)
    self._check_models(models)

    self._agents[msg.sender] = Agent(
        signer=signer,
        status=STATUS_ACTIVE,
        stake=msg.value,
        pending_unstake=0,
        unbond_at=0,
        unbond_epoch=0,
        models=models,
        endpoint=endpoint,
    )
    self._agent_of_signer[signer] = msg.sender
    self.total_staked += msg.value
    log AgentRegistered(agent=msg.sender, signer=signer, stake=msg.value)
    log ModelsSet(agent=msg.sender, models=models)
    if len(endpoint) != 0:
        log EndpointSet(agent=msg.sender, endpoint=endpoint)
    self._sync_models(msg.sender, models, empty(DynArray[bytes32, constants.MAX_MODELS]))


@external
@payable
def addStake():
    """
    @dev The new weight counts in draws from the next epoch on.
    @notice Adds `msg.value` to the caller's stake.
    """
    pausable._require_not_paused()
    assert self._agents[msg.sender].status == STATUS_ACTIVE, "staking: not an active agent"
    assert msg.value != 0, "staking: zero amount"
    stake: uint256 = self._agents[msg.sender].stake + msg.value
    assert stake <= constants.MAX_STAKE, "staking: stake too large"
    self._agents[msg.sender].stake = stake
    self.total_staked += msg.value
    log StakeAdded(agent=msg.sender, amount=msg.value, stake=stake)
    self._sync(msg.sender)


@external
def requestUnstake(amount: uint256):
    """
    @dev The amount leaves the agent's weight in draws of the next epoch
         on, and can be withdrawn after the unbonding period, once no draw
         can read it any more (two epochs on). A new request restarts both
         for the whole pending amount.
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
    self._agents[msg.sender].unbond_epoch = stake_tree._current_epoch()
    log UnstakeRequested(agent=msg.sender, amount=amount, pending_unstake=pending, unbond_at=unbond_at)
    self._sync(msg.sender)


@external
@nonreentrant
def withdrawStake():
    """
    @dev Allowed once the unbonding period has passed, two epochs after
         the request (no draw reads the old weight any more), and while
         the agent sits on no committee of a task that is not finalized,
         so that stake cannot escape a pending slash. A deregistered agent
         that takes its last wei out is forgotten, and its signer released.
    @notice Sends the caller its pending unstake.
    """
    agent: Agent = self._agents[msg.sender]
    assert agent.status != STATUS_NONE, "staking: not an agent"
    # A deregistered agent slashed to nothing has nothing pending but may still leave.
    leaving: bool = agent.status == STATUS_DEREGISTERED and agent.stake == 0
    assert agent.pending_unstake != 0 or leaving, "staking: nothing pending"
    assert block.timestamp >= agent.unbond_at, "staking: still unbonding"
    assert (
        stake_tree._current_epoch() >= agent.unbond_epoch + WITHDRAW_AFTER_EPOCHS
    ), "staking: stake still counts in draws"
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
def setModels(models: DynArray[bytes32, constants.MAX_MODELS]):
    """
    @dev Committees already drawn keep the agent; draws of the next epoch
         on see the new list.
    @notice Replaces the list of models the caller serves.
    @param models Ids of registered, active models (no duplicates).
    """
    pausable._require_not_paused()
    assert self._agents[msg.sender].status == STATUS_ACTIVE, "staking: not an active agent"
    self._check_models(models)
    old: DynArray[bytes32, constants.MAX_MODELS] = self._agents[msg.sender].models
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
    @dev The agent leaves every model (for draws of the next epoch on)
         and its whole stake starts unbonding; it must still serve the
         committees it sits on or is drawn to until then.
    @notice Retires the caller's agent.
    """
    agent: Agent = self._agents[msg.sender]
    assert agent.status == STATUS_ACTIVE, "staking: not an active agent"
    unbond_at: uint256 = block.timestamp + self.unbonding_period
    self._agents[msg.sender].status = STATUS_DEREGISTERED
    self._agents[msg.sender].pending_unstake = agent.stake
    self._agents[msg.sender].unbond_at = unbond_at
    self._agents[msg.sender].unbond_epoch = stake_tree._current_epoch()
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
    @dev Weights follow an agent's stake and `min_stake` only when
         recomputed: after a slash or a change of `min_stake`, anyone may
         bring an agent's weights up to date (for draws of the next epoch
         on). Workers poke the agents they see slashed.
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
         unstake shrinks with it. Slashed ETH goes to the treasury. The
         agent's weights are left to `poke`.
    @notice Slashes an agent for a task.
    @param agent The agent (owner address).
    @param amount Wei to take.
    @param task_id The task the agent failed.
    @param reason 1 missed, 2 wrong.
    @return uint256 The amount actually taken.
    """
    assert msg.sender == self.market, "staking: caller is not the market"
    assert (
        reason == constants.REASON_MISSED or reason == constants.REASON_WRONG
    ), "staking: unknown reason"
    stake: uint256 = self._agents[agent].stake
    taken: uint256 = min(amount, stake)
    if taken != 0:
        stake -= taken
        self._agents[agent].stake = stake
        if self._agents[agent].pending_unstake > stake:
            self._agents[agent].pending_unstake = stake
        self.total_staked -= taken
        self.treasury_balance += taken
    log Slashed(agent=agent, task_id=task_id, amount=taken, reason=reason)
    return taken


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
    @dev Owner only.
    @notice Lifts the pause.
    """
    ownable._check_owner()
    pausable._unpause()


@external
def setMinStake(min_stake_: uint256):
    """
    @dev Existing weights follow on the agent's next change or `poke`;
         draws never consult `min_stake` (it can change after their
         randomness is known).
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
    @dev Owner only; pull-style transfer last.
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
    @notice When an agent's pending unstake can be withdrawn, by time.
    @param agent The agent.
    @return uint256 Unix time (0 when nothing was asked).
    """
    return self._agents[agent].unbond_at


@external
@view
def withdrawableFromEpoch(agent: address) -> uint256:
    """
    @dev `withdrawStake` also needs `unbondAt` and no open task.
    @notice The first epoch in which an agent's pending unstake no longer
            counts in any draw.
    @param agent The agent.
    @return uint256 The epoch (2 when nothing was asked).
    """
    return self._agents[agent].unbond_epoch + WITHDRAW_AFTER_EPOCHS


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
def modelsOf(agent: address) -> DynArray[bytes32, constants.MAX_MODELS]:
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
    @notice An agent's record over finalized tasks (one count per task,
            whatever its seats).
    @param agent The agent.
    @return uint256 Tasks where it agreed with the accepted result.
    @return uint256 Tasks where it revealed a rejected result.
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
            time and epoch, the weight its stake gives it now, models,
            endpoint and reputation.
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
        unbond_epoch=a.unbond_epoch,
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
    """
    @notice Reverts unless `signer` may become `agent`'s signer.
    @param signer The candidate key.
    @param agent The agent (owner).
    """
    assert signer != empty(address), "staking: zero signer"
    assert signer != agent, "staking: signer is the agent"
    assert self._agents[signer].status == STATUS_NONE, "staking: signer is an agent"
    assert self._agent_of_signer[signer] == empty(address), "staking: signer already bound"


@internal
@view
def _check_models(models: DynArray[bytes32, constants.MAX_MODELS]):
    """
    @notice Reverts unless `models` is a non-empty list of distinct
            active models.
    @param models The model ids.
    """
    assert len(models) != 0, "staking: no models"
    for i: uint256 in range(len(models), bound=constants.MAX_MODELS):
        assert staticcall registry.isActive(models[i]), "staking: model not active"
        for j: uint256 in range(i + 1, len(models), bound=constants.MAX_MODELS):
            assert models[j] != models[i], "staking: duplicate model"


@internal
@view
def _weight(agent: Agent) -> uint256:
    """
    @notice The weight an agent's record gives it in each of its models.
    @param agent The record.
    @return uint256 Free stake when active and at least `min_stake`, else 0.
    """
    if agent.status != STATUS_ACTIVE:
        return 0
    free: uint256 = agent.stake - agent.pending_unstake
    if free < self.min_stake:
        return 0
    return free


@internal
def _sync(agent: address):
    """
    @notice Writes an agent's weight into the tree of every model it lists.
    @param agent The agent.
    """
    models: DynArray[bytes32, constants.MAX_MODELS] = self._agents[agent].models
    weight: uint256 = self._weight(self._agents[agent])
    for m: bytes32 in models:
        stake_tree._set_weight(m, agent, weight)


@internal
def _sync_models(
    agent: address,
    models: DynArray[bytes32, constants.MAX_MODELS],
    old: DynArray[bytes32, constants.MAX_MODELS],
):
    """
    @notice Moves an agent from its old model list to a new one.
    @param agent The agent.
    @param models The new list.
    @param old The old list.
    """
    for m: bytes32 in old:
        if m not in models:
            stake_tree._set_weight(m, agent, 0)
    weight: uint256 = self._weight(self._agents[agent])
    for m: bytes32 in models:
        stake_tree._set_weight(m, agent, weight)
