# pragma version ~=0.4.3
"""
@title Test harness of the canonical module
@license GNU Affero General Public License v3.0 only
@notice Exposes `contracts/consumer/canonical.vy`'s internal functions, so that
        the tests can compare them with the Python decoders and measure them.
"""

from contracts.consumer import canonical


@external
@pure
def length(data: Bytes[8_192]) -> uint256:
    """
    @dev The baseline of the gas benchmark: a call that reads the same argument.
    @notice The length of `data`.
    @param data Any bytes.
    @return uint256 Its length.
    """
    return len(data)


@external
@pure
def classificationIndex(output: Bytes[8_192]) -> uint256:
    """
    @notice `canonical._classification_index`.
    @param output A task output.
    @return uint256 The index.
    """
    return canonical._classification_index(output)


@external
@pure
def tryClassificationIndex(output: Bytes[8_192]) -> (bool, uint256):
    """
    @notice `canonical._try_classification_index`.
    @param output A task output.
    @return bool Whether it is a classification output.
    @return uint256 The index.
    """
    return canonical._try_classification_index(output)


@external
@pure
def isError(output: Bytes[8_192]) -> bool:
    """
    @notice `canonical._is_error`.
    @param output A task output.
    @return bool Whether it is an error output.
    """
    return canonical._is_error(output)


@external
@pure
def embeddingI8(output: Bytes[8_192]) -> Bytes[384]:
    """
    @notice `canonical._embedding_i8`.
    @param output A task output.
    @return Bytes The int8 values.
    """
    return canonical._embedding_i8(output)


@external
@pure
def jsonSafe(text: Bytes[4_096]) -> bool:
    """
    @notice `canonical._json_safe`.
    @param text Any bytes.
    @return bool Whether it may go into JSON unescaped.
    """
    return canonical._json_safe(text)
