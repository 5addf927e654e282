# pragma version ~=0.4.3
"""
@title agentnet consumer
@custom:contract-name consumer
@license GNU Affero General Public License v3.0 only
@notice A module that lets a contract use agentnet results on chain: post
        tasks paid from the contract's balance, accept a task's output once
        the network has finalized it, and take back the fee of a task that
        failed.

        The contract `initializes: consumer` and calls its internal
        functions from its own external ones. A module cannot call its
        parent, so the result hook is the contract's own function:

            @external
            def deliver(task_id: uint256, output: Bytes[8_192]):
                tag: uint256 = consumer._accept(task_id, output)
                ...  # `output` is the network's verdict: use it

        `_accept` reverts unless this contract posted the task, the task
        succeeded, `keccak256(output)` is its accepted result hash and the
        result was not delivered before, so the code after it runs once per
        task, with the real output, whoever sends the transaction (the
        requester's client, a worker, a keeper). Outputs are canonical JSON
        (PROTOCOL.md, Models); `canonical.vy` reads them cheaply.

        A failed task's fee is credited back to this contract by the market
        (pull payment); `_refund(task_id)` marks the task refunded, pulls
        the market's credit and returns the fee so that the contract can
        pass it on. The contract must export `__default__` (the market's
        refunds arrive there) and should export the views it wants to show.

        Each task posted keeps one storage word: its state, its fee and a
        160-bit tag the contract chooses (an id of its own, an address),
        which `_accept` and `_refund` hand back, so that the contract
        needs no mapping of its own from tasks to its records.
@custom:security The market is trusted (it is the protocol); the output
        handed to the contract is exactly the one a quorum of the task's
        committee revealed. The contract should make the functions that
        call `_refund` or move ETH `@nonreentrant`.
"""

from . import IMarket


# Limits of the TaskMarket (PROTOCOL.md v2).
MAX_INPUT: constant(uint256) = 4_096
MAX_OUTPUT: constant(uint256) = 8_192
MAX_PARENTS: constant(uint256) = 8
MAX_COMMITTEE: constant(uint8) = 16

# `TaskMarket.taskPhase` values this module reads.
PHASE_UNKNOWN: constant(uint8) = 0
PHASE_SUCCEEDED: constant(uint8) = 5
PHASE_FAILED: constant(uint8) = 6

# States of a task this contract posted.
STATE_NONE: constant(uint256) = 0
STATE_POSTED: constant(uint256) = 1
STATE_DELIVERED: constant(uint256) = 2
STATE_REFUNDED: constant(uint256) = 3

# Request word: state (bits 0-7) | fee (8-95) | tag (96-255).
STATE_MASK: constant(uint256) = 2**8 - 1
FEE_SHIFT: constant(uint256) = 8
FEE_MASK: constant(uint256) = 2**88 - 1
TAG_SHIFT: constant(uint256) = 96
MAX_TAG: constant(uint256) = 2**160 - 1


event TaskPosted:
    task_id: indexed(uint256)
    model_id: indexed(bytes32)
    fee: uint256
    tag: uint256


event ResultDelivered:
    task_id: indexed(uint256)
    deliverer: indexed(address)
    result_hash: bytes32


event TaskRefunded:
    task_id: indexed(uint256)
    fee: uint256
    tag: uint256


event RefundsWithdrawn:
    amount: uint256


# The TaskMarket this contract posts to.
market: public(immutable(IMarket))
# Seats and quorum of a task posted with `_post`.
committee_size: public(immutable(uint8))
quorum: public(immutable(uint8))

# task id -> request word (see above); zero for a task posted by others.
_requests: HashMap[uint256, uint256]


