// SPDX-License-Identifier: AGPL-3.0-only
pragma solidity ^0.8.28;

import {ITaskMarket} from "./interfaces/ITaskMarket.sol";

/// @title AgentnetConsumer
/// @notice Base contract for Solidity contracts that use agentnet results on chain: post
///         tasks paid from the contract's balance, receive a task's output once the
///         network has finalized it, and take back the fee of a task that failed.
///
///         The Solidity twin of contracts/consumer/consumer.vy, with the same storage
///         word per task, events, views and revert reasons. Inherit it, post with
///         `_post`, and implement `_onResult`: anyone may call `deliver(task_id, output)`
///         once the task is finalized, and `_onResult` runs exactly once per task, with
///         the output a quorum of the committee revealed (`keccak256(output)` is the
///         task's accepted result hash). Call `_refund` for a failed task: it pulls the
///         market's refund and returns the fee, for you to pass on.
///
///         Each task keeps a 160-bit tag of your choosing (an id of your own, an
///         address), handed back to `_onResult` and by `_refund`, so that you need no
///         mapping of your own from tasks to your records.
/// @dev Event and view names follow the protocol's snake_case (as the Vyper module),
///      so that one client reads both.
abstract contract AgentnetConsumer {
    uint256 private constant STATE_NONE = 0;
    uint256 private constant STATE_POSTED = 1;
    uint256 private constant STATE_DELIVERED = 2;
    uint256 private constant STATE_REFUNDED = 3;
    uint256 private constant STATE_MASK = 2 ** 8 - 1;
    uint256 private constant FEE_SHIFT = 8;
    uint256 private constant FEE_MASK = 2 ** 88 - 1;
    uint256 private constant TAG_SHIFT = 96;
    uint256 private constant MAX_TAG = 2 ** 160 - 1;
    uint8 private constant MAX_COMMITTEE = 16;
    uint8 private constant PHASE_SUCCEEDED = 5;
    uint8 private constant PHASE_FAILED = 6;

    /// @notice The agentnet TaskMarket this contract posts to.
    ITaskMarket public immutable market;
    /// @notice Seats of a task posted with `_post`.
    uint8 public immutable committee_size;
    /// @notice Quorum of a task posted with `_post`.
    uint8 public immutable quorum;

    // task id -> state (bits 0-7) | fee (8-95) | tag (96-255); zero if posted by others.
    mapping(uint256 => uint256) private _requests;
    // Reentrancy lock of `nonReentrant`, in transient storage (EIP-1153).
    bool private transient _entered;

    event TaskPosted(uint256 indexed task_id, bytes32 indexed model_id, uint256 fee, uint256 tag);
    event ResultDelivered(uint256 indexed task_id, address indexed deliverer, bytes32 result_hash);
    event TaskRefunded(uint256 indexed task_id, uint256 fee, uint256 tag);
    event RefundsWithdrawn(uint256 amount);

    /// @param market_ The agentnet TaskMarket (deployments/<chain_id>.json).
    /// @param committee_size_ Seats per task posted with `_post`, 1 to 16.
    /// @param quorum_ Seats that must agree, more than half of them.
    constructor(ITaskMarket market_, uint8 committee_size_, uint8 quorum_) {
        require(address(market_) != address(0), "consumer: zero market");
        require(
            committee_size_ != 0 && committee_size_ <= MAX_COMMITTEE,
            "consumer: committee size out of range"
        );
        require(
            quorum_ > committee_size_ / 2 && quorum_ <= committee_size_,
            "consumer: quorum out of range"
        );
        market = market_;
        committee_size = committee_size_;
        quorum = quorum_;
    }

    modifier nonReentrant() {
        require(!_entered, "consumer: reentrant call");
        _entered = true;
        _;
        _entered = false;
    }

    /// @notice Receives the market's refunds; plain transfers from anyone else revert.
    receive() external payable {
        require(msg.sender == address(market), "consumer: only the market sends ether");
    }

    /// @notice Hands a finalized task's output to this contract (anyone may call it).
    /// @dev Reverts unless this contract posted the task, it succeeded, the output hashes
    ///      to its accepted result and it was not delivered before; then `_onResult` runs.
    /// @param task_id A task this contract posted.
    /// @param output The task's output bytes (its `TaskFinalized` event).
    function deliver(uint256 task_id, bytes calldata output) external nonReentrant {
        uint256 tag = _accept(task_id, output);
        _onResult(task_id, tag, output);
    }

    /// @notice Pulls the fees of failed tasks from the market into this contract.
    /// @return Wei received (0 when nothing was credited).
    function withdrawRefunds() external nonReentrant returns (uint256) {
        return _withdrawRefunds();
    }

    /// @notice The least fee of a task posted with `_post`.
    /// @return Wei: `min_fee_per_agent() * committee_size`.
    function taskFee() external view returns (uint256) {
        return market.min_fee_per_agent() * committee_size;
    }

    /// @notice What this contract knows of a task.
    /// @return state 0 not posted here, 1 posted, 2 delivered, 3 refunded.
    /// @return fee The fee it paid, in wei.
    /// @return tag The tag it was posted with.
    function requestOf(uint256 task_id)
        external
        view
        returns (uint8 state, uint256 fee, uint256 tag)
    {
        uint256 word = _requests[task_id];
        return (uint8(word & STATE_MASK), (word >> FEE_SHIFT) & FEE_MASK, word >> TAG_SHIFT);
    }

    /// @notice Fees of failed tasks the market holds for this contract.
    function pendingRefunds() external view returns (uint256) {
        return market.claimable(address(this));
    }

    /// @notice Your hook: a task's accepted output, once per task.
    /// @param task_id The task.
    /// @param tag The tag it was posted with.
    /// @param output Its output: canonical JSON (see AgentnetCanonical for readers).
    function _onResult(uint256 task_id, uint256 tag, bytes calldata output) internal virtual;

    /// @notice Posts a task with the default committee, paid from this contract's balance.
    function _post(bytes32 model_id, bytes memory input, uint256 fee, uint256 tag)
        internal
        returns (uint256)
    {
        return _postWith(model_id, input, committee_size, quorum, new uint256[](0), fee, tag);
    }

    /// @notice Posts a task and remembers it; the market's own checks revert with its
    ///         reasons.
    function _postWith(
        bytes32 model_id,
        bytes memory input,
        uint8 committee_size_,
        uint8 quorum_,
        uint256[] memory parents,
        uint256 fee,
        uint256 tag
    ) internal returns (uint256 task_id) {
        require(tag <= MAX_TAG, "consumer: tag over 160 bits");
        require(fee <= address(this).balance, "consumer: fee over the contract's balance");
        task_id = market.createTask{value: fee}(model_id, input, committee_size_, quorum_, parents);
        // The market caps fees at 2**80 - 1: the fee fits its 88 bits.
        _requests[task_id] = (tag << TAG_SHIFT) | (fee << FEE_SHIFT) | STATE_POSTED;
        emit TaskPosted(task_id, model_id, fee, tag);
    }

    /// @notice Checks and marks the delivery of a task's output; returns its tag.
    function _accept(uint256 task_id, bytes calldata output) internal returns (uint256) {
        uint256 word = _requests[task_id];
        uint256 state = word & STATE_MASK;
        require(state != STATE_NONE, "consumer: task not posted by this contract");
        require(state != STATE_DELIVERED, "consumer: result already delivered");
        (uint8 phase, bytes32 result_hash) = market.taskResult(task_id);
        require(phase != PHASE_FAILED, "consumer: task failed");
        require(phase == PHASE_SUCCEEDED, "consumer: task not finalized");
        require(keccak256(output) == result_hash, "consumer: output does not match the result");
        _requests[task_id] = word ^ STATE_POSTED ^ STATE_DELIVERED;
        emit ResultDelivered(task_id, msg.sender, result_hash);
        return word >> TAG_SHIFT;
    }

    /// @notice Marks a failed task refunded, pulls the market's refunds and returns the
    ///         task's fee and tag; pass the fee on after your own state changes.
    function _refund(uint256 task_id) internal returns (uint256 fee, uint256 tag) {
        uint256 word = _requests[task_id];
        uint256 state = word & STATE_MASK;
        require(state != STATE_NONE, "consumer: task not posted by this contract");
        require(state != STATE_REFUNDED, "consumer: fee already refunded");
        (uint8 phase,) = market.taskResult(task_id);
        require(phase != PHASE_SUCCEEDED, "consumer: task succeeded");
        require(phase == PHASE_FAILED, "consumer: task not finalized");
        fee = (word >> FEE_SHIFT) & FEE_MASK;
        tag = word >> TAG_SHIFT;
        _requests[task_id] = word ^ STATE_POSTED ^ STATE_REFUNDED;
        emit TaskRefunded(task_id, fee, tag);
        _withdrawRefunds();
    }

    function _withdrawRefunds() private returns (uint256 amount) {
        amount = market.claimable(address(this));
        if (amount == 0) return 0;
        emit RefundsWithdrawn(amount);
        market.withdraw();
    }
}
