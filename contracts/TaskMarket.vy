# pragma version ~=0.4.3
"""
@title agentnet TaskMarket
@custom:contract-name TaskMarket
@license GNU Affero General Public License v3.0 only
@notice Requesters post inference tasks with a fee held in escrow. A
        stake-weighted committee of agents serving the task's model is
        drawn; each member commits to its result, then reveals it; the
        result that a quorum of members revealed is accepted, its agents
        are paid, late and wrong members are slashed, and a task without
        a quorum refunds its requester. Payments are pulled (`withdraw`).

        A task may name parent tasks: it waits until they are finalized,
        then anyone may `activate` it, which draws its committee. Workers
        read the parents' outputs from their `TaskFinalized` events.

        Members may submit directly (from the agent's owner or signer) or
        through a relayer with EIP-712 signatures of the agent's signer,
        one at a time or in batches across tasks.
@custom:storage Each task is two packed words plus one word per member
        (address) and one per member result (commitment, then revealed
        result hash). Per-account claimable balance, open-task count and
        reputation counters share one word, which `finalize` updates once
        per member.
"""

from snekmate.auth import ownable
from snekmate.auth import ownable_2step
from snekmate.utils import pausable
from snekmate.utils import ecdsa
from snekmate.utils import eip712_domain_separator as eip712

from .interfaces import IAgentStaking
from .interfaces import IModelRegistry

initializes: ownable
initializes: ownable_2step[ownable := ownable]
initializes: pausable
initializes: eip712

exports: (
    ownable_2step.owner,
    ownable_2step.pending_owner,
    ownable_2step.transfer_ownership,
    ownable_2step.accept_ownership,
    pausable.paused,
    eip712.eip712Domain,
)


MAX_COMMITTEE: constant(uint256) = 16
MAX_PARENTS: constant(uint256) = 8
MAX_INPUT: constant(uint256) = 4_096
MAX_OUTPUT: constant(uint256) = 8_192
MAX_BATCH: constant(uint256) = 64

# Bounds of the owner's setters.
MAX_MIN_FEE: constant(uint256) = 10**18
MIN_WINDOW: constant(uint256) = 2
MAX_WINDOW: constant(uint256) = 86_400
MAX_SLASH: constant(uint256) = 100 * 10**18
MAX_FEE: constant(uint256) = 2**80 - 1

COMMIT_TYPEHASH: constant(bytes32) = keccak256(
    "Commit(uint256 task_id,address agent,bytes32 commitment)"
)
REVEAL_TYPEHASH: constant(bytes32) = keccak256(
    "Reveal(uint256 task_id,address agent,bytes32 result_hash,bytes32 salt)"
)

# Phases returned by `taskPhase`.
PHASE_UNKNOWN: constant(uint8) = 0
PHASE_WAITING: constant(uint8) = 1
PHASE_COMMIT: constant(uint8) = 2
PHASE_REVEAL: constant(uint8) = 3
PHASE_READY: constant(uint8) = 4
PHASE_SUCCEEDED: constant(uint8) = 5
PHASE_FAILED: constant(uint8) = 6

# Status in `TaskFinalized`.
FINAL_SUCCEEDED: constant(uint8) = 1
FINAL_FAILED: constant(uint8) = 2

# Slash reasons (AgentStaking).
REASON_MISSED: constant(uint8) = 1
REASON_WRONG: constant(uint8) = 2

# Word A: requester (0-159) | fee (160-239) | stored status (240-247).
STORED_OPEN: constant(uint256) = 1
STORED_SUCCEEDED: constant(uint256) = 2
STORED_FAILED: constant(uint256) = 3

# Word B bit offsets.
B_MODEL: constant(uint256) = 0  # 32 bits, registry index
B_SIZE: constant(uint256) = 32  # 5 bits
B_QUORUM: constant(uint256) = 37  # 5 bits
B_NCOMMIT: constant(uint256) = 42  # 5 bits
B_NREVEAL: constant(uint256) = 47  # 5 bits
B_NPARENTS: constant(uint256) = 52  # 4 bits
B_WINNER: constant(uint256) = 56  # 5 bits, index + 1 of an agreeing member
B_START: constant(uint256) = 64  # 40 bits
B_COMMIT_END: constant(uint256) = 104  # 40 bits
B_REVEAL_WINDOW: constant(uint256) = 144  # 32 bits
B_COMMITTED: constant(uint256) = 176  # 16-bit member bitmap
B_REVEALED: constant(uint256) = 192  # 16-bit member bitmap
B_FINAL: constant(uint256) = 208  # 1 bit

# Book word: claimable (0-111) | open tasks (112-143) | agreed (144-175)
# | disagreed (176-207) | missed (208-239).
K_CLAIMABLE: constant(uint256) = 0
K_OPEN: constant(uint256) = 112
K_AGREED: constant(uint256) = 144
K_DISAGREED: constant(uint256) = 176
K_MISSED: constant(uint256) = 208
MASK112: constant(uint256) = 2**112 - 1
MASK128: constant(uint256) = 2**128 - 1
MASK32: constant(uint256) = 2**32 - 1

# Global word: task count (0-63) | escrowed fees (64-255).
MASK64: constant(uint256) = 2**64 - 1