@deploy
def __init__(market_: IMarket, committee_size_: uint8, quorum_: uint8):
    """
    @dev The committee size and quorum apply to `_post`; `_post_with`
         takes its own.
    @notice Sets the market and the default committee.
    @param market_ The agentnet TaskMarket (deployments/<chain_id>.json).
    @param committee_size_ Seats per task, 1 to 16.
    @param quorum_ Seats that must agree, more than half of them.
    """
    assert market_.address != empty(address), "consumer: zero market"
    assert committee_size_ != 0 and committee_size_ <= MAX_COMMITTEE, (
        "consumer: committee size out of range"
    )
    assert quorum_ > committee_size_ // 2 and quorum_ <= committee_size_, (
        "consumer: quorum out of range"
    )
    market = market_
    committee_size = committee_size_
    quorum = quorum_


@external
@payable
def __default__():
    """
    @dev Export it: the market sends refunds here when `_refund` (or
         `withdrawRefunds`) pulls them. Plain transfers from anyone else
         revert, so that no ETH is stranded by mistake.
    @notice Receives the market's refunds.
    """
    assert msg.sender == market.address, "consumer: only the market sends ether"


@external
def withdrawRefunds() -> uint256:
    """
    @dev Anyone. `_refund` pulls the credit itself; export this only if
         the contract accounts for refunds in bulk.
    @notice Pulls the fees of failed tasks from the market into this
            contract.
    @return uint256 Wei received (0 when nothing was credited).
    """
    return self._withdraw_refunds()


@external
@view
def taskFee() -> uint256:
    """
    @dev Changes when the market's owner changes `min_fee_per_agent`;
         read it in the same transaction that posts.
    @notice The least fee of a task posted with `_post`.
    @return uint256 Wei: `min_fee_per_agent() * committee_size`.
    """
    return self._task_fee(committee_size)


@external
@view
def requestOf(task_id: uint256) -> (uint8, uint256, uint256):
    """
    @notice What this contract knows of a task.
    @param task_id The task.
    @return uint8 0 not posted here, 1 posted, 2 delivered, 3 refunded.
    @return uint256 The fee it paid, in wei.
    @return uint256 The tag it was posted with.
    """
    word: uint256 = self._requests[task_id]
    return (convert(word & STATE_MASK, uint8), (word >> FEE_SHIFT) & FEE_MASK, word >> TAG_SHIFT)


@external
@view
def pendingRefunds() -> uint256:
    """
    @notice Fees of failed tasks the market holds for this contract.
    @return uint256 Wei.
    """
    return staticcall market.claimable(self)


@internal
@view
def _task_fee(size: uint8) -> uint256:
    """
    @notice The least fee of a task with `size` seats.
    @param size Seats.
    @return uint256 Wei.
    """
    return staticcall market.min_fee_per_agent() * convert(size, uint256)


@internal
def _post(model_id: bytes32, input: Bytes[MAX_INPUT], fee: uint256, tag: uint256) -> uint256:
    """
    @dev The default committee, no parents. See `_post_with`.
    @notice Posts a task paid from this contract's balance.
    @param model_id A registered model (kind matching the input).
    @param input UTF-8 JSON task input (PROTOCOL.md, Models).
    @param fee Wei, at least `taskFee()`.
    @param tag A number of the contract's own, below 2**160.
    @return uint256 The task id.
    """
    return self._post_with(model_id, input, committee_size, quorum, [], fee, tag)


