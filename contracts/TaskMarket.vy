# pragma version ~=0.4.3
# pragma optimize codesize
"""
@title agentnet TaskMarket
@custom:contract-name TaskMarket
@license GNU Affero General Public License v3.0 only
@notice Requesters post inference tasks with a fee held in escrow. A task
        created in block `N` fixes its draw block `N + 1`; once that block is
        mined, its committee is fixed: `committee_size` seats drawn with
        replacement, in proportion to the stake weights that were frozen
        before the draw block existed, from `blockhash(draw_block)`. Anyone
        (usually a seated member, through its first commit) activates the
        task, which seats that committee and opens the commit window. Each
        member commits to its result, then reveals it; a member holding
        several seats submits once and counts once per seat. The result
        revealed by a quorum of seats is accepted, its seats are paid, late
        and wrong seats are slashed, and a task without a quorum refunds its
        requester. A quorum whose output nobody supplies fails after a grace
        period, so every task ends. Payments are pulled (`withdraw`).

        A task may name parent tasks: it waits until they are finalized and
        draws its committee from a block after the last of them (workers
        read the parents' outputs from their `TaskFinalized` events).

        Members may submit directly (from the agent's owner or signer) or
        through a relayer with EIP-712 signatures of the agent's signer, one
        at a time or in batches across tasks; a batch skips the items it
        cannot apply instead of reverting.

        Windows and slash amounts come from the parameter version a task
        recorded at its creation (`modules/market_params.vy`).

        A task also records its model's agreement rule (`ModelRegistry`
        tolerance). Under the exact rule a member that revealed another hash
        than the accepted one is slashed at finalize. Under a tolerant rule
        (embeddings within K int8 steps) its slash is deferred for the grace
        period: its share is held and its stake stays bound, anyone may
        `proveAgreement` with both outputs to have it paid, and anyone may
        `settleDeferred` after the window to slash it as wrong.
@custom:size Compiled for code size: the market sits close to the 24,576-byte
        limit of EIP-170, and this costs about 0.2% more gas per task.
@custom:storage A task is two packed words (`modules/task_words.vy`), its
        committee words (the members' addresses and the seat map: two words
        for three members) and one word per member for its commitment, which
        the reveal overwrites with the result hash. An account's claimable
        balance, open-task count and reputation counters share one word,
        which `finalize` writes once per member.
"""

from snekmate.auth import ownable
from snekmate.auth import ownable_2step
from snekmate.utils import ecdsa
from snekmate.utils import pausable
from snekmate.utils import eip712_domain_separator as eip712

from .interfaces import IAgentStaking
from .interfaces import IModelRegistry
from .modules import constants
from .modules import market_params
from .modules import task_words

initializes: ownable
initializes: ownable_2step[ownable := ownable]
initializes: pausable
initializes: eip712
initializes: market_params

exports: (
    ownable_2step.owner,
    ownable_2step.pending_owner,
    ownable_2step.transfer_ownership,
    ownable_2step.accept_ownership,
    pausable.paused,
    eip712.eip712Domain,
    market_params.min_fee_per_agent,
    market_params.commit_window,
    market_params.reveal_window,
    market_params.slash_missed,
    market_params.slash_wrong,
    market_params.grace_period,
    market_params.params_version,
    market_params.paramsAt,
)


MAX_PARENTS: constant(uint256) = 8
MAX_INPUT: constant(uint256) = 4_096
MAX_OUTPUT: constant(uint256) = 8_192
MAX_BATCH: constant(uint256) = 64
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

# Why a call is refused (`_refusal` holds the reasons). A member's submission
# returns APPLIED or one of the first codes: the single forms revert with its
# reason, the batch forms skip the item.
APPLIED: constant(uint8) = 0
ERR_UNKNOWN_TASK: constant(uint8) = 1
ERR_FINALIZED: constant(uint8) = 2
ERR_NOT_ACTIVE: constant(uint8) = 3
ERR_COMMIT_CLOSED: constant(uint8) = 4
ERR_EMPTY_COMMITMENT: constant(uint8) = 5
ERR_NOT_MEMBER: constant(uint8) = 6
ERR_ALREADY_COMMITTED: constant(uint8) = 7
ERR_REVEAL_NOT_OPEN: constant(uint8) = 8
ERR_REVEAL_CLOSED: constant(uint8) = 9
ERR_NOT_COMMITTED: constant(uint8) = 10
ERR_ALREADY_REVEALED: constant(uint8) = 11
ERR_REVEAL_MISMATCH: constant(uint8) = 12
ERR_SIGNATURE_LENGTH: constant(uint8) = 13
ERR_BAD_SIGNATURE: constant(uint8) = 14
ERR_SIZE_RANGE: constant(uint8) = 15
ERR_QUORUM_RANGE: constant(uint8) = 16
ERR_FEE_BELOW_MINIMUM: constant(uint8) = 17
ERR_FEE_TOO_LARGE: constant(uint8) = 18
ERR_EMPTY_INPUT: constant(uint8) = 19
ERR_MODEL_NOT_ACTIVE: constant(uint8) = 20
ERR_UNKNOWN_PARENT: constant(uint8) = 21
ERR_DUPLICATE_PARENT: constant(uint8) = 22
ERR_NO_ELIGIBLE_AGENT: constant(uint8) = 23
ERR_NOT_WAITING: constant(uint8) = 24
ERR_PARENTS_OPEN: constant(uint8) = 25
ERR_DRAW_NOT_MINED: constant(uint8) = 26
ERR_NOT_READY: constant(uint8) = 27
ERR_OUTPUT_MISMATCH: constant(uint8) = 28
ERR_BATCH_LENGTHS: constant(uint8) = 29
ERR_NOT_AN_AGENT: constant(uint8) = 30
ERR_ZERO_RECEIVER: constant(uint8) = 31
ERR_EXCEEDS_TREASURY: constant(uint8) = 32
ERR_NOTHING_TO_WITHDRAW: constant(uint8) = 33
ERR_TRANSFER_FAILED: constant(uint8) = 34
ERR_NOT_PENDING: constant(uint8) = 35
ERR_DISPUTE_CLOSED: constant(uint8) = 36
ERR_DISPUTE_OPEN: constant(uint8) = 37
ERR_MEMBER_OUTPUT_MISMATCH: constant(uint8) = 38
ERR_NOT_WITHIN_TOLERANCE: constant(uint8) = 39

# Where a waiting task stands for its draw.
DRAW_PARENTS_OPEN: constant(uint8) = 0
DRAW_PARENT_FAILED: constant(uint8) = 1
DRAW_NOT_MINED: constant(uint8) = 2
DRAW_STALE: constant(uint8) = 3
DRAW_READY: constant(uint8) = 4


struct MemberView:
    agent: address
    seats: uint8
    committed: bool
    revealed: bool
    result_hash: bytes32


struct TaskView:
    requester: address
    model_id: bytes32
    fee: uint256
    committee_size: uint8
    quorum: uint8
    parents: DynArray[uint256, MAX_PARENTS]
    draw_block: uint256
    params_version: uint256
    commit_window: uint256
    reveal_window: uint256
    slash_missed: uint256
    slash_wrong: uint256
    members: DynArray[MemberView, constants.MAX_COMMITTEE]
    start: uint256
    commit_end: uint256
    reveal_end: uint256
    phase: uint8
    result_hash: bytes32


event TaskCreated:
    task_id: indexed(uint256)
    requester: indexed(address)
    model_id: indexed(bytes32)
    fee: uint256
    committee_size: uint8
    quorum: uint8
    input: Bytes[MAX_INPUT]
    parents: DynArray[uint256, MAX_PARENTS]
    draw_block: uint256


event TaskActivated:
    task_id: indexed(uint256)
    committee: DynArray[address, constants.MAX_COMMITTEE]


event TaskRedrawn:
    task_id: indexed(uint256)
    draw_block: uint256


event Committed:
    task_id: indexed(uint256)
    agent: indexed(address)


event Revealed:
    task_id: indexed(uint256)
    agent: indexed(address)
    result_hash: bytes32


event SubmissionSkipped:
    task_id: indexed(uint256)
    agent: indexed(address)
    reason: uint8