struct TaskView:
    requester: address
    model_id: bytes32
    fee: uint256
    committee: DynArray[address, MAX_COMMITTEE]
    quorum: uint8
    parents: DynArray[uint256, MAX_PARENTS]
    start: uint256
    commit_end: uint256
    reveal_end: uint256
    committed: DynArray[bool, MAX_COMMITTEE]
    revealed: DynArray[bool, MAX_COMMITTEE]
    result_hashes: DynArray[bytes32, MAX_COMMITTEE]
    phase: uint8
    result_hash: bytes32


event TaskCreated:
    task_id: indexed(uint256)
    requester: indexed(address)
    model_id: indexed(bytes32)
    fee: uint256
    committee: DynArray[address, MAX_COMMITTEE]
    quorum: uint8
    input: Bytes[MAX_INPUT]
    parents: DynArray[uint256, MAX_PARENTS]


event TaskActivated:
    task_id: indexed(uint256)
    committee: DynArray[address, MAX_COMMITTEE]


event Committed:
    task_id: indexed(uint256)
    agent: indexed(address)


event Revealed:
    task_id: indexed(uint256)
    agent: indexed(address)
    result_hash: bytes32


event TaskFinalized:
    task_id: indexed(uint256)
    status: uint8
    result_hash: bytes32
    output: Bytes[MAX_OUTPUT]


event Withdrawn:
    account: indexed(address)
    amount: uint256


event MinFeeSet:
    min_fee_per_agent: uint256


event WindowsSet:
    commit_window: uint256
    reveal_window: uint256


event SlashAmountsSet:
    slash_missed: uint256
    slash_wrong: uint256


event TreasuryWithdrawn:
    receiver: indexed(address)
    amount: uint256


registry: public(immutable(IModelRegistry))
staking: public(immutable(IAgentStaking))

# min fee per agent (0-127) | commit window (128-159) | reveal window (160-191).
_params: uint256
# slash for a missed member (0-127) | slash for a wrong one (128-255).
_slashes: uint256
# Fee remainders kept by the protocol, withdrawn by the owner.
treasury_balance: public(uint256)

_global: uint256
_task_a: HashMap[uint256, uint256]
_task_b: HashMap[uint256, uint256]
_members: HashMap[uint256, HashMap[uint256, address]]
# Member i's commitment, replaced by its result hash when it reveals.
_results: HashMap[uint256, HashMap[uint256, bytes32]]
_parents: HashMap[uint256, DynArray[uint256, MAX_PARENTS]]
_book: HashMap[address, uint256]


@deploy
def __init__(
    registry_: IModelRegistry,
    staking_: IAgentStaking,
    min_fee_per_agent_: uint256,
    commit_window_: uint256,
    reveal_window_: uint256,
    slash_missed_: uint256,
    slash_wrong_: uint256,
):
    """
    @dev The deployer becomes the owner. Devnet defaults
         (deployments/params): fee 0.0001 ETH per member, 20 s windows,
         slashes 0.01 ETH (missed) and 0.05 ETH (wrong). Then call
         `AgentStaking.setMarket` with this contract.
    @param registry_ The ModelRegistry.
    @param staking_ The AgentStaking.
    @param min_fee_per_agent_ Least fee per committee member, in wei.
    @param commit_window_ Seconds for members to commit.
    @param reveal_window_ Seconds for members to reveal after commits close.
    @param slash_missed_ Wei taken from a member that did not commit or reveal.
    @param slash_wrong_ Wei taken from a member that revealed another result.
    """
    ownable.__init__()
    ownable_2step.__init__()
    pausable.__init__()
    eip712.__init__("agentnet", "1")
    assert registry_.address != empty(address), "market: zero registry"
    assert staking_.address != empty(address), "market: zero staking"
    registry = registry_
    staking = staking_
    self._set_min_fee(min_fee_per_agent_)
    self._set_windows(commit_window_, reveal_window_)
    self._set_slash_amounts(slash_missed_, slash_wrong_)


# ---------------------------------------------------------------- requesters


