// SPDX-License-Identifier: AGPL-3.0-only
pragma solidity ^0.8.24;

/// @title ITaskMarket
/// @notice The agentnet TaskMarket (protocol v2), generated from its compiled Vyper ABI by
///         contracts/solidity/generate.py: do not edit by hand.
interface ITaskMarket {
    struct MemberView {
        address agent;
        uint8 seats;
        bool committed;
        bool revealed;
        bytes32 result_hash;
    }
    struct TaskView {
        address requester;
        bytes32 model_id;
        uint256 fee;
        uint8 committee_size;
        uint8 quorum;
        uint256[] parents;
        uint256 draw_block;
        uint256 params_version;
        uint256 commit_window;
        uint256 reveal_window;
        uint256 slash_missed;
        uint256 slash_wrong;
        MemberView[] members;
        uint256 start;
        uint256 commit_end;
        uint256 reveal_end;
        uint8 phase;
        bytes32 result_hash;
    }

    event AgreementProven(uint256 indexed task_id, address indexed agent, uint256 amount);
    event Committed(uint256 indexed task_id, address indexed agent);
    event DeferredSettled(uint256 indexed task_id, address indexed agent, uint256 amount);
    event MinFeeSet(uint256 min_fee_per_agent);
    event OwnershipTransferStarted(address indexed previous_owner, address indexed new_owner);
    event OwnershipTransferred(address indexed previous_owner, address indexed new_owner);
    event ParamsVersionAdded(uint256 indexed version, uint256 commit_window, uint256 reveal_window, uint256 slash_missed, uint256 slash_wrong);
    event Paused(address account);
    event Revealed(uint256 indexed task_id, address indexed agent, bytes32 result_hash);
    event SlashAmountsSet(uint256 slash_missed, uint256 slash_wrong);
    event SlashDeferred(uint256 indexed task_id, address indexed agent, uint256 seats, uint256 until);
    event SubmissionSkipped(uint256 indexed task_id, address indexed agent, uint8 reason);
    event TaskActivated(uint256 indexed task_id, address[] committee);
    event TaskCreated(uint256 indexed task_id, address indexed requester, bytes32 indexed model_id, uint256 fee, uint8 committee_size, uint8 quorum, bytes input, uint256[] parents, uint256 draw_block);
    event TaskFinalized(uint256 indexed task_id, uint8 status, bytes32 result_hash, bytes output);
    event TaskRedrawn(uint256 indexed task_id, uint256 draw_block);
    event TreasuryWithdrawn(address indexed receiver, uint256 amount);
    event Unpaused(address account);
    event WindowsSet(uint256 commit_window, uint256 reveal_window);
    event Withdrawn(address indexed account, address indexed receiver, uint256 amount);

    function accept_ownership() external;

    /// @notice Seats a waiting task's committee and opens its commit window.
    function activate(uint256 task_id) external;

    /// @notice ETH an account can withdraw (rewards and refunds).
    function claimable(address account) external view returns (uint256);

    /// @notice Commits to a result during the commit phase.
    function commit(uint256 task_id, bytes32 commitment) external;

    /// @notice Relays many signed commits, across tasks, in one transaction.
    function commitBatch(uint256[] calldata task_ids, address[] calldata agents, bytes32[] calldata commitments, bytes[] calldata signatures) external returns (uint256);

    /// @notice Commits on behalf of a member.
    function commitBySig(uint256 task_id, address agent, bytes32 commitment, bytes calldata signature) external;

    function commit_window() external view returns (uint256);

    /// @notice A task's committee: one entry per seat, in seat order (an agent holding two seats appears twice); empty before activation.
    function committeeOf(uint256 task_id) external view returns (address[] memory);

    /// @notice Posts an inference task.
    function createTask(bytes32 model_id, bytes calldata input, uint8 committee_size, uint8 quorum, uint256[] calldata parents) external payable returns (uint256);

    /// @notice When the dispute window of a member's deferred slash ends.
    function deferredSlashUntil(uint256 task_id, address agent) external view returns (uint256);

    function eip712Domain() external view returns (bytes1, string memory, string memory, uint256, address, bytes32, uint256[] memory);

    /// @notice Fees held for tasks not yet finalized, and the parts of fees held for members whose slash is deferred.
    function escrowed() external view returns (uint256);

    /// @notice Settles a task.
    function finalize(uint256 task_id, bytes calldata output) external;

    /// @notice Everything about a task.
    function getTask(uint256 task_id) external view returns (TaskView memory);

    function grace_period() external view returns (uint256);

    /// @notice What one agent holds and did on a task.
    function memberState(uint256 task_id, address agent) external view returns (uint8, bool, bool, bytes32);

    function min_fee_per_agent() external view returns (uint256);

    /// @notice Started, unfinalized tasks on whose committee an agent sits.
    function openTasks(address agent) external view returns (uint256);

    function owner() external view returns (address);

    function paramsAt(uint256 version) external view returns (uint256, uint256, uint256, uint256);

    function params_version() external view returns (uint256);

    /// @notice Pauses task creation.
    function pause() external;

    function paused() external view returns (bool);

    function pending_owner() external view returns (address);

    /// @notice The committee a task has, or will have when activated.
    function previewCommittee(uint256 task_id) external view returns (address[] memory);

    /// @notice Shows that a member whose slash was deferred agreed within its model's tolerance.
    function proveAgreement(uint256 task_id, address agent, bytes calldata output, bytes calldata member_output) external;

    function registry() external view returns (address);

    /// @notice An agent's record over finalized tasks.
    function reputation(address agent) external view returns (uint256, uint256, uint256);

    /// @notice Reveals a committed result during the reveal phase.
    function reveal(uint256 task_id, bytes32 result_hash, bytes32 salt) external;

    /// @notice Relays many signed reveals, across tasks, in one transaction.
    function revealBatch(uint256[] calldata task_ids, address[] calldata agents, bytes32[] calldata result_hashes, bytes32[] calldata salts, bytes[] calldata signatures) external returns (uint256);

    /// @notice Reveals on behalf of a member.
    function revealBySig(uint256 task_id, address agent, bytes32 result_hash, bytes32 salt, bytes calldata signature) external;

    function reveal_window() external view returns (uint256);

    /// @notice Sets the least fee per seat.
    function setMinFeePerAgent(uint256 min_fee_per_agent_) external;

    /// @notice Sets the slash amounts per seat.
    function setSlashAmounts(uint256 slash_missed_, uint256 slash_wrong_) external;

    /// @notice Sets the commit and reveal windows.
    function setWindows(uint256 commit_window_, uint256 reveal_window_) external;

    /// @notice Slashes a member whose deferred slash nobody disproved.
    function settleDeferred(uint256 task_id, address agent) external;

    function slash_missed() external view returns (uint256);

    function slash_wrong() external view returns (uint256);

    function staking() external view returns (address);

    /// @notice Where a task stands.
    function taskPhase(uint256 task_id) external view returns (uint8);

    /// @notice A task's phase and accepted result hash.
    function taskResult(uint256 task_id) external view returns (uint8, bytes32);

    /// @notice Number of tasks created; the last id.
    function task_count() external view returns (uint256);

    function transfer_ownership(address new_owner) external;

    function treasury_balance() external view returns (uint256);

    /// @notice Lifts the pause.
    function unpause() external;

    /// @notice Sends the caller its claimable balance (rewards and refunds).
    function withdraw() external;

    /// @notice Sends the caller's claimable balance to `receiver`.
    function withdrawTo(address receiver) external;

    /// @notice Sends fee remainders from the treasury.
    function withdrawTreasury(address receiver, uint256 amount) external;
}