event TaskFinalized:
    task_id: indexed(uint256)
    status: uint8
    result_hash: bytes32
    output: Bytes[MAX_OUTPUT]


event Withdrawn:
    account: indexed(address)
    receiver: indexed(address)
    amount: uint256


event TreasuryWithdrawn:
    receiver: indexed(address)
    amount: uint256


event SlashDeferred:
    task_id: indexed(uint256)
    agent: indexed(address)
    seats: uint256
    until: uint256


event AgreementProven:
    task_id: indexed(uint256)
    agent: indexed(address)
    amount: uint256


event DeferredSettled:
    task_id: indexed(uint256)
    agent: indexed(address)
    amount: uint256


registry: public(immutable(IModelRegistry))
staking: public(immutable(IAgentStaking))

# Fee remainders kept by the protocol, withdrawn by the owner.
treasury_balance: public(uint256)

# Task count and escrowed fees (task_words counters word).
_task_count_and_escrow: uint256
# task id -> terms word (requester, fee).
_task_terms: HashMap[uint256, uint256]
# task id -> progress word (model, version, draw block, windows, sizes, bitmaps, status).
_task_progress: HashMap[uint256, uint256]
# task id -> word index -> committee words (member addresses, seat map).
_committee_words: HashMap[uint256, HashMap[uint256, uint256]]
# task id -> member index -> its commitment, replaced by its result hash
# when it reveals.
_member_results: HashMap[uint256, HashMap[uint256, bytes32]]
# task id -> parent task ids.
_parents: HashMap[uint256, DynArray[uint256, MAX_PARENTS]]
# account -> ledger word (claimable, open tasks, reputation counters).
_ledgers: HashMap[address, uint256]
# ERR_ code -> its revert reason (written at deployment).
_reasons: HashMap[uint8, String[64]]
# task id -> dispute word (seats of the members whose slash is deferred,
# window end, part per seat); written only when a succeeded task of a
# tolerant model had a dissenter.
_disputes: HashMap[uint256, uint256]