@external
@payable
def createTask(
    model_id: bytes32,
    input: Bytes[MAX_INPUT],
    committee_size: uint8,
    quorum: uint8,
    parents: DynArray[uint256, MAX_PARENTS],
) -> uint256:
    """
    @dev The committee is drawn now, or at `activate` for a task with
         parents. The fee (`msg.value`) stays in escrow until finalize.
    @notice Posts an inference task.
    @param model_id A registered, active model.
    @param input UTF-8 JSON task input (see PROTOCOL.md, Models).
    @param committee_size Members to draw, 1 to 16.
    @param quorum Equal reveals needed to accept a result, more than
           half the committee.
    @param parents Earlier tasks whose outputs this task consumes.
    @return uint256 The new task id (ids start at 1).
    """
    pausable._require_not_paused()
    size: uint256 = convert(committee_size, uint256)
    q: uint256 = convert(quorum, uint256)
    assert size >= 1 and size <= MAX_COMMITTEE, "market: committee size out of range"
    assert q > size // 2 and q <= size, "market: quorum out of range"
    params: uint256 = self._params
    assert msg.value >= (params & MASK128) * size, "market: fee below minimum"
    assert msg.value <= MAX_FEE, "market: fee too large"
    assert len(input) != 0, "market: empty input"
    active: bool = False
    index: uint256 = 0
    active, index = staticcall registry.activeIndex(model_id)
    assert active, "market: model not active"

    g: uint256 = self._global
    task_id: uint256 = (g & MASK64) + 1
    for i: uint256 in range(len(parents), bound=MAX_PARENTS):
        p: uint256 = parents[i]
        assert p != 0 and p < task_id, "market: unknown parent"
        for j: uint256 in range(i + 1, len(parents), bound=MAX_PARENTS):
            assert parents[j] != p, "market: duplicate parent"

    b: uint256 = index | (size << B_SIZE) | (q << B_QUORUM) | (len(parents) << B_NPARENTS)
    b = b | (((params >> 160) & MASK32) << B_REVEAL_WINDOW)
    committee: DynArray[address, MAX_COMMITTEE] = []
    if len(parents) == 0:
        assert staticcall staking.eligibleCount(model_id) >= size, "market: not enough eligible agents"
        committee = self._seat(task_id, model_id, size)
        commit_end: uint256 = block.timestamp + ((params >> 128) & MASK32)
        b = b | (block.timestamp << B_START) | (commit_end << B_COMMIT_END)
    else:
        self._parents[task_id] = parents

    self._task_a[task_id] = convert(msg.sender, uint256) | (msg.value << 160) | (STORED_OPEN << 240)
    self._task_b[task_id] = b
    self._global = task_id | (((g >> 64) + msg.value) << 64)
    log TaskCreated(
        task_id=task_id,
        requester=msg.sender,
        model_id=model_id,
        fee=msg.value,
        committee=committee,
        quorum=quorum,
        input=input,
        parents=parents,
    )
    return task_id


@external
def activate(task_id: uint256):
    """
    @dev Anyone. Fails the task (fee back to its requester) when a parent
         failed, the model was deprecated or too few agents are eligible.
    @notice Starts a task whose parents are all finalized: draws its
            committee and opens its commit window.
    @param task_id A task waiting for its parents.
    """
    b: uint256 = self._task_b[task_id]
    assert b != 0, "market: unknown task"
    assert self._field(b, B_FINAL, 1) == 0, "market: task already finalized"
    assert self._field(b, B_START, 40) == 0, "market: task not waiting"

    parent_failed: bool = False
    for p: uint256 in self._parents[task_id]:
        status: uint256 = self._task_a[p] >> 240
        assert status != STORED_OPEN, "market: parents not finalized"
        if status == STORED_FAILED:
            parent_failed = True

    model_id: bytes32 = staticcall registry.modelIdAt(self._field(b, B_MODEL, 32))
    size: uint256 = self._field(b, B_SIZE, 5)
    if (
        parent_failed
        or not staticcall registry.isActive(model_id)
        or staticcall staking.eligibleCount(model_id) < size
    ):
        self._fail_unstarted(task_id, b)
        return

    committee: DynArray[address, MAX_COMMITTEE] = self._seat(task_id, model_id, size)
    # Both windows are those in force now, when the task starts (as for a
    # task without parents), not those at creation.
    params: uint256 = self._params
    commit_end: uint256 = block.timestamp + ((params >> 128) & MASK32)
    b = (b & ~(MASK32 << B_REVEAL_WINDOW)) | (((params >> 160) & MASK32) << B_REVEAL_WINDOW)
    b = b | (block.timestamp << B_START) | (commit_end << B_COMMIT_END)
    self._task_b[task_id] = b
    log TaskActivated(task_id=task_id, committee=committee)


# ---------------------------------------------------------------- members


@external
def commit(task_id: uint256, commitment: bytes32):
    """
    @dev Sent by the member's owner or signer.
         `commitment = keccak256(abi_encode(task_id, agent, result_hash, salt))`.
    @notice Commits to a result during the commit phase.
    @param task_id The task.
    @param commitment The member's commitment.
    """
    agent: address = staticcall staking.resolveAgent(msg.sender)
    assert agent != empty(address), "market: caller is not an agent or signer"
    self._commit(task_id, agent, commitment)


@external
def reveal(task_id: uint256, result_hash: bytes32, salt: bytes32):
    """
    @dev Sent by the member's owner or signer.
    @notice Reveals a committed result during the reveal phase.
    @param task_id The task.
    @param result_hash keccak256 of the member's output bytes.
    @param salt The salt of the commitment.
    """
    agent: address = staticcall staking.resolveAgent(msg.sender)
    assert agent != empty(address), "market: caller is not an agent or signer"
    self._reveal(task_id, agent, result_hash, salt)


@external
def commitBySig(task_id: uint256, agent: address, commitment: bytes32, signature: Bytes[65]):
    """
    @dev Anyone may relay. EIP-712
         `Commit(uint256 task_id,address agent,bytes32 commitment)` signed
         by the agent's current signer.
    @notice Commits on behalf of a member.
    @param task_id The task.
    @param agent The member (owner address).
    @param commitment The member's commitment.
    @param signature 65 bytes r || s || v, low s.
    """
    self._check_signature(
        agent, keccak256(abi_encode(COMMIT_TYPEHASH, task_id, agent, commitment)), signature
    )
    self._commit(task_id, agent, commitment)


