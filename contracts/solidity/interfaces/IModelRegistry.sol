// SPDX-License-Identifier: AGPL-3.0-only
pragma solidity ^0.8.24;

/// @title IModelRegistry
/// @notice The agentnet ModelRegistry (protocol v2), generated from its compiled Vyper ABI by
///         contracts/solidity/generate.py: do not edit by hand.
interface IModelRegistry {
    struct ModelInfo {
        address publisher;
        uint8 kind;
        uint8 status;
        uint256 index;
        string manifest_uri;
    }

    event ModelCorrected(bytes32 indexed model_id, address indexed publisher, uint8 kind, string manifest_uri);
    event ModelDeprecated(bytes32 indexed model_id, address indexed caller);
    event ModelRegistered(bytes32 indexed model_id, address indexed publisher, uint8 kind, string manifest_uri);
    event ModelReinstated(bytes32 indexed model_id);
    event ModelToleranceSet(bytes32 indexed model_id, uint8 tolerance);
    event OwnershipTransferStarted(address indexed previous_owner, address indexed new_owner);
    event OwnershipTransferred(address indexed previous_owner, address indexed new_owner);

    function accept_ownership() external;

    /// @notice A model's active flag and compact index.
    function activeIndex(bytes32 model_id) external view returns (bool, uint256);

    /// @notice A model's active flag, compact index and agreement rule.
    function activeIndexAndTolerance(bytes32 model_id) external view returns (bool, uint256);

    /// @notice Rewrites a model's publisher, kind and manifest URI.
    function correctModel(bytes32 model_id, address publisher, uint8 kind, string calldata manifest_uri) external;

    /// @notice Rewrites a model's agreement rule.
    function correctTolerance(bytes32 model_id, uint8 tolerance) external;

    /// @notice Deprecates a model: no new task, registration or model list may use it from now on.
    function deprecateModel(bytes32 model_id) external;

    /// @notice Whether two embedding outputs differ by at most `max_steps` int8 steps in every coordinate.
    function embeddingsWithin(bytes calldata output, bytes calldata other, uint256 max_steps) external pure returns (bool);

    /// @notice Whether a model is registered and not deprecated.
    function isActive(bytes32 model_id) external view returns (bool);

    function modelIdAt(uint256 arg0) external view returns (bytes32);

    /// @notice Everything the registry knows about a model.
    function modelInfo(bytes32 model_id) external view returns (ModelInfo memory);

    function model_count() external view returns (uint256);

    function owner() external view returns (address);

    function pending_owner() external view returns (address);

    /// @notice Registers a model package by its content hash.
    function registerModel(bytes32 model_id, uint8 kind, string calldata manifest_uri) external;

    /// @notice Registers a model package with its agreement rule.
    function registerModelWithTolerance(bytes32 model_id, uint8 kind, string calldata manifest_uri, uint8 tolerance) external;

    /// @notice Makes a deprecated model active again.
    function reinstateModel(bytes32 model_id) external;

    /// @notice A model's agreement rule.
    function toleranceOf(bytes32 model_id) external view returns (uint8);

    function transfer_ownership(address new_owner) external;
}