@deploy
def __init__(
    registry_: IModelRegistry,
    staking_: IAgentStaking,
    min_fee_per_agent_: uint256,
    commit_window_: uint256,
    reveal_window_: uint256,
    slash_missed_: uint256,
    slash_wrong_: uint256,
    grace_period_: uint256,
):
    """
    @dev The deployer becomes the owner. Devnet defaults
         (deployments/params): fee 0.0001 ETH per seat, 20 s windows,
         slashes 0.01 ETH (missed) and 0.05 ETH (wrong) per seat, 60 s
         grace period. Then call `AgentStaking.setMarket` with this contract.
    @notice Deploys the market over a registry and a staking contract.
    @param registry_ The ModelRegistry.
    @param staking_ The AgentStaking.
    @param min_fee_per_agent_ Least fee per seat, in wei.
    @param commit_window_ Seconds for members to commit.
    @param reveal_window_ Seconds for members to reveal after commits close.
    @param slash_missed_ Wei taken per seat that did not commit or reveal.
    @param slash_wrong_ Wei taken per seat that revealed another result.
    @param grace_period_ Seconds after the reveal window during which only
           the accepted output can finalize a task that won a quorum.
    """
    ownable.__init__()
    ownable_2step.__init__()
    pausable.__init__()
    eip712.__init__("agentnet", "1")
    self._store_reasons()
    assert registry_.address != empty(address), "market: zero registry"
    assert staking_.address != empty(address), "market: zero staking"
    registry = registry_
    staking = staking_
    market_params.__init__(
        min_fee_per_agent_,
        commit_window_,
        reveal_window_,
        slash_missed_,
        slash_wrong_,
        grace_period_,
        staticcall staking_.unbonding_period(),
    )


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
    @dev Draws nothing: the draw block is the next block, whose hash does
         not exist yet. The fee (`msg.value`) stays in escrow until finalize.
         The task records the current parameter version and its model's
         agreement rule (the same registry read as the model's index).
    @notice Posts an inference task.
    @param model_id A registered, active model with at least one agent
           eligible for the draw block.
    @param input UTF-8 JSON task input (see PROTOCOL.md, Models).
    @param committee_size Seats to draw, 1 to 16.
    @param quorum Seats that must reveal the same result, more than half.
    @param parents Earlier tasks whose outputs this task consumes.
    @return uint256 The new task id (ids start at 1).
    """
    pausable._require_not_paused()
    size: uint256 = convert(committee_size, uint256)
    q: uint256 = convert(quorum, uint256)
    if size == 0 or size > constants.MAX_COMMITTEE:
        self._refuse(ERR_SIZE_RANGE)
    if q <= size // 2 or q > size:
        self._refuse(ERR_QUORUM_RANGE)
    current: uint256 = market_params._current()
    if msg.value < market_params._min_fee(current) * size:
        self._refuse(ERR_FEE_BELOW_MINIMUM)
    if msg.value > MAX_FEE:
        self._refuse(ERR_FEE_TOO_LARGE)
    if len(input) == 0:
        self._refuse(ERR_EMPTY_INPUT)
    active: bool = False
    index: uint256 = 0
    active, index = staticcall registry.activeIndexAndTolerance(model_id)
    if not active:
        self._refuse(ERR_MODEL_NOT_ACTIVE)

    counters: uint256 = self._task_count_and_escrow
    task_id: uint256 = task_words._task_count(counters) + 1
    for i: uint256 in range(len(parents), bound=MAX_PARENTS):
        p: uint256 = parents[i]
        if p == 0 or p >= task_id:
            self._refuse(ERR_UNKNOWN_PARENT)
        for j: uint256 in range(i + 1, len(parents), bound=MAX_PARENTS):
            if parents[j] == p:
                self._refuse(ERR_DUPLICATE_PARENT)

    draw_block: uint256 = block.number + 1
    if staticcall staking.totalWeightAt(model_id, draw_block // constants.EPOCH_BLOCKS) == 0:
        self._refuse(ERR_NO_ELIGIBLE_AGENT)

    self._task_terms[task_id] = task_words._pack_terms(msg.sender, msg.value)
    self._task_progress[task_id] = task_words._pack_progress(
        index,
        market_params._version(current),
        draw_block,
        market_params._commit_window(current),
        market_params._reveal_window(current),
        size,
        q,
        len(parents),
    )
    if len(parents) != 0:
        self._parents[task_id] = parents
    self._task_count_and_escrow = task_words._pack_counters(
        task_id, task_words._escrowed(counters) + msg.value
    )
    log TaskCreated(
        task_id=task_id,
        requester=msg.sender,
        model_id=model_id,
        fee=msg.value,
        committee_size=committee_size,
        quorum=quorum,
        input=input,
        parents=parents,
        draw_block=draw_block,
    )
    return task_id


@external
def activate(task_id: uint256):
    """
    @dev Anyone, any time after the draw block (and the block after the
         last parent's finalization) is mined: the committee depends on
         that block's hash and on weights frozen before it, never on when
         or by whom this is called. When the draw block is older than 256
         blocks its hash is gone: a new draw block (the next block) is
         fixed instead (`TaskRedrawn`). Fails the task (fee back to its
         requester) when a parent failed or no agent is eligible.
    @notice Seats a waiting task's committee and opens its commit window.
    @param task_id A waiting task.
    """
    progress: uint256 = self._task_progress[task_id]
    self._require_applied(self._open_task_outcome(progress))
    if task_words._start(progress) != 0:
        self._refuse(ERR_NOT_WAITING)

    state: uint8 = DRAW_READY
    draw_block: uint256 = 0
    state, draw_block = self._draw_state(task_id, progress)
    if state == DRAW_PARENTS_OPEN:
        self._refuse(ERR_PARENTS_OPEN)
    if state == DRAW_PARENT_FAILED:
        self._fail_unstarted(task_id, progress)
        return
    if state == DRAW_NOT_MINED:
        self._refuse(ERR_DRAW_NOT_MINED)
    if state == DRAW_STALE:
        new_block: uint256 = block.number + 1
        self._task_progress[task_id] = task_words._with_draw_block(progress, new_block)
        log TaskRedrawn(task_id=task_id, draw_block=new_block)
        return
    seated: bool = False
    seated, progress = self._seat(task_id, progress, draw_block)
    if not seated:
        self._fail_unstarted(task_id, progress)


# ---------------------------------------------------------------- members


@external
def commit(task_id: uint256, commitment: bytes32):
    """
    @dev Sent by the member's owner or signer. Activates a waiting task
         first when its committee can be seated now.
         `commitment = keccak256(abi_encode(task_id, agent, result_hash, salt))`.
    @notice Commits to a result during the commit phase.
    @param task_id The task.
    @param commitment The member's commitment.
    """
    self._require_applied(self._commit(task_id, self._sender_agent(), commitment))


@external
def reveal(task_id: uint256, result_hash: bytes32, salt: bytes32):
    """
    @dev Sent by the member's owner or signer.
    @notice Reveals a committed result during the reveal phase.
    @param task_id The task.
    @param result_hash keccak256 of the member's output bytes.
    @param salt The salt of the commitment.
    """
    self._require_applied(self._reveal(task_id, self._sender_agent(), result_hash, salt))


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
    self._require_applied(
        self._check_signature(
            agent, keccak256(abi_encode(COMMIT_TYPEHASH, task_id, agent, commitment)), signature
        )
    )
    self._require_applied(self._commit(task_id, agent, commitment))


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
    self._require_applied(
        self._check_signature(
            agent,
            keccak256(abi_encode(REVEAL_TYPEHASH, task_id, agent, result_hash, salt)),
            signature,
        )
    )
    self._require_applied(self._reveal(task_id, agent, result_hash, salt))


@external
def commitBatch(
    task_ids: DynArray[uint256, MAX_BATCH],
    agents: DynArray[address, MAX_BATCH],
    commitments: DynArray[bytes32, MAX_BATCH],
    signatures: DynArray[Bytes[65], MAX_BATCH],
) -> uint256:
    """
    @dev Items that cannot be applied now (unknown task, out of phase,
         not a member, done already, bad signature) are skipped with a
         `SubmissionSkipped` event, so an item front-run by its own relay
         costs the batch that item only. Only arrays of different lengths
         revert; an empty batch applies nothing.
    @notice Relays many signed commits, across tasks, in one transaction.
    @param task_ids The tasks.
    @param agents The members.
    @param commitments The commitments.
    @param signatures The signers' EIP-712 `Commit` signatures.
    @return uint256 The number of commits applied.
    """
    n: uint256 = len(task_ids)
    if len(agents) != n or len(commitments) != n or len(signatures) != n:
        self._refuse(ERR_BATCH_LENGTHS)
    applied: uint256 = 0
    for i: uint256 in range(n, bound=MAX_BATCH):
        outcome: uint8 = self._check_signature(
            agents[i],
            keccak256(abi_encode(COMMIT_TYPEHASH, task_ids[i], agents[i], commitments[i])),
            signatures[i],
        )
        if outcome == APPLIED:
            outcome = self._commit(task_ids[i], agents[i], commitments[i])
        applied += self._count_applied(task_ids[i], agents[i], outcome)
    return applied


@external
def revealBatch(
    task_ids: DynArray[uint256, MAX_BATCH],
    agents: DynArray[address, MAX_BATCH],
    result_hashes: DynArray[bytes32, MAX_BATCH],
    salts: DynArray[bytes32, MAX_BATCH],
    signatures: DynArray[Bytes[65], MAX_BATCH],
) -> uint256:
    """
    @dev Skips what it cannot apply, as `commitBatch` does.
    @notice Relays many signed reveals, across tasks, in one transaction.
    @param task_ids The tasks.
    @param agents The members.
    @param result_hashes The revealed result hashes.
    @param salts The commitments' salts.
    @param signatures The signers' EIP-712 `Reveal` signatures.
    @return uint256 The number of reveals applied.
    """
    n: uint256 = len(task_ids)
    if (
        len(agents) != n
        or len(result_hashes) != n
        or len(salts) != n
        or len(signatures) != n
    ):
        self._refuse(ERR_BATCH_LENGTHS)
    applied: uint256 = 0
    for i: uint256 in range(n, bound=MAX_BATCH):
        outcome: uint8 = self._check_signature(
            agents[i],
            keccak256(
                abi_encode(REVEAL_TYPEHASH, task_ids[i], agents[i], result_hashes[i], salts[i])
            ),
            signatures[i],
        )
        if outcome == APPLIED:
            outcome = self._reveal(task_ids[i], agents[i], result_hashes[i], salts[i])
        applied += self._count_applied(task_ids[i], agents[i], outcome)
    return applied


@external
def finalize(task_id: uint256, output: Bytes[MAX_OUTPUT]):
    """
    @dev Anyone, once every member revealed or the reveal window closed.
         The result hash revealed by the most seats wins when it holds at
         least `quorum` seats (quorum > size / 2 makes it unique).
         1. `keccak256(output)` is the winner: success. Each agreeing seat
            is credited `fee // agreeing_seats` (the rest goes to the
            treasury); each seat that revealed another hash is slashed
            `slash_wrong`, each seat that did not commit or reveal
            `slash_missed`. For a task of a tolerant model, a member that
            revealed another hash is neither paid nor slashed yet
            (`SlashDeferred`): every seat, agreeing or deferred, is then owed
            `fee // (agreeing + deferred seats)`, the deferred seats' part
            stays in escrow and the member's open-task count stays until
            `proveAgreement` or `settleDeferred`.
         2. `output` is empty and the grace period after the reveal window
            has passed: the task fails, the fee goes back to the requester,
            the winner's seats are slashed `slash_wrong` (they revealed a
            hash whose output nobody can show) and missed seats
            `slash_missed`.
         3. No hash holds a quorum: the task fails, `output` is ignored, the
            requester is refunded and only `slash_missed` applies.
         Otherwise it reverts. Every path releases the members' open-task
         counts. Amounts come from the task's parameter version. No ETH
         leaves the contract here.
    @notice Settles a task.
    @param task_id The task.
    @param output The accepted output bytes (see above).
    """
    terms: uint256 = self._task_terms[task_id]
    progress: uint256 = self._task_progress[task_id]
    self._require_applied(self._open_task_outcome(progress))
    if task_words._start(progress) == 0:
        self._refuse(ERR_NOT_ACTIVE)
    members: uint256 = task_words._member_count(progress)
    revealed: uint256 = task_words._revealed(progress)
    reveal_end: uint256 = task_words._reveal_end(progress)
    if revealed != task_words._all_members(progress) and block.timestamp < reveal_end:
        self._refuse(ERR_NOT_READY)

    # Seats per member and revealed hashes.
    words: DynArray[uint256, task_words.MAX_COMMITTEE_WORDS] = self._load_committee(
        task_id, task_words._size(progress), members
    )
    seats: uint256[constants.MAX_COMMITTEE] = empty(uint256[constants.MAX_COMMITTEE])
    for s: uint256 in range(task_words._size(progress), bound=constants.MAX_COMMITTEE):
        seats[task_words._seat_holder(words, members, s)] += 1
    hashes: bytes32[constants.MAX_COMMITTEE] = empty(bytes32[constants.MAX_COMMITTEE])
    for i: uint256 in range(members, bound=constants.MAX_COMMITTEE):
        if (revealed >> i) & 1 == 1:
            hashes[i] = self._member_results[task_id][i]

    # The hash with the most seats (at most 16 members: quadratic is cheap).
    best: bytes32 = empty(bytes32)
    best_seats: uint256 = 0
    winner: uint256 = 0
    for i: uint256 in range(members, bound=constants.MAX_COMMITTEE):
        if (revealed >> i) & 1 == 0:
            continue
        count: uint256 = 0
        for j: uint256 in range(members, bound=constants.MAX_COMMITTEE):
            if (revealed >> j) & 1 == 1 and hashes[j] == hashes[i]:
                count += seats[j]
        if count > best_seats:
            best_seats = count
            best = hashes[i]
            winner = i + 1
    quorum_met: bool = best_seats >= task_words._quorum(progress)
    succeeded: bool = quorum_met and keccak256(output) == best
    if quorum_met and not succeeded:
        # Only an empty output after the grace period fails a quorum.
        if len(output) != 0 or block.timestamp < reveal_end + market_params.grace_period:
            self._refuse(ERR_OUTPUT_MISMATCH)

    fee: uint256 = task_words._fee(terms)
    share: uint256 = 0
    if succeeded:
        share = fee // best_seats
        remainder: uint256 = fee - share * best_seats
        if remainder != 0:
            self.treasury_balance += remainder
    else:
        winner = 0
        self._ledgers[task_words._requester(terms)] += fee

    # Settle every member in one write of its ledger word; remember whom to
    # slash (bit i: member i missed, bit 16 + i: member i was wrong) and,
    # for a tolerant model, whose slash to defer (bits 32 + 4i: its seats).
    penalties: uint256 = 0
    for i: uint256 in range(members, bound=constants.MAX_COMMITTEE):
        member: address = task_words._member_at(words, i)
        ledger: uint256 = self._ledgers[member] - task_words.ONE_OPEN
        if (revealed >> i) & 1 == 0:
            ledger += task_words.ONE_MISSED
            penalties |= 1 << i
        elif succeeded and hashes[i] == best:
            ledger += share * seats[i] + task_words.ONE_AGREED
        elif succeeded and task_words._tolerance(progress) != 0:
            # Deferred: paid or slashed later; its stake stays bound.
            ledger += task_words.ONE_OPEN
            penalties |= seats[i] << (2 * constants.MAX_COMMITTEE + task_words.SEAT_BITS * i)
            log SlashDeferred(
                task_id=task_id,
                agent=member,
                seats=seats[i],
                until=block.timestamp + market_params.grace_period,
            )
        elif succeeded or (quorum_met and hashes[i] == best):
            # Revealed a rejected hash, or the quorum's hash nobody backed.
            ledger += task_words.ONE_DISAGREED
            penalties |= 1 << (constants.MAX_COMMITTEE + i)
        self._ledgers[member] = ledger

    status: uint256 = task_words.STATUS_FAILED
    if succeeded:
        status = task_words.STATUS_SUCCEEDED
    self._task_progress[task_id] = task_words._finalized(progress, status, winner, block.number)
    counters: uint256 = self._task_count_and_escrow
    self._task_count_and_escrow = task_words._pack_counters(
        task_words._task_count(counters), task_words._escrowed(counters) - fee
    )
    if succeeded:
        log TaskFinalized(
            task_id=task_id,
            status=convert(task_words.STATUS_SUCCEEDED, uint8),
            result_hash=best,
            output=output,
        )
    else:
        self._log_failed(task_id)

    if penalties != 0:
        deferred: uint256 = penalties >> (2 * constants.MAX_COMMITTEE)
        if deferred != 0:
            # Deferred seats share the fee like agreeing ones: each seat is
            # owed `fee // (agreeing + deferred seats)`, the deferred seats'
            # part stays in escrow. The agreeing members were credited
            # `share` per seat above (the exact rule's amount, so that the
            # common path pays nothing for this): take the difference back.
            held: uint256 = 0
            for i: uint256 in range(members, bound=constants.MAX_COMMITTEE):
                held += task_words._deferred_seats(deferred, i)
            owed: uint256 = fee // (best_seats + held)
            for i: uint256 in range(members, bound=constants.MAX_COMMITTEE):
                if (revealed >> i) & 1 == 1 and hashes[i] == best:
                    self._ledgers[task_words._member_at(words, i)] -= (share - owed) * seats[i]
            # The remainder of the new split replaces the old one.
            self.treasury_balance = (
                self.treasury_balance + (fee - owed * (best_seats + held)) - (fee - share * best_seats)
            )
            counters = self._task_count_and_escrow
            self._task_count_and_escrow = counters + (owed * held << task_words.ESCROW_SHIFT)
            # The dispute window is the grace period from now: the agents
            # learn the accepted output from this very transaction.
            self._disputes[task_id] = task_words._pack_dispute(
                deferred, block.timestamp + market_params.grace_period, owed
            )
        # Interactions last: the staking contract is trusted and moves no ETH out.
        self._slash_members(task_id, progress, words, seats, penalties)


# ---------------------------------------------------------------- disputes


@external
def proveAgreement(
    task_id: uint256, agent: address, output: Bytes[MAX_OUTPUT], member_output: Bytes[MAX_OUTPUT]
):
    """
    @dev Anyone (usually the agent's worker), before the dispute window
         of the task ends. `output` must hash to the accepted result and
         `member_output` to the hash the agent revealed; both must be
         canonical 384-d embedding outputs (else canonical's reason) whose
         coordinates differ by at most the task's tolerance
         (`ModelRegistry.embeddingsWithin`). The agent is credited its held
         part (its seats times `fee // (agreeing + deferred seats)`), counts
         as agreed and its open-task count is released. Pays the agent, never the
         caller, so front-running it gains nothing.
    @notice Shows that a member whose slash was deferred agreed within its
            model's tolerance.
    @param task_id A succeeded task of a tolerant model.
    @param agent A member whose slash is deferred.
    @param output The accepted output.
    @param member_output The output whose hash the agent revealed.
    """
    member: uint256 = self._resolve(task_id, agent, True)
    progress: uint256 = self._task_progress[task_id]
    # Checked after the effects; any failure reverts them all.
    if keccak256(output) != self._result_hash(task_id, progress):
        self._refuse(ERR_OUTPUT_MISMATCH)
    if keccak256(member_output) != self._member_results[task_id][member]:
        self._refuse(ERR_MEMBER_OUTPUT_MISMATCH)
    if not staticcall registry.embeddingsWithin(
        output, member_output, task_words._tolerance(progress)
    ):
        self._refuse(ERR_NOT_WITHIN_TOLERANCE)


@external
def settleDeferred(task_id: uint256, agent: address):
    """
    @dev Anyone, once the dispute window of the task has ended: what
         `finalize` would have done under the exact rule. The agent is
         slashed `slash_wrong` per seat (the task's parameter version), its
         held part of the fee goes to the treasury, it counts as disagreed
         and its open-task count is released.
    @notice Slashes a member whose deferred slash nobody disproved.
    @param task_id A succeeded task of a tolerant model.
    @param agent A member whose slash is deferred.
    """
    self._resolve(task_id, agent, False)


@external
@view
def deferredSlashUntil(task_id: uint256, agent: address) -> uint256:
    """
    @dev Before it, `proveAgreement`; from it on, `settleDeferred`.
    @notice When the dispute window of a member's deferred slash ends.
    @param task_id The task.
    @param agent The agent.
    @return uint256 Unix time (0 when no slash of the agent is deferred
            on the task).
    """
    dispute: uint256 = self._disputes[task_id]
    found: bool = False
    member: uint256 = 0
    found, member = self._find_member(task_id, self._task_progress[task_id], agent)
    if not found or task_words._deferred_seats(dispute, member) == 0:
        return 0
    return task_words._until(dispute)


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
    if receiver == empty(address):
        self._refuse(ERR_ZERO_RECEIVER)
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
    @dev Owner only.
    @notice Lifts the pause.
    """
    ownable._check_owner()
    pausable._unpause()


@external
def setMinFeePerAgent(min_fee_per_agent_: uint256):
    """
    @dev Checked at creation only: applies to tasks created from now on.
    @notice Sets the least fee per seat.
    @param min_fee_per_agent_ Wei, at most 1 ETH.
    """
    ownable._check_owner()
    market_params._set_min_fee(min_fee_per_agent_)


@external
def setWindows(commit_window_: uint256, reveal_window_: uint256):
    """
    @dev Appends a parameter version: applies to tasks created from now
         on, never to a task already created. Together the windows must
         stay shorter than the staking unbonding period.
    @notice Sets the commit and reveal windows.
    @param commit_window_ Seconds, in [2 s, 1 day].
    @param reveal_window_ Seconds, in [2 s, 1 day].
    """
    ownable._check_owner()
    market_params._set_windows(commit_window_, reveal_window_, staticcall staking.unbonding_period())


@external
def setSlashAmounts(slash_missed_: uint256, slash_wrong_: uint256):
    """
    @dev Appends a parameter version: applies to tasks created from now
         on, never to a task already created.
    @notice Sets the slash amounts per seat.
    @param slash_missed_ Wei per seat that did not commit or reveal, at most 100 ETH.
    @param slash_wrong_ Wei per seat that revealed another result, at most 100 ETH.
    """
    ownable._check_owner()
    market_params._set_slash_amounts(slash_missed_, slash_wrong_)


@external
@nonreentrant
def withdrawTreasury(receiver: address, amount: uint256):
    """
    @dev Owner only; the transfer comes last.
    @notice Sends fee remainders from the treasury.
    @param receiver Where to send them.
    @param amount Wei, at most `treasury_balance`.
    """
    ownable._check_owner()
    if receiver == empty(address):
        self._refuse(ERR_ZERO_RECEIVER)
    if amount > self.treasury_balance:
        self._refuse(ERR_EXCEEDS_TREASURY)
    self.treasury_balance -= amount
    log TreasuryWithdrawn(receiver=receiver, amount=amount)
    self._send(receiver, amount)


# ---------------------------------------------------------------- views


@external
@view
def taskPhase(task_id: uint256) -> uint8:
    """
    @notice Where a task stands.
    @param task_id The task.
    @return uint8 0 unknown, 1 waiting for its draw block or its parents,
            2 commit, 3 reveal, 4 ready to finalize, 5 succeeded, 6 failed.
    """
    return self._phase(self._task_progress[task_id])


@external
@view
def getTask(task_id: uint256) -> TaskView:
    """
    @dev Reverts for an unknown task. Per-member lists follow the members'
         order (first seat first); `committeeOf` lists the seats. The draw
         block of a waiting task accounts for the parents finalized so far;
         the grace period ends `grace_period()` after `reveal_end`.
    @notice Everything about a task.
    @param task_id The task.
    @return TaskView Requester, model, fee, size, quorum, parents, draw
            block, parameter version and the windows and slash amounts it
            gives the task, members with their seats, commit and reveal
            flags and revealed hashes (zero until revealed), start, commit
            end, reveal end, phase and accepted result hash.
    """
    terms: uint256 = self._task_terms[task_id]
    progress: uint256 = self._task_progress[task_id]
    if progress == 0:
        self._refuse(ERR_UNKNOWN_TASK)
    params_set: uint256 = market_params._set_of(task_words._params_version(progress))
    size: uint256 = task_words._size(progress)
    members: uint256 = task_words._member_count(progress)
    start: uint256 = task_words._start(progress)

    member_list: DynArray[MemberView, constants.MAX_COMMITTEE] = []
    commit_end: uint256 = 0
    reveal_end: uint256 = 0
    draw_block: uint256 = task_words._draw_block(progress)
    if start != 0:
        words: DynArray[uint256, task_words.MAX_COMMITTEE_WORDS] = self._load_committee(
            task_id, size, members
        )
        for i: uint256 in range(members, bound=constants.MAX_COMMITTEE):
            member_list.append(self._member_view(task_id, progress, words, size, i))
        commit_end = task_words._commit_end(progress)
        reveal_end = task_words._reveal_end(progress)
    elif task_words._status(progress) == task_words.STATUS_OPEN:
        state: uint8 = DRAW_READY
        state, draw_block = self._draw_state(task_id, progress)

    return TaskView(
        requester=task_words._requester(terms),
        model_id=self._model_id(progress),
        fee=task_words._fee(terms),
        committee_size=convert(size, uint8),
        quorum=convert(task_words._quorum(progress), uint8),
        parents=self._parents[task_id],
        draw_block=draw_block,
        params_version=task_words._params_version(progress),
        commit_window=market_params._commit_window(params_set),
        reveal_window=market_params._reveal_window(params_set),
        slash_missed=market_params._slash_missed(params_set),
        slash_wrong=market_params._slash_wrong(params_set),
        members=member_list,
        start=start,
        commit_end=commit_end,
        reveal_end=reveal_end,
        phase=self._phase(progress),
        result_hash=self._result_hash(task_id, progress),
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
    progress: uint256 = self._task_progress[task_id]
    return (self._phase(progress), self._result_hash(task_id, progress))


@external
@view
def committeeOf(task_id: uint256) -> DynArray[address, constants.MAX_COMMITTEE]:
    """
    @notice A task's committee: one entry per seat, in seat order (an
            agent holding two seats appears twice); empty before activation.
    @param task_id The task.
    @return DynArray The seated agents (owner addresses).
    """
    return self._seated_committee(task_id, self._task_progress[task_id])


@external
@view
def previewCommittee(task_id: uint256) -> DynArray[address, constants.MAX_COMMITTEE]:
    """
    @dev A seated task returns its committee. A waiting task returns the
         committee `activate` would seat now: known once its draw block is
         mined and its parents are finalized, and the same whoever
         activates it, whenever (until a redraw). Empty otherwise.
    @notice The committee a task has, or will have when activated.
    @param task_id The task.
    @return DynArray One agent per seat, in seat order.
    """
    progress: uint256 = self._task_progress[task_id]
    if task_words._start(progress) != 0 or self._open_task_outcome(progress) != APPLIED:
        return self._seated_committee(task_id, progress)
    state: uint8 = DRAW_READY
    draw_block: uint256 = 0
    state, draw_block = self._draw_state(task_id, progress)
    if state != DRAW_READY:
        return []
    return self._draw(task_id, progress, task_words._size(progress), draw_block)


@external
@view
def memberState(task_id: uint256, agent: address) -> (uint8, bool, bool, bytes32):
    """
    @notice What one agent holds and did on a task.
    @param task_id The task.
    @param agent The agent.
    @return uint8 Seats it holds (0: not a member, or not seated yet).
    @return bool Whether it committed.
    @return bool Whether it revealed.
    @return bytes32 Its revealed result hash (zero until revealed).
    """
    progress: uint256 = self._task_progress[task_id]
    if task_words._start(progress) == 0:
        return (0, False, False, empty(bytes32))
    found: bool = False
    index: uint256 = 0
    found, index = self._find_member(task_id, progress, agent)
    if not found:
        return (0, False, False, empty(bytes32))
    size: uint256 = task_words._size(progress)
    view: MemberView = self._member_view(
        task_id,
        progress,
        self._load_committee(task_id, size, task_words._member_count(progress)),
        size,
        index,
    )
    return (view.seats, view.committed, view.revealed, view.result_hash)


@external
@view
def claimable(account: address) -> uint256:
    """
    @notice ETH an account can withdraw (rewards and refunds).
    @param account The account.
    @return uint256 Wei.
    """
    return task_words._claimable(self._ledgers[account])


@external
@view
def openTasks(agent: address) -> uint256:
    """
    @notice Started, unfinalized tasks on whose committee an agent sits.
    @param agent The agent.
    @return uint256 The count.
    """
    return task_words._open_tasks(self._ledgers[agent])


@external
@view
def reputation(agent: address) -> (uint256, uint256, uint256):
    """
    @dev One count per task, whatever the seats held.
    @notice An agent's record over finalized tasks.
    @param agent The agent.
    @return uint256 Tasks where it agreed with the accepted result.
    @return uint256 Tasks where it revealed a rejected result.
    @return uint256 Tasks where it failed to commit or reveal.
    """
    ledger: uint256 = self._ledgers[agent]
    return (task_words._agreed(ledger), task_words._disagreed(ledger), task_words._missed(ledger))


@external
@view
def task_count() -> uint256:
    """
    @notice Number of tasks created; the last id.
    @return uint256 The count.
    """
    return task_words._task_count(self._task_count_and_escrow)


@external
@view
def escrowed() -> uint256:
    """
    @notice Fees held for tasks not yet finalized, and the parts of fees
            held for members whose slash is deferred.
    @return uint256 Wei.
    """
    return task_words._escrowed(self._task_count_and_escrow)


# ---------------------------------------------------------------- internal


@internal
@view
def _phase(progress: uint256) -> uint8:
    """
    @notice The phase of a task from its progress word.
    @param progress The progress word (0 for an unknown task).
    @return uint8 The phase (see `taskPhase`).
    """
    if progress == 0:
        return PHASE_UNKNOWN
    status: uint256 = task_words._status(progress)
    if status == task_words.STATUS_SUCCEEDED:
        return PHASE_SUCCEEDED
    if status == task_words.STATUS_FAILED:
        return PHASE_FAILED
    if task_words._start(progress) == 0:
        return PHASE_WAITING
    if task_words._revealed(progress) == task_words._all_members(progress):
        return PHASE_READY
    if block.timestamp < task_words._commit_end(progress):
        return PHASE_COMMIT
    if block.timestamp < task_words._reveal_end(progress):
        return PHASE_REVEAL
    return PHASE_READY


@internal
@view
def _sender_agent() -> address:
    """
    @notice The agent `msg.sender` acts for (its owner or its signer).
    @return address The agent.
    """
    agent: address = staticcall staking.resolveAgent(msg.sender)
    if agent == empty(address):
        self._refuse(ERR_NOT_AN_AGENT)
    return agent


@internal
@view
def _model_id(progress: uint256) -> bytes32:
    """
    @notice A task's model id, from the registry index it keeps.
    @param progress The task's progress word.
    @return bytes32 The model id.
    """
    return staticcall registry.modelIdAt(task_words._model_index(progress))


@internal
@view
def _result_hash(task_id: uint256, progress: uint256) -> bytes32:
    """
    @notice A task's accepted result hash.
    @param task_id The task.
    @param progress Its progress word.
    @return bytes32 The hash (zero unless succeeded).
    """
    winner: uint256 = task_words._winner(progress)
    if winner == 0:
        return empty(bytes32)
    return self._member_results[task_id][winner - 1]


@internal
@view
def _draw_state(task_id: uint256, progress: uint256) -> (uint8, uint256):
    """
    @dev The draw block moves to the block after the last parent's
         finalization when that comes later: the committee's randomness
         must not exist before the task can start, or whoever can delay a
         parent could wait for a redraw when the committee does not suit it.
    @notice Whether a waiting task can be seated now, and from which block.
    @param task_id The task.
    @param progress Its progress word.
    @return uint8 DRAW_PARENTS_OPEN, DRAW_PARENT_FAILED, DRAW_NOT_MINED,
            DRAW_STALE (its hash is out of reach) or DRAW_READY.
    @return uint256 The draw block.
    """
    draw_block: uint256 = task_words._draw_block(progress)
    if task_words._parent_count(progress) != 0:
        parent_failed: bool = False
        for p: uint256 in self._parents[task_id]:
            parent: uint256 = self._task_progress[p]
            status: uint256 = task_words._status(parent)
            if status == task_words.STATUS_OPEN:
                return (DRAW_PARENTS_OPEN, draw_block)
            if status == task_words.STATUS_FAILED:
                parent_failed = True
            draw_block = max(draw_block, task_words._final_block(parent) + 1)
        if parent_failed:
            return (DRAW_PARENT_FAILED, draw_block)
    if block.number <= draw_block:
        return (DRAW_NOT_MINED, draw_block)
    if block.number - draw_block > constants.BLOCKHASH_WINDOW:
        return (DRAW_STALE, draw_block)
    # A chain without block hashes would make the seed predictable.
    if blockhash(draw_block) == empty(bytes32):
        return (DRAW_STALE, draw_block)
    return (DRAW_READY, draw_block)


@internal
@view
def _draw(
    task_id: uint256, progress: uint256, size: uint256, draw_block: uint256
) -> DynArray[address, constants.MAX_COMMITTEE]:
    """
    @dev Seed `keccak256(abi_encode(blockhash(draw_block), task_id))`,
         weights of the draw block's epoch. The caller checks that the
         draw block is mined and within reach.
    @notice A task's committee, one agent per seat.
    @param task_id The task.
    @param progress Its progress word.
    @param size Seats.
    @param draw_block The draw block.
    @return DynArray The seats (empty when no agent has weight).
    """
    seed: bytes32 = keccak256(abi_encode(blockhash(draw_block), task_id))
    return staticcall staking.drawCommittee(
        self._model_id(progress), size, seed, draw_block // constants.EPOCH_BLOCKS
    )


@internal
def _seat(task_id: uint256, progress: uint256, draw_block: uint256) -> (bool, uint256):
    """
    @dev Stores the committee words, adds one open task to every member
         and starts the windows of the task's parameter version.
    @notice Seats a task's committee (draw block mined and within reach).
    @param task_id The task.
    @param progress Its progress word.
    @param draw_block The draw block.
    @return bool False when no agent had weight (nothing was written).
    @return uint256 The new progress word.
    """
    seats: DynArray[address, constants.MAX_COMMITTEE] = self._draw(
        task_id, progress, task_words._size(progress), draw_block
    )
    if len(seats) == 0:
        return (False, progress)
    words: DynArray[uint256, task_words.MAX_COMMITTEE_WORDS] = []
    members: DynArray[address, constants.MAX_COMMITTEE] = []
    words, members = task_words._pack_committee(seats)
    for k: uint256 in range(len(words), bound=task_words.MAX_COMMITTEE_WORDS):
        self._committee_words[task_id][k] = words[k]
    for member: address in members:
        self._ledgers[member] += task_words.ONE_OPEN
    started: uint256 = task_words._with_start(progress, draw_block, block.timestamp, len(members))
    self._task_progress[task_id] = started
    log TaskActivated(task_id=task_id, committee=seats)
    return (True, started)


@internal
@view
def _load_committee(
    task_id: uint256, size: uint256, members: uint256
) -> DynArray[uint256, task_words.MAX_COMMITTEE_WORDS]:
    """
    @notice Reads a task's committee words.
    @param task_id The task.
    @param size Seats (0 to read the member addresses only).
    @param members Distinct members.
    @return DynArray The words.
    """
    words: DynArray[uint256, task_words.MAX_COMMITTEE_WORDS] = []
    for k: uint256 in range(
        task_words._committee_word_count(size, members), bound=task_words.MAX_COMMITTEE_WORDS
    ):
        words.append(self._committee_words[task_id][k])
    return words


@internal
@view
def _seated_committee(task_id: uint256, progress: uint256) -> DynArray[address, constants.MAX_COMMITTEE]:
    """
    @notice A task's committee, one agent per seat (empty before seating).
    @param task_id The task.
    @param progress Its progress word.
    @return DynArray The seated agents.
    """
    if task_words._start(progress) == 0:
        return []
    size: uint256 = task_words._size(progress)
    members: uint256 = task_words._member_count(progress)
    return self._seat_list(self._load_committee(task_id, size, members), size, members)


@internal
@pure
def _seat_list(
    words: DynArray[uint256, task_words.MAX_COMMITTEE_WORDS], size: uint256, members: uint256
) -> DynArray[address, constants.MAX_COMMITTEE]:
    """
    @notice A committee as one address per seat, from its words.
    @param words The committee words.
    @param size Seats.
    @param members Distinct members.
    @return DynArray The seated agents, in seat order.
    """
    out: DynArray[address, constants.MAX_COMMITTEE] = []
    for s: uint256 in range(size, bound=constants.MAX_COMMITTEE):
        out.append(task_words._member_at(words, task_words._seat_holder(words, members, s)))
    return out


@internal
@view
def _member_view(
    task_id: uint256,
    progress: uint256,
    words: DynArray[uint256, task_words.MAX_COMMITTEE_WORDS],
    size: uint256,
    member: uint256,
) -> MemberView:
    """
    @notice One member of a seated task: its seats, flags and revealed hash.
    @param task_id The task.
    @param progress Its progress word.
    @param words Its committee words (all of them).
    @param size Seats.
    @param member The member's index.
    @return MemberView The member.
    """
    members: uint256 = task_words._member_count(progress)
    held: uint8 = 0
    for s: uint256 in range(size, bound=constants.MAX_COMMITTEE):
        if task_words._seat_holder(words, members, s) == member:
            held += 1
    revealed: bool = (task_words._revealed(progress) >> member) & 1 == 1
    result_hash: bytes32 = empty(bytes32)
    if revealed:
        result_hash = self._member_results[task_id][member]
    return MemberView(
        agent=task_words._member_at(words, member),
        seats=held,
        committed=(task_words._committed(progress) >> member) & 1 == 1,
        revealed=revealed,
        result_hash=result_hash,
    )


@internal
@view
def _find_member(task_id: uint256, progress: uint256, agent: address) -> (bool, uint256):
    """
    @dev Reads the member addresses only (two words for three members).
    @notice Finds an agent among a seated task's members.
    @param task_id The task.
    @param progress Its progress word.
    @param agent The agent.
    @return bool Whether it is a member.
    @return uint256 Its member index.
    """
    members: uint256 = task_words._member_count(progress)
    words: DynArray[uint256, task_words.MAX_COMMITTEE_WORDS] = self._load_committee(
        task_id, 0, members
    )
    for i: uint256 in range(members, bound=constants.MAX_COMMITTEE):
        if task_words._member_at(words, i) == agent:
            return (True, i)
    return (False, 0)


@internal
def _commit(task_id: uint256, agent: address, commitment: bytes32) -> uint8:
    """
    @dev Seats a waiting task first when its committee can be seated now
         (the seating stands even when this commit is then refused).
    @notice Records a member's commitment, or says why it cannot.
    @param task_id The task.
    @param agent The member.
    @param commitment The commitment.
    @return uint8 APPLIED or an ERR_ code.
    """
    progress: uint256 = self._task_progress[task_id]
    outcome: uint8 = self._open_task_outcome(progress)
    if outcome != APPLIED:
        return outcome
    if task_words._start(progress) == 0:
        state: uint8 = DRAW_READY
        draw_block: uint256 = 0
        state, draw_block = self._draw_state(task_id, progress)
        if state != DRAW_READY:
            return ERR_NOT_ACTIVE
        seated: bool = False
        seated, progress = self._seat(task_id, progress, draw_block)
        if not seated:
            return ERR_NOT_ACTIVE
    if block.timestamp >= task_words._commit_end(progress):
        return ERR_COMMIT_CLOSED
    if commitment == empty(bytes32):
        return ERR_EMPTY_COMMITMENT
    found: bool = False
    index: uint256 = 0
    found, index = self._find_member(task_id, progress, agent)
    if not found:
        return ERR_NOT_MEMBER
    if (task_words._committed(progress) >> index) & 1 == 1:
        return ERR_ALREADY_COMMITTED

    self._member_results[task_id][index] = commitment
    self._task_progress[task_id] = task_words._with_commit(progress, index, block.timestamp)
    log Committed(task_id=task_id, agent=agent)
    return APPLIED


@internal
def _reveal(task_id: uint256, agent: address, result_hash: bytes32, salt: bytes32) -> uint8:
    """
    @notice Records a member's revealed result hash, or says why it cannot.
    @param task_id The task.
    @param agent The member.
    @param result_hash keccak256 of its output.
    @param salt The salt of its commitment.
    @return uint8 APPLIED or an ERR_ code.
    """
    progress: uint256 = self._task_progress[task_id]
    outcome: uint8 = self._open_task_outcome(progress)
    if outcome != APPLIED:
        return outcome
    if task_words._start(progress) == 0:
        return ERR_NOT_ACTIVE
    if block.timestamp < task_words._commit_end(progress):
        return ERR_REVEAL_NOT_OPEN
    if block.timestamp >= task_words._reveal_end(progress):
        return ERR_REVEAL_CLOSED
    found: bool = False
    index: uint256 = 0
    found, index = self._find_member(task_id, progress, agent)
    if not found:
        return ERR_NOT_MEMBER
    if (task_words._committed(progress) >> index) & 1 == 0:
        return ERR_NOT_COMMITTED
    if (task_words._revealed(progress) >> index) & 1 == 1:
        return ERR_ALREADY_REVEALED
    if self._member_results[task_id][index] != keccak256(abi_encode(task_id, agent, result_hash, salt)):
        return ERR_REVEAL_MISMATCH

    self._member_results[task_id][index] = result_hash
    self._task_progress[task_id] = task_words._with_reveal(progress, index)
    log Revealed(task_id=task_id, agent=agent, result_hash=result_hash)
    return APPLIED


@internal
@view
def _check_signature(agent: address, struct_hash: bytes32, signature: Bytes[65]) -> uint8:
    """
    @dev The low-s and v checks of snekmate's `ecdsa`, without reverting,
         so that a batch can skip a bad item.
    @notice Whether `signature` is the agent's current signer's EIP-712
            signature of `struct_hash`.
    @param agent The agent.
    @param struct_hash The EIP-712 struct hash.
    @param signature 65 bytes r || s || v.
    @return uint8 APPLIED, ERR_SIGNATURE_LENGTH or ERR_BAD_SIGNATURE.
    """
    if len(signature) != 65:
        return ERR_SIGNATURE_LENGTH
    r: uint256 = extract32(signature, 0, output_type=uint256)
    s: uint256 = extract32(signature, 32, output_type=uint256)
    v: uint256 = convert(slice(signature, 64, 1), uint256)
    if s > ecdsa._MALLEABILITY_THRESHOLD or (v != 27 and v != 28):
        return ERR_BAD_SIGNATURE
    signer: address = ecrecover(eip712._hash_typed_data_v4(struct_hash), v, r, s)
    if signer == empty(address) or signer != staticcall staking.signerOf(agent):
        return ERR_BAD_SIGNATURE
    return APPLIED


@internal
def _count_applied(task_id: uint256, agent: address, outcome: uint8) -> uint256:
    """
    @notice Counts an applied batch item, or logs why it was skipped.
    @param task_id The item's task.
    @param agent The item's member.
    @param outcome APPLIED or an ERR_ code.
    @return uint256 1 when applied, else 0.
    """
    if outcome == APPLIED:
        return 1
    log SubmissionSkipped(task_id=task_id, agent=agent, reason=outcome)
    return 0


@internal
@view
def _open_task_outcome(progress: uint256) -> uint8:
    """
    @notice Whether a task exists and is not finalized.
    @param progress The task's progress word (0 for an unknown task).
    @return uint8 APPLIED, ERR_UNKNOWN_TASK or ERR_FINALIZED.
    """
    if progress == 0:
        return ERR_UNKNOWN_TASK
    if task_words._status(progress) != task_words.STATUS_OPEN:
        return ERR_FINALIZED
    return APPLIED


@internal
@view
def _require_applied(outcome: uint8):
    """
    @notice Reverts with the reason of a refused submission.
    @param outcome APPLIED or an ERR_ code.
    """
    if outcome != APPLIED:
        self._refuse(outcome)


@internal
@view
def _refuse(code: uint8):
    """
    @dev The contract's one revert site with a reason: each `assert` or
         `raise` with a literal reason costs about 120 bytes of code, which
         the TaskMarket cannot spare under the 24,576-byte limit (EIP-170),
         and even one table of literals costs 2.8 kB (`_refusal`).
    @notice Reverts with the reason of `code`.
    @param code An ERR_ code.
    """
    raise self._refusal(code)


@internal
@view
def _refusal(code: uint8) -> String[64]:
    """
    @dev Read from storage: the reasons are written at deployment
         (`_store_reasons`), so that their text and code stay out of the
         runtime code, which the EIP-170 limit (24,576 bytes) leaves no
         room for. Costs a failing call a few cold storage reads.
    @notice The revert reason of an ERR_ code.
    @param code An ERR_ code.
    @return String The reason (`market: ...`).
    """
    return self._reasons[code]


@internal
def _store_reasons():
    """
    @dev Called by the constructor only, so it is part of the deployment
         code and not of the runtime code.
    @notice Writes the revert reason of every ERR_ code.
    """
    self._reasons[ERR_UNKNOWN_TASK] = "market: unknown task"
    self._reasons[ERR_FINALIZED] = "market: task already finalized"
    self._reasons[ERR_NOT_ACTIVE] = "market: task not active"
    self._reasons[ERR_COMMIT_CLOSED] = "market: commit phase closed"
    self._reasons[ERR_EMPTY_COMMITMENT] = "market: empty commitment"
    self._reasons[ERR_NOT_MEMBER] = "market: not a committee member"
    self._reasons[ERR_ALREADY_COMMITTED] = "market: already committed"
    self._reasons[ERR_REVEAL_NOT_OPEN] = "market: reveal phase not open"
    self._reasons[ERR_REVEAL_CLOSED] = "market: reveal phase closed"
    self._reasons[ERR_NOT_COMMITTED] = "market: not committed"
    self._reasons[ERR_ALREADY_REVEALED] = "market: already revealed"
    self._reasons[ERR_REVEAL_MISMATCH] = "market: reveal does not match commitment"
    self._reasons[ERR_SIGNATURE_LENGTH] = "market: signature must be 65 bytes"
    self._reasons[ERR_BAD_SIGNATURE] = "market: invalid signature"
    self._reasons[ERR_SIZE_RANGE] = "market: committee size out of range"
    self._reasons[ERR_QUORUM_RANGE] = "market: quorum out of range"
    self._reasons[ERR_FEE_BELOW_MINIMUM] = "market: fee below minimum"
    self._reasons[ERR_FEE_TOO_LARGE] = "market: fee too large"
    self._reasons[ERR_EMPTY_INPUT] = "market: empty input"
    self._reasons[ERR_MODEL_NOT_ACTIVE] = "market: model not active"
    self._reasons[ERR_UNKNOWN_PARENT] = "market: unknown parent"
    self._reasons[ERR_DUPLICATE_PARENT] = "market: duplicate parent"
    self._reasons[ERR_NO_ELIGIBLE_AGENT] = "market: no eligible agent"
    self._reasons[ERR_NOT_WAITING] = "market: task not waiting"
    self._reasons[ERR_PARENTS_OPEN] = "market: parents not finalized"
    self._reasons[ERR_DRAW_NOT_MINED] = "market: draw block not mined"
    self._reasons[ERR_NOT_READY] = "market: task not ready to finalize"
    self._reasons[ERR_OUTPUT_MISMATCH] = "market: output does not match the accepted result"
    self._reasons[ERR_BATCH_LENGTHS] = "market: batch length mismatch"
    self._reasons[ERR_NOT_AN_AGENT] = "market: caller is not an agent or signer"
    self._reasons[ERR_ZERO_RECEIVER] = "market: zero receiver"
    self._reasons[ERR_EXCEEDS_TREASURY] = "market: amount exceeds treasury"
    self._reasons[ERR_NOTHING_TO_WITHDRAW] = "market: nothing to withdraw"
    self._reasons[ERR_TRANSFER_FAILED] = "market: transfer failed"
    self._reasons[ERR_NOT_PENDING] = "market: no slash pending"
    self._reasons[ERR_DISPUTE_CLOSED] = "market: dispute window closed"
    self._reasons[ERR_DISPUTE_OPEN] = "market: dispute window open"
    self._reasons[ERR_MEMBER_OUTPUT_MISMATCH] = "market: member output does not match its reveal"
    self._reasons[ERR_NOT_WITHIN_TOLERANCE] = "market: outputs differ beyond the tolerance"


@internal
def _slash_members(
    task_id: uint256,
    progress: uint256,
    words: DynArray[uint256, task_words.MAX_COMMITTEE_WORDS],
    seats: uint256[constants.MAX_COMMITTEE],
    penalties: uint256,
):
    """
    @dev One `slash` per member: seats times the per-seat amount of the
         task's parameter version; nothing is called for a zero amount.
    @notice Slashes the members `finalize` found missed or wrong.
    @param task_id The task.
    @param progress Its progress word.
    @param words Its committee words.
    @param seats Seats per member.
    @param penalties Bit i: member i missed; bit 16 + i: member i was wrong.
    """
    params_set: uint256 = market_params._set_of(task_words._params_version(progress))
    for i: uint256 in range(constants.MAX_COMMITTEE):
        per_seat: uint256 = 0
        reason: uint8 = constants.REASON_MISSED
        if (penalties >> i) & 1 == 1:
            per_seat = market_params._slash_missed(params_set)
        elif (penalties >> (constants.MAX_COMMITTEE + i)) & 1 == 1:
            per_seat = market_params._slash_wrong(params_set)
            reason = constants.REASON_WRONG
        if per_seat != 0:
            extcall staking.slash(task_words._member_at(words, i), per_seat * seats[i], task_id, reason)


@internal
def _resolve(task_id: uint256, agent: address, proving: bool) -> uint256:
    """
    @dev Proving needs the window open, settling needs it ended. Clears
         the member's seats from the dispute word first, so nothing
         resolves twice. The held share (seats times the share per
         agreeing seat) leaves the escrow: to the agent when proven, else
         to the treasury, and the agent is slashed `slash_wrong` per seat
         (the staking contract is trusted, takes at most the stake and
         never reverts). A failed, open or exact task, a non-member and a
         member already resolved give `market: no slash pending`.
    @notice Ends a member's deferred slash.
    @param task_id The task.
    @param agent The member.
    @param proving Whether it was proven to agree within the tolerance.
    @return uint256 The member's index.
    """
    progress: uint256 = self._task_progress[task_id]
    dispute: uint256 = self._disputes[task_id]
    found: bool = False
    member: uint256 = 0
    found, member = self._find_member(task_id, progress, agent)
    held: uint256 = task_words._deferred_seats(dispute, member)
    if not found or held == 0:
        self._refuse(ERR_NOT_PENDING)
    window_open: bool = block.timestamp < task_words._until(dispute)
    if proving and not window_open:
        self._refuse(ERR_DISPUTE_CLOSED)
    if window_open and not proving:
        self._refuse(ERR_DISPUTE_OPEN)
    self._disputes[task_id] = dispute & ~(task_words.MASK4 << (task_words.SEAT_BITS * member))
    amount: uint256 = task_words._share(dispute) * held
    ledger: uint256 = self._ledgers[agent] - task_words.ONE_OPEN
    if proving:
        ledger += amount + task_words.ONE_AGREED
        log AgreementProven(task_id=task_id, agent=agent, amount=amount)
    else:
        ledger += task_words.ONE_DISAGREED
        self.treasury_balance += amount
        log DeferredSettled(task_id=task_id, agent=agent, amount=amount)
    self._ledgers[agent] = ledger
    counters: uint256 = self._task_count_and_escrow
    self._task_count_and_escrow = task_words._pack_counters(
        task_words._task_count(counters), task_words._escrowed(counters) - amount
    )
    if not proving:
        per_seat: uint256 = market_params._slash_wrong(
            market_params._set_of(task_words._params_version(progress))
        )
        if per_seat != 0:
            extcall staking.slash(agent, per_seat * held, task_id, constants.REASON_WRONG)
    return member


@internal
def _fail_unstarted(task_id: uint256, progress: uint256):
    """
    @notice Fails a task that never started: its fee goes back to its
            requester.
    @param task_id The task.
    @param progress Its progress word.
    """
    terms: uint256 = self._task_terms[task_id]
    fee: uint256 = task_words._fee(terms)
    self._ledgers[task_words._requester(terms)] += fee
    self._task_progress[task_id] = task_words._finalized(
        progress, task_words.STATUS_FAILED, 0, block.number
    )
    counters: uint256 = self._task_count_and_escrow
    self._task_count_and_escrow = task_words._pack_counters(
        task_words._task_count(counters), task_words._escrowed(counters) - fee
    )
    self._log_failed(task_id)


@internal
def _log_failed(task_id: uint256):
    """
    @notice Logs that a task failed (no result, no output).
    @param task_id The task.
    """
    log TaskFinalized(
        task_id=task_id,
        status=convert(task_words.STATUS_FAILED, uint8),
        result_hash=empty(bytes32),
        output=b"",
    )


@internal
def _withdraw(receiver: address):
    """
    @notice Sends the caller's claimable balance to `receiver`.
    @param receiver Where to send it.
    """
    ledger: uint256 = self._ledgers[msg.sender]
    amount: uint256 = task_words._claimable(ledger)
    if amount == 0:
        self._refuse(ERR_NOTHING_TO_WITHDRAW)
    self._ledgers[msg.sender] = task_words._without_claimable(ledger)
    log Withdrawn(account=msg.sender, receiver=receiver, amount=amount)
    self._send(receiver, amount)


@internal
def _send(receiver: address, amount: uint256):
    """
    @dev Checks-effects-interactions: callers have written their state.
    @notice Sends `amount` wei to `receiver`, reverting when it refuses.
    @param receiver Where to send it.
    @param amount Wei.
    """
    ok: bool = raw_call(receiver, b"", value=amount, revert_on_failure=False)
    if not ok:
        self._refuse(ERR_TRANSFER_FAILED)