@external
def revealBySig(
    task_id: uint256, agent: address, result_hash: bytes32, salt: bytes32, signature: Bytes[65]
):
    """
    @dev Anyone may relay. EIP-712
         `Reveal(uint256 task_id,address agent,bytes32 result_hash,bytes32 salt)`
         signed by the agent's current signer.
    @notice Reveals on behalf of a member.
    @param task_id The task.
    @param agent The member (owner address).
    @param result_hash keccak256 of the member's output bytes.
    @param salt The salt of the commitment.
    @param signature 65 bytes r || s || v, low s.
    """
    self._check_signature(
        agent, keccak256(abi_encode(REVEAL_TYPEHASH, task_id, agent, result_hash, salt)), signature
    )
    self._reveal(task_id, agent, result_hash, salt)


@external
def commitBatch(
    task_ids: DynArray[uint256, MAX_BATCH],
    agents: DynArray[address, MAX_BATCH],
    commitments: DynArray[bytes32, MAX_BATCH],
    signatures: DynArray[Bytes[65], MAX_BATCH],
):
    """
    @dev All or nothing: one bad item reverts the batch (simulate first).
    @notice Relays many signed commits, across tasks, in one transaction.
    @param task_ids The tasks.
    @param agents The members.
    @param commitments The commitments.
    @param signatures The signers' EIP-712 `Commit` signatures.
    """
    n: uint256 = len(task_ids)
    assert n != 0, "market: empty batch"
    assert (
        len(agents) == n and len(commitments) == n and len(signatures) == n
    ), "market: batch length mismatch"
    for i: uint256 in range(n, bound=MAX_BATCH):
        self._check_signature(
            agents[i],
            keccak256(abi_encode(COMMIT_TYPEHASH, task_ids[i], agents[i], commitments[i])),
            signatures[i],
        )
        self._commit(task_ids[i], agents[i], commitments[i])


@external
def revealBatch(
    task_ids: DynArray[uint256, MAX_BATCH],
    agents: DynArray[address, MAX_BATCH],
    result_hashes: DynArray[bytes32, MAX_BATCH],
    salts: DynArray[bytes32, MAX_BATCH],
    signatures: DynArray[Bytes[65], MAX_BATCH],
):
    """
    @dev All or nothing: one bad item reverts the batch (simulate first).
    @notice Relays many signed reveals, across tasks, in one transaction.
    @param task_ids The tasks.
    @param agents The members.
    @param result_hashes The revealed result hashes.
    @param salts The commitments' salts.
    @param signatures The signers' EIP-712 `Reveal` signatures.
    """
    n: uint256 = len(task_ids)
    assert n != 0, "market: empty batch"
    assert (
        len(agents) == n
        and len(result_hashes) == n
        and len(salts) == n
        and len(signatures) == n
    ), "market: batch length mismatch"
    for i: uint256 in range(n, bound=MAX_BATCH):
        self._check_signature(
            agents[i],
            keccak256(
                abi_encode(REVEAL_TYPEHASH, task_ids[i], agents[i], result_hashes[i], salts[i])
            ),
            signatures[i],
        )
        self._reveal(task_ids[i], agents[i], result_hashes[i], salts[i])