@internal
def _post_with(
    model_id: bytes32,
    input: Bytes[MAX_INPUT],
    committee_size_: uint8,
    quorum_: uint8,
    parents: DynArray[uint256, MAX_PARENTS],
    fee: uint256,
    tag: uint256,
) -> uint256:
    """
    @dev The fee leaves this contract's balance (which includes the
         `msg.value` of the current call). The market's own checks (fee,
         committee, model, input) revert with its reasons.
    @notice Posts a task and remembers it.
    @param model_id A registered model.
    @param input UTF-8 JSON task input.
    @param committee_size_ Seats, 1 to 16.
    @param quorum_ Seats that must agree, more than half.
    @param parents Earlier tasks whose outputs the input consumes.
    @param fee Wei, at least `min_fee_per_agent() * committee_size_`.
    @param tag A number of the contract's own, below 2**160.
    @return uint256 The task id.
    """
    assert tag <= MAX_TAG, "consumer: tag over 160 bits"
    assert fee <= self.balance, "consumer: fee over the contract's balance"
    task_id: uint256 = extcall market.createTask(
        model_id, input, committee_size_, quorum_, parents, value=fee
    )
    # The market caps fees at 2**80 - 1: the fee fits its 88 bits.
    self._requests[task_id] = (tag << TAG_SHIFT) | (fee << FEE_SHIFT) | STATE_POSTED
    log TaskPosted(task_id=task_id, model_id=model_id, fee=fee, tag=tag)
    return task_id


@internal
def _accept(task_id: uint256, output: Bytes[MAX_OUTPUT]) -> uint256:
    """
    @dev Call it first in the contract's `deliver`; after it returns,
         `output` is the result the network accepted for this contract's
         task, handed over for the first and only time.
    @notice Checks and marks the delivery of a task's output.
    @param task_id A task this contract posted.
    @param output The task's output bytes (its `TaskFinalized` event).
    @return uint256 The tag the task was posted with.
    """
    word: uint256 = self._requests[task_id]
    state: uint256 = word & STATE_MASK
    assert state != STATE_NONE, "consumer: task not posted by this contract"
    assert state != STATE_DELIVERED, "consumer: result already delivered"
    phase: uint8 = PHASE_UNKNOWN
    result_hash: bytes32 = empty(bytes32)
    phase, result_hash = staticcall market.taskResult(task_id)
    assert phase != PHASE_FAILED, "consumer: task failed"
    assert phase == PHASE_SUCCEEDED, "consumer: task not finalized"
    assert keccak256(output) == result_hash, "consumer: output does not match the result"
    self._requests[task_id] = word ^ STATE_POSTED ^ STATE_DELIVERED
    log ResultDelivered(task_id=task_id, deliverer=msg.sender, result_hash=result_hash)
    return word >> TAG_SHIFT


@internal
def _refund(task_id: uint256) -> (uint256, uint256):
    """
    @dev The market credited the fee to this contract when the task
         failed; this pulls every credit waiting (`withdraw`), so the fee
         is in this contract's balance on return. Pass it on after your
         own state changes; make the calling function `@nonreentrant`.
    @notice Marks a failed task refunded and returns its fee.
    @param task_id A task this contract posted, which failed.
    @return uint256 The fee, in wei.
    @return uint256 The tag the task was posted with.
    """
    word: uint256 = self._requests[task_id]
    state: uint256 = word & STATE_MASK
    assert state != STATE_NONE, "consumer: task not posted by this contract"
    assert state != STATE_REFUNDED, "consumer: fee already refunded"
    phase: uint8 = PHASE_UNKNOWN
    result_hash: bytes32 = empty(bytes32)
    phase, result_hash = staticcall market.taskResult(task_id)
    assert phase != PHASE_SUCCEEDED, "consumer: task succeeded"
    assert phase == PHASE_FAILED, "consumer: task not finalized"
    fee: uint256 = (word >> FEE_SHIFT) & FEE_MASK
    tag: uint256 = word >> TAG_SHIFT
    self._requests[task_id] = word ^ STATE_POSTED ^ STATE_REFUNDED
    log TaskRefunded(task_id=task_id, fee=fee, tag=tag)
    self._withdraw_refunds()
    return (fee, tag)


@internal
def _withdraw_refunds() -> uint256:
    """
    @notice Pulls this contract's credit from the market, if any.
    @return uint256 Wei received.
    """
    amount: uint256 = staticcall market.claimable(self)
    if amount == 0:
        return 0
    log RefundsWithdrawn(amount=amount)
    extcall market.withdraw()
    return amount
