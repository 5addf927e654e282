// SPDX-License-Identifier: AGPL-3.0-only
pragma solidity ^0.8.28;

// Compiled by tests/consumer/solc.py as test/CanonicalHarness.sol, beside contracts/solidity/.
import {AgentnetCanonical} from "../AgentnetCanonical.sol";

/// @title Test harness of AgentnetCanonical
/// @notice Exposes the library's internal functions with the names of CanonicalHarness.vy.
contract CanonicalHarness {
    /// @dev The baseline of the gas benchmark: a call that reads the same argument.
    function length(bytes calldata data) external pure returns (uint256) {
        return data.length;
    }

    function classificationIndex(bytes calldata output) external pure returns (uint256) {
        return AgentnetCanonical.classificationIndex(output);
    }

    function tryClassificationIndex(bytes calldata output) external pure returns (bool, uint256) {
        return AgentnetCanonical.tryClassificationIndex(output);
    }

    function isError(bytes calldata output) external pure returns (bool) {
        return AgentnetCanonical.isError(output);
    }

    function embeddingI8(bytes calldata output) external pure returns (bytes memory) {
        return AgentnetCanonical.embeddingI8(output);
    }

    function jsonSafe(bytes calldata text) external pure returns (bool) {
        return AgentnetCanonical.jsonSafe(text);
    }
}