@external
def finalize(task_id: uint256, output: Bytes[MAX_OUTPUT]):
    """
    @dev Anyone, once every member revealed or the reveal window closed.
         The result hash with the most reveals wins when at least
         `quorum` members revealed it (quorum > size / 2 makes it unique).
         Each agreeing member is credited `fee // agreeing`; the rest of
         the fee goes to the treasury. Members that did not commit or
         reveal are slashed `slash_missed`, members that revealed another
         hash `slash_wrong`. Without a quorum the task fails, `output` is
         ignored, the fee is credited back to the requester and only
         `slash_missed` applies. No ETH leaves the contract here.
    @notice Settles a task.
    @param task_id The task.
    @param output The accepted output bytes; must hash to the winning
           result hash (ignored when the task fails).
    """
    a: uint256 = self._task_a[task_id]
    b: uint256 = self._task_b[task_id]
    assert b != 0, "market: unknown task"
    assert self._field(b, B_FINAL, 1) == 0, "market: task already finalized"
    start: uint256 = self._field(b, B_START, 40)
    assert start != 0, "market: task not active"
    size: uint256 = self._field(b, B_SIZE, 5)
    revealed: uint256 = self._field(b, B_REVEALED, 16)
    assert (
        self._field(b, B_NREVEAL, 5) == size or block.timestamp >= self._reveal_end(b)
    ), "market: task not ready to finalize"

    # Tally the revealed hashes (at most 16, so quadratic is cheap).
    hashes: bytes32[MAX_COMMITTEE] = empty(bytes32[MAX_COMMITTEE])
    for i: uint256 in range(size, bound=MAX_COMMITTEE):
        if (revealed >> i) & 1 == 1:
            hashes[i] = self._results[task_id][i]
    best: bytes32 = empty(bytes32)
    best_count: uint256 = 0
    winner: uint256 = 0
    for i: uint256 in range(size, bound=MAX_COMMITTEE):
        if (revealed >> i) & 1 == 0:
            continue
        count: uint256 = 0
        for j: uint256 in range(size, bound=MAX_COMMITTEE):
            if (revealed >> j) & 1 == 1 and hashes[j] == hashes[i]:
                count += 1
        if count > best_count:
            best_count = count
            best = hashes[i]
            winner = i + 1
    succeeded: bool = best_count >= self._field(b, B_QUORUM, 5)

    fee: uint256 = (a >> 160) & (2**80 - 1)
    share: uint256 = 0
    if succeeded:
        assert keccak256(output) == best, "market: output does not match the accepted result"
        share = fee // best_count
        if fee != share * best_count:
            self.treasury_balance += fee - share * best_count
    else:
        winner = 0
        requester: address = convert(convert(a & (2**160 - 1), uint160), address)
        self._book[requester] += fee

    # Settle every member in one write of its book word.
    to_slash: DynArray[address, MAX_COMMITTEE] = []
    reasons: DynArray[uint8, MAX_COMMITTEE] = []
    for i: uint256 in range(size, bound=MAX_COMMITTEE):
        member: address = self._members[task_id][i]
        book: uint256 = self._book[member] - (1 << K_OPEN)
        if (revealed >> i) & 1 == 0:
            book += 1 << K_MISSED
            to_slash.append(member)
            reasons.append(REASON_MISSED)
        elif succeeded and hashes[i] == best:
            book += share + (1 << K_AGREED)
        elif succeeded:
            book += 1 << K_DISAGREED
            to_slash.append(member)
            reasons.append(REASON_WRONG)
        self._book[member] = book

    stored: uint256 = STORED_FAILED
    status: uint8 = FINAL_FAILED
    if succeeded:
        stored = STORED_SUCCEEDED
        status = FINAL_SUCCEEDED
    self._task_a[task_id] = (a & (2**240 - 1)) | (stored << 240)
    self._task_b[task_id] = b | (1 << B_FINAL) | (winner << B_WINNER)
    self._global = self._global - (fee << 64)

    if succeeded:
        log TaskFinalized(task_id=task_id, status=status, result_hash=best, output=output)
    else:
        log TaskFinalized(task_id=task_id, status=status, result_hash=empty(bytes32), output=b"")

    # Interactions last: the staking contract is trusted and moves no ETH out.
    slashes: uint256 = 0
    if len(to_slash) != 0:
        slashes = self._slashes
    for i: uint256 in range(len(to_slash), bound=MAX_COMMITTEE):
        amount: uint256 = slashes & MASK128
        if reasons[i] == REASON_WRONG:
            amount = slashes >> 128
        extcall staking.slash(to_slash[i], amount, task_id, reasons[i])


# ---------------------------------------------------------------- payments


@external
@nonreentrant
def withdraw():
    """
    @dev Pull payment: a receiver that reverts blocks only itself.
    @notice Sends the caller its claimable balance (rewards and refunds).
    """
    self._withdraw(msg.sender)


@external
@nonreentrant
def withdrawTo(receiver: address):
    """
    @dev For accounts that cannot receive ETH themselves.
    @notice Sends the caller's claimable balance to `receiver`.
    @param receiver Where to send it.
    """
    assert receiver != empty(address), "market: zero receiver"
    self._withdraw(receiver)


# ---------------------------------------------------------------- owner


