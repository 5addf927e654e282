// SPDX-License-Identifier: AGPL-3.0-only
pragma solidity ^0.8.24;

/// @title IAgentStaking
/// @notice The agentnet AgentStaking (protocol v2), generated from its compiled Vyper ABI by
///         contracts/solidity/generate.py: do not edit by hand.
interface IAgentStaking {
    struct AgentView {
        address signer;
        uint8 status;
        uint256 stake;
        uint256 pending_unstake;
        uint256 unbond_at;
        uint256 unbond_epoch;
        uint256 weight;
        bytes32[] models;
        string endpoint;
        uint256 agreed;
        uint256 disagreed;
        uint256 missed;
    }

    event AgentRegistered(address indexed agent, address indexed signer, uint256 stake);
    event Deregistered(address indexed agent);
    event EndpointSet(address indexed agent, string endpoint);
    event MarketSet(address indexed market);
    event MinStakeSet(uint256 min_stake);
    event ModelsSet(address indexed agent, bytes32[] models);
    event OwnershipTransferStarted(address indexed previous_owner, address indexed new_owner);
    event OwnershipTransferred(address indexed previous_owner, address indexed new_owner);
    event Paused(address account);
    event SignerChanged(address indexed agent, address indexed old_signer, address indexed new_signer);
    event Slashed(address indexed agent, uint256 indexed task_id, uint256 amount, uint8 reason);
    event StakeAdded(address indexed agent, uint256 amount, uint256 stake);
    event StakeWithdrawn(address indexed agent, uint256 amount, uint256 stake);
    event TreasuryWithdrawn(address indexed receiver, uint256 amount);
    event UnbondingPeriodSet(uint256 unbonding_period);
    event Unpaused(address account);
    event UnstakeRequested(address indexed agent, uint256 amount, uint256 pending_unstake, uint256 unbond_at);
    event WeightChanged(address indexed agent, bytes32 indexed model_id, uint256 weight, uint256 leaf);

    function accept_ownership() external;

    /// @notice Adds `msg.value` to the caller's stake.
    function addStake() external payable;

    /// @notice Everything about an agent in one call.
    function agentInfo(address agent) external view returns (AgentView memory);

    /// @notice The agent a signer key belongs to.
    function agentOfSigner(address signer) external view returns (address);

    function agentsForModel(bytes32 model_id) external view returns (address[] memory);

    function currentEpoch() external view returns (uint256);

    /// @notice Retires the caller's agent.
    function deregister() external;

    function drawCommittee(bytes32 model_id, uint256 size, bytes32 seed, uint256 epoch) external view returns (address[] memory);

    function drawWeights(bytes32 model_id, uint256 epoch) external view returns (address[] memory, uint256[] memory);

    function eligibleCount(bytes32 model_id) external view returns (uint256);

    /// @notice An agent's public endpoint.
    function endpointOf(address agent) external view returns (string memory);

    function epochBlocks() external pure returns (uint256);

    function leafStats(bytes32 model_id) external view returns (uint256, uint256, uint256);

    function market() external view returns (address);

    function min_stake() external view returns (uint256);

    /// @notice The models an agent lists.
    function modelsOf(address agent) external view returns (bytes32[] memory);

    function owner() external view returns (address);

    /// @notice Pauses new stake and registrations.
    function pause() external;

    function paused() external view returns (bool);

    /// @notice Stake an agent asked to take out.
    function pendingUnstakeOf(address agent) external view returns (uint256);

    function pending_owner() external view returns (address);

    /// @notice Recomputes an agent's weight in every model it serves.
    function poke(address agent) external;

    /// @notice Registers an agent with its hot signer key, the models it serves and an optional public endpoint, staking `msg.value`.
    function register(address signer, bytes32[] calldata models, string calldata endpoint) external payable;

    function registry() external view returns (address);

    /// @notice An agent's record over finalized tasks (one count per task, whatever its seats).
    function reputation(address agent) external view returns (uint256, uint256, uint256);

    /// @notice Asks to take `amount` of the caller's stake out.
    function requestUnstake(uint256 amount) external;

    /// @notice The agent a caller acts for: itself when it is an agent owner, the agent it signs for when it is a signer, else zero.
    function resolveAgent(address caller) external view returns (address);

    /// @notice Sets the public URL of the caller's worker.
    function setEndpoint(string calldata endpoint) external;

    /// @notice Wires the TaskMarket that may slash and whose open tasks lock stake.
    function setMarket(address market_) external;

    /// @notice Sets the least stake of an eligible agent.
    function setMinStake(uint256 min_stake_) external;

    /// @notice Replaces the list of models the caller serves.
    function setModels(bytes32[] calldata models) external;

    /// @notice Replaces the caller's signer key.
    function setSigner(address signer) external;

    /// @notice Sets the unbonding period.
    function setUnbondingPeriod(uint256 unbonding_period_) external;

    /// @notice An agent's signer key.
    function signerOf(address agent) external view returns (address);

    /// @notice Slashes an agent for a task.
    function slash(address agent, uint256 amount, uint256 task_id, uint8 reason) external returns (uint256);

    /// @notice An agent's stake, pending unstake included.
    function stakeOf(address agent) external view returns (uint256);

    /// @notice An agent's status.
    function statusOf(address agent) external view returns (uint8);

    function totalWeight(bytes32 model_id) external view returns (uint256);

    function totalWeightAt(bytes32 model_id, uint256 epoch) external view returns (uint256);

    function total_staked() external view returns (uint256);

    function transfer_ownership(address new_owner) external;

    function treasury_balance() external view returns (uint256);

    /// @notice When an agent's pending unstake can be withdrawn, by time.
    function unbondAt(address agent) external view returns (uint256);

    function unbonding_period() external view returns (uint256);

    /// @notice Lifts the pause.
    function unpause() external;

    function weightAt(address agent, bytes32 model_id, uint256 epoch) external view returns (uint256);

    function weightOf(address agent, bytes32 model_id) external view returns (uint256);

    /// @notice Sends the caller its pending unstake.
    function withdrawStake() external;

    /// @notice Sends slashed ETH from the treasury.
    function withdrawTreasury(address receiver, uint256 amount) external;

    /// @notice The first epoch in which an agent's pending unstake no longer counts in any draw.
    function withdrawableFromEpoch(address agent) external view returns (uint256);
}