@external
def pause():
    """
    @dev Blocks `createTask` only; running tasks, payouts and exits go on.
    @notice Pauses task creation.
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
def setMinFeePerAgent(min_fee_per_agent_: uint256):
    """
    @dev Applies to tasks created from now on.
    @notice Sets the least fee per committee member.
    @param min_fee_per_agent_ Wei, at most 1 ETH.
    """
    ownable._check_owner()
    self._set_min_fee(min_fee_per_agent_)


@external
def setWindows(commit_window_: uint256, reveal_window_: uint256):
    """
    @dev Applies to tasks started from now on; together they must stay
         shorter than the staking unbonding period.
    @notice Sets the commit and reveal windows.
    @param commit_window_ Seconds, in [2 s, 1 day].
    @param reveal_window_ Seconds, in [2 s, 1 day].
    """
    ownable._check_owner()
    self._set_windows(commit_window_, reveal_window_)


@external
def setSlashAmounts(slash_missed_: uint256, slash_wrong_: uint256):
    """
    @dev Applies at finalize, to tasks finalized from now on.
    @notice Sets the slash amounts.
    @param slash_missed_ Wei for a member that did not commit or reveal, at most 100 ETH.
    @param slash_wrong_ Wei for a member that revealed another result, at most 100 ETH.
    """
    ownable._check_owner()
    self._set_slash_amounts(slash_missed_, slash_wrong_)


@external
@nonreentrant
def withdrawTreasury(receiver: address, amount: uint256):
    """
    @notice Sends fee remainders from the treasury.
    @param receiver Where to send them.
    @param amount Wei, at most `treasury_balance`.
    """
    ownable._check_owner()
    assert receiver != empty(address), "market: zero receiver"
    assert amount <= self.treasury_balance, "market: amount exceeds treasury"
    self.treasury_balance -= amount
    log TreasuryWithdrawn(receiver=receiver, amount=amount)
    ok: bool = raw_call(receiver, b"", value=amount, revert_on_failure=False)
    assert ok, "market: transfer failed"


# ---------------------------------------------------------------- views


@external
@view
def taskPhase(task_id: uint256) -> uint8:
    """
    @notice Where a task stands.
    @param task_id The task.
    @return uint8 0 unknown, 1 waiting for parents, 2 commit, 3 reveal,
            4 ready to finalize, 5 succeeded, 6 failed.
    """
    return self._phase(task_id)


@external
@view
def getTask(task_id: uint256) -> TaskView:
    """
    @dev Reverts for an unknown task.
    @notice Everything about a task.
    @param task_id The task.
    @return TaskView Requester, model, fee, committee, quorum, parents,
            windows, per-member commit/reveal flags and revealed hashes
            (zero until revealed), phase and accepted result hash.
    """
    a: uint256 = self._task_a[task_id]
    b: uint256 = self._task_b[task_id]
    assert b != 0, "market: unknown task"
    size: uint256 = self._field(b, B_SIZE, 5)
    start: uint256 = self._field(b, B_START, 40)
    committee: DynArray[address, MAX_COMMITTEE] = []
    committed: DynArray[bool, MAX_COMMITTEE] = []
    revealed: DynArray[bool, MAX_COMMITTEE] = []
    hashes: DynArray[bytes32, MAX_COMMITTEE] = []
    if start != 0:
        for i: uint256 in range(size, bound=MAX_COMMITTEE):
            committee.append(self._members[task_id][i])
            committed.append((b >> (B_COMMITTED + i)) & 1 == 1)
            r: bool = (b >> (B_REVEALED + i)) & 1 == 1
            revealed.append(r)
            if r:
                hashes.append(self._results[task_id][i])
            else:
                hashes.append(empty(bytes32))
    return TaskView(
        requester=convert(convert(a & (2**160 - 1), uint160), address),
        model_id=staticcall registry.modelIdAt(self._field(b, B_MODEL, 32)),
        fee=(a >> 160) & (2**80 - 1),
        committee=committee,
        quorum=convert(self._field(b, B_QUORUM, 5), uint8),
        parents=self._parents[task_id],
        start=start,
        commit_end=self._field(b, B_COMMIT_END, 40),
        reveal_end=self._reveal_end(b) if start != 0 else 0,
        committed=committed,
        revealed=revealed,
        result_hashes=hashes,
        phase=self._phase(task_id),
        result_hash=self._result_hash(task_id, b),
    )


@external
@view
def taskResult(task_id: uint256) -> (uint8, bytes32):
    """
    @dev For contracts that consume agentnet results on chain.
    @notice A task's phase and accepted result hash.
    @param task_id The task.
    @return uint8 The phase (5 succeeded, 6 failed, ...).
    @return bytes32 keccak256 of the accepted output (zero unless succeeded).
    """
    return (self._phase(task_id), self._result_hash(task_id, self._task_b[task_id]))


@external
@view
def committeeOf(task_id: uint256) -> DynArray[address, MAX_COMMITTEE]:
    """
    @notice A task's committee (empty until it is drawn).
    @param task_id The task.
    @return DynArray Members (agent owner addresses) in draw order.
    """
    b: uint256 = self._task_b[task_id]
    out: DynArray[address, MAX_COMMITTEE] = []
    if self._field(b, B_START, 40) != 0:
        for i: uint256 in range(self._field(b, B_SIZE, 5), bound=MAX_COMMITTEE):
            out.append(self._members[task_id][i])
    return out


@external
@view
def memberState(task_id: uint256, agent: address) -> (bool, bool, bool, bytes32):
    """
    @notice What one agent did on a task.
    @param task_id The task.
    @param agent The agent.
    @return bool Whether it is a member.
    @return bool Whether it committed.
    @return bool Whether it revealed.
    @return bytes32 Its revealed result hash (zero until revealed).
    """
    b: uint256 = self._task_b[task_id]
    if self._field(b, B_START, 40) == 0:
        return (False, False, False, empty(bytes32))
    for i: uint256 in range(self._field(b, B_SIZE, 5), bound=MAX_COMMITTEE):
        if self._members[task_id][i] == agent:
            r: bool = (b >> (B_REVEALED + i)) & 1 == 1
            h: bytes32 = empty(bytes32)
            if r:
                h = self._results[task_id][i]
            return (True, (b >> (B_COMMITTED + i)) & 1 == 1, r, h)
    return (False, False, False, empty(bytes32))


@external
@view
def claimable(account: address) -> uint256:
    """
    @notice ETH an account can withdraw (rewards and refunds).
    @param account The account.
    @return uint256 Wei.
    """
    return self._book[account] & MASK112


@external
@view
def openTasks(agent: address) -> uint256:
    """
    @notice Started, unfinalized tasks on whose committee an agent sits.
    @param agent The agent.
    @return uint256 The count.
    """
    return self._field(self._book[agent], K_OPEN, 32)


@external
@view
def reputation(agent: address) -> (uint256, uint256, uint256):
    """
    @notice An agent's record over finalized tasks.
    @param agent The agent.
    @return uint256 Tasks where it agreed with the accepted result.
    @return uint256 Tasks where it revealed another result.
    @return uint256 Tasks where it failed to commit or reveal.
    """
    book: uint256 = self._book[agent]
    return (
        self._field(book, K_AGREED, 32),
        self._field(book, K_DISAGREED, 32),
        self._field(book, K_MISSED, 32),
    )


@external
@view
def min_fee_per_agent() -> uint256:
    """
    @notice Least fee per committee member of a new task.
    @return uint256 Wei.
    """
    return self._params & MASK128


@external
@view
def commit_window() -> uint256:
    """
    @notice Seconds members have to commit, from a task's start.
    @return uint256 Seconds.
    """
    return (self._params >> 128) & MASK32


@external
@view
def reveal_window() -> uint256:
    """
    @notice Seconds members have to reveal, from the end of commits.
    @return uint256 Seconds.
    """
    return (self._params >> 160) & MASK32


@external
@view
def slash_missed() -> uint256:
    """
    @notice Wei slashed from a member that did not commit or reveal.
    @return uint256 Wei.
    """
    return self._slashes & MASK128


@external
@view
def slash_wrong() -> uint256:
    """
    @notice Wei slashed from a member that revealed another result.
    @return uint256 Wei.
    """
    return self._slashes >> 128


@external
@view
def task_count() -> uint256:
    """
    @notice Number of tasks created; the last id.
    @return uint256 The count.
    """
    return self._global & MASK64


@external
@view
def escrowed() -> uint256:
    """
    @notice Fees held for tasks not yet finalized.
    @return uint256 Wei.
    """
    return self._global >> 64


@external
@view
def commitmentFor(task_id: uint256, agent: address, result_hash: bytes32, salt: bytes32) -> bytes32:
    """
    @notice The commitment a member sends for a result.
    @param task_id The task.
    @param agent The member.
    @param result_hash keccak256 of the output bytes.
    @param salt A secret random salt.
    @return bytes32 keccak256(abi_encode(task_id, agent, result_hash, salt)).
    """
    return keccak256(abi_encode(task_id, agent, result_hash, salt))


@external
@view
def commitDigest(task_id: uint256, agent: address, commitment: bytes32) -> bytes32:
    """
    @notice The EIP-712 digest a signer signs for `commitBySig`.
    @param task_id The task.
    @param agent The member.
    @param commitment The commitment.
    @return bytes32 The digest.
    """
    return eip712._hash_typed_data_v4(keccak256(abi_encode(COMMIT_TYPEHASH, task_id, agent, commitment)))


@external
@view
def revealDigest(task_id: uint256, agent: address, result_hash: bytes32, salt: bytes32) -> bytes32:
    """
    @notice The EIP-712 digest a signer signs for `revealBySig`.
    @param task_id The task.
    @param agent The member.
    @param result_hash The result hash.
    @param salt The salt.
    @return bytes32 The digest.
    """
    return eip712._hash_typed_data_v4(
        keccak256(abi_encode(REVEAL_TYPEHASH, task_id, agent, result_hash, salt))
    )


# ---------------------------------------------------------------- internal


@internal
@pure
def _field(word: uint256, offset: uint256, bits: uint256) -> uint256:
    return (word >> offset) & ((1 << bits) - 1)


@internal
@pure
def _reveal_end(b: uint256) -> uint256:
    return self._field(b, B_COMMIT_END, 40) + self._field(b, B_REVEAL_WINDOW, 32)


@internal
@view
def _phase(task_id: uint256) -> uint8:
    b: uint256 = self._task_b[task_id]
    if b == 0:
        return PHASE_UNKNOWN
    if self._field(b, B_FINAL, 1) == 1:
        if self._task_a[task_id] >> 240 == STORED_SUCCEEDED:
            return PHASE_SUCCEEDED
        return PHASE_FAILED
    if self._field(b, B_START, 40) == 0:
        return PHASE_WAITING
    if self._field(b, B_NREVEAL, 5) == self._field(b, B_SIZE, 5):
        return PHASE_READY
    if block.timestamp < self._field(b, B_COMMIT_END, 40):
        return PHASE_COMMIT
    if block.timestamp < self._reveal_end(b):
        return PHASE_REVEAL
    return PHASE_READY


@internal
@view
def _result_hash(task_id: uint256, b: uint256) -> bytes32:
    winner: uint256 = self._field(b, B_WINNER, 5)
    if winner == 0:
        return empty(bytes32)
    return self._results[task_id][winner - 1]


@internal
def _seat(task_id: uint256, model_id: bytes32, size: uint256) -> DynArray[address, MAX_COMMITTEE]:
    seed: bytes32 = keccak256(abi_encode(block.prevrandao, task_id))
    committee: DynArray[address, MAX_COMMITTEE] = staticcall staking.drawCommittee(
        model_id, size, seed
    )
    assert len(committee) == size, "market: committee draw failed"
    for i: uint256 in range(size, bound=MAX_COMMITTEE):
        member: address = committee[i]
        self._members[task_id][i] = member
        self._book[member] += 1 << K_OPEN
    return committee


@internal
@view
def _member_index(task_id: uint256, agent: address, size: uint256) -> uint256:
    for i: uint256 in range(size, bound=MAX_COMMITTEE):
        if self._members[task_id][i] == agent:
            return i
    raise "market: not a committee member"


@internal
def _commit(task_id: uint256, agent: address, commitment: bytes32):
    b: uint256 = self._task_b[task_id]
    assert b != 0, "market: unknown task"
    assert self._field(b, B_FINAL, 1) == 0, "market: task already finalized"
    assert self._field(b, B_START, 40) != 0, "market: task not active"
    assert block.timestamp < self._field(b, B_COMMIT_END, 40), "market: commit phase closed"
    assert commitment != empty(bytes32), "market: empty commitment"
    size: uint256 = self._field(b, B_SIZE, 5)
    i: uint256 = self._member_index(task_id, agent, size)
    assert (b >> (B_COMMITTED + i)) & 1 == 0, "market: already committed"

    self._results[task_id][i] = commitment
    ncommit: uint256 = self._field(b, B_NCOMMIT, 5) + 1
    b = (b | (1 << (B_COMMITTED + i))) + (1 << B_NCOMMIT)
    if ncommit == size:
        # Everyone committed: the reveal phase opens now.
        b = (b & ~(((1 << 40) - 1) << B_COMMIT_END)) | (block.timestamp << B_COMMIT_END)
    self._task_b[task_id] = b
    log Committed(task_id=task_id, agent=agent)


@internal
def _reveal(task_id: uint256, agent: address, result_hash: bytes32, salt: bytes32):
    b: uint256 = self._task_b[task_id]
    assert b != 0, "market: unknown task"
    assert self._field(b, B_FINAL, 1) == 0, "market: task already finalized"
    assert self._field(b, B_START, 40) != 0, "market: task not active"
    assert block.timestamp >= self._field(b, B_COMMIT_END, 40), "market: reveal phase not open"
    assert block.timestamp < self._reveal_end(b), "market: reveal phase closed"
    i: uint256 = self._member_index(task_id, agent, self._field(b, B_SIZE, 5))
    assert (b >> (B_COMMITTED + i)) & 1 == 1, "market: not committed"
    assert (b >> (B_REVEALED + i)) & 1 == 0, "market: already revealed"
    expected: bytes32 = keccak256(abi_encode(task_id, agent, result_hash, salt))
    assert self._results[task_id][i] == expected, "market: reveal does not match commitment"

    self._results[task_id][i] = result_hash
    self._task_b[task_id] = (b | (1 << (B_REVEALED + i))) + (1 << B_NREVEAL)
    log Revealed(task_id=task_id, agent=agent, result_hash=result_hash)


@internal
@view
def _check_signature(agent: address, struct_hash: bytes32, signature: Bytes[65]):
    assert len(signature) == 65, "market: signature must be 65 bytes"
    digest: bytes32 = eip712._hash_typed_data_v4(struct_hash)
    signer: address = ecdsa._recover_sig(digest, signature)
    assert signer == staticcall staking.signerOf(agent), "market: invalid signature"


@internal
def _fail_unstarted(task_id: uint256, b: uint256):
    a: uint256 = self._task_a[task_id]
    fee: uint256 = (a >> 160) & (2**80 - 1)
    requester: address = convert(convert(a & (2**160 - 1), uint160), address)
    self._book[requester] += fee
    self._task_a[task_id] = (a & (2**240 - 1)) | (STORED_FAILED << 240)
    self._task_b[task_id] = b | (1 << B_FINAL)
    self._global = self._global - (fee << 64)
    log TaskFinalized(task_id=task_id, status=FINAL_FAILED, result_hash=empty(bytes32), output=b"")


@internal
def _withdraw(receiver: address):
    book: uint256 = self._book[msg.sender]
    amount: uint256 = book & MASK112
    assert amount != 0, "market: nothing to withdraw"
    self._book[msg.sender] = book & ~MASK112
    log Withdrawn(account=msg.sender, amount=amount)
    ok: bool = raw_call(receiver, b"", value=amount, revert_on_failure=False)
    assert ok, "market: transfer failed"


@internal
def _set_min_fee(min_fee: uint256):
    assert min_fee <= MAX_MIN_FEE, "market: min fee out of bounds"
    self._params = (self._params & ~MASK128) | min_fee
    log MinFeeSet(min_fee_per_agent=min_fee)


@internal
def _set_windows(commit_window_: uint256, reveal_window_: uint256):
    assert (
        commit_window_ >= MIN_WINDOW and commit_window_ <= MAX_WINDOW
    ), "market: commit window out of bounds"
    assert (
        reveal_window_ >= MIN_WINDOW and reveal_window_ <= MAX_WINDOW
    ), "market: reveal window out of bounds"
    assert (
        commit_window_ + reveal_window_ < staticcall staking.unbonding_period()
    ), "market: windows exceed the unbonding period"
    self._params = (self._params & MASK128) | (commit_window_ << 128) | (reveal_window_ << 160)
    log WindowsSet(commit_window=commit_window_, reveal_window=reveal_window_)


@internal
def _set_slash_amounts(slash_missed_: uint256, slash_wrong_: uint256):
    assert slash_missed_ <= MAX_SLASH, "market: slash amount out of bounds"
    assert slash_wrong_ <= MAX_SLASH, "market: slash amount out of bounds"
    self._slashes = slash_missed_ | (slash_wrong_ << 128)
    log SlashAmountsSet(slash_missed=slash_missed_, slash_wrong=slash_wrong_)
