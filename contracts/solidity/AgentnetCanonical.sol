// SPDX-License-Identifier: AGPL-3.0-only
pragma solidity ^0.8.28;

/// @title AgentnetCanonical
/// @notice Reads agentnet's canonical outputs (PROTOCOL.md, Models: compact JSON, sorted
///         keys) without a JSON parser, and checks text before it goes into a task input.
///         The Solidity twin of contracts/consumer/canonical.vy: the same checks, 32 bytes
///         at a time (SWAR), never byte by byte.
/// @dev A dishonest quorum could reveal anything: every function checks the shape it reads.
library AgentnetCanonical {
    // Constants are literals: the legacy code generator evaluates a constant expression
    // such as `type(uint256).max / 255` again, checked, wherever it is used.
    // One bit (0x01), the top bit (0x80) of each byte:
    uint256 private constant LOW_BITS = 0x0101010101010101010101010101010101010101010101010101010101010101;
    uint256 private constant HIGH_BITS = 0x8080808080808080808080808080808080808080808080808080808080808080;

    uint256 private constant INDEX_KEY = 0x7b22696e646578223a; // {"index":
    uint256 private constant INDEX_KEY_LEN = 9;
    uint256 private constant LABEL_KEY = 0x2c226c6162656c223a22; // ,"label":"
    uint256 private constant LABEL_KEY_LEN = 10;
    uint256 private constant MAX_INDEX_DIGITS = 10;
    uint256 private constant MIN_CLASSIFICATION_LEN = 22; // {"index":0,"label":""}
    uint256 private constant CLOSE = 0x227d; // "}
    uint256 private constant ERROR_KEY = 0x7b226572726f72223a22; // {"error":"
    uint256 private constant ERROR_KEY_LEN = 10;
    uint256 private constant EMBEDDING_KEY = 0x7b2264696d223a3338342c226938223a22; // {"dim":384,"i8":"
    uint256 private constant EMBEDDING_KEY_LEN = 17;
    uint256 private constant EMBEDDING_LEN = 531;
    uint256 private constant EMBEDDING_DIM = 384;

    // The upper half of each 16-, 32-, 64- and 128-bit lane, and of the word:
    uint256 private constant LANES_16 = 0xff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00;
    uint256 private constant LANES_32 = 0xffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000;
    uint256 private constant LANES_64 = 0xffffffff00000000ffffffff00000000ffffffff00000000ffffffff00000000;
    uint256 private constant LANES_128 = 0xffffffffffffffff0000000000000000ffffffffffffffff0000000000000000;
    uint256 private constant LANES_256 = 0xffffffffffffffffffffffffffffffff00000000000000000000000000000000;

    // A double quote, a backslash and a harmless filler in every byte:
    uint256 private constant QUOTES = 0x2222222222222222222222222222222222222222222222222222222222222222;
    uint256 private constant BACKSLASHES = 0x5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c;
    uint256 private constant FILLER = 0x4141414141414141414141414141414141414141414141414141414141414141;

    /// @notice `i` of a classification output `{"index":i,"label":"..."}`.
    function classificationIndex(bytes memory output) internal pure returns (uint256) {
        (bool ok, uint256 index) = tryClassificationIndex(output);
        require(ok, "canonical: not a classification output");
        return index;
    }

    /// @notice `(true, i)` for a classification output, `(false, 0)` for anything else
    ///         (an `{"error":...}` output included).
    function tryClassificationIndex(bytes memory output) internal pure returns (bool, uint256) {
        uint256 n = output.length;
        if (n < MIN_CLASSIFICATION_LEN) return (false, 0);
        uint256 head = _head(output);
        if (head >> (256 - 8 * INDEX_KEY_LEN) != INDEX_KEY) return (false, 0);
        uint256 index;
        uint256 digits;
        for (uint256 i = 0; i <= MAX_INDEX_DIGITS; i++) {
            uint256 c = (head >> (8 * (31 - INDEX_KEY_LEN - i))) & 255;
            if (c < 48 || c > 57) break;
            index = index * 10 + c - 48;
            digits++;
        }
        if (digits == 0 || digits > MAX_INDEX_DIGITS || n < MIN_CLASSIFICATION_LEN - 1 + digits) {
            return (false, 0);
        }
        if (digits > 1 && (head >> (8 * (31 - INDEX_KEY_LEN))) & 255 == 48) return (false, 0);
        uint256 labelEnd = INDEX_KEY_LEN + digits + LABEL_KEY_LEN;
        if ((head >> (8 * (32 - labelEnd))) & (2 ** 80 - 1) != LABEL_KEY) return (false, 0);
        if (_tail(output) & 0xffff != CLOSE) return (false, 0);
        return (true, index);
    }

    /// @notice Whether an output is `{"error":"<code>"}` (the committee found the input
    ///         invalid; the task succeeded and its fee is spent).
    function isError(bytes memory output) internal pure returns (bool) {
        if (output.length < ERROR_KEY_LEN + 2) return false;
        return _head(output) >> (256 - 8 * ERROR_KEY_LEN) == ERROR_KEY
            && _tail(output) & 0xffff == CLOSE;
    }

    /// @notice Whether `text` can go between two quotes in a JSON input unescaped: no `"`,
    ///         no `\`, no byte below 0x20 (non-ASCII UTF-8 passes).
    function jsonSafe(bytes memory text) internal pure returns (bool) {
        uint256 n = text.length;
        if (n == 0) return true;
        if (n < 32) {
            uint256 padding = (uint256(1) << (8 * (32 - n))) - 1;
            return _safeWord((_load(text, 0) & ~padding) | (FILLER & padding));
        }
        unchecked {
            for (uint256 offset = 0; offset + 32 <= n; offset += 32) {
                if (!_safeWord(_load(text, offset))) return false;
            }
        }
        // The last, partial word overlaps the one before it.
        return n % 32 == 0 || _safeWord(_load(text, n - 32));
    }

    /// @notice The 384 raw int8 values of a 384-d embedding output
    ///         `{"dim":384,"i8":"<base64>"}`: byte k is round(127 * x_k) of the unit vector.
    function embeddingI8(bytes memory output) internal pure returns (bytes memory raw) {
        require(
            output.length == EMBEDDING_LEN
                && _load(output, 0) >> (256 - 8 * EMBEDDING_KEY_LEN) == EMBEDDING_KEY
                && _load(output, EMBEDDING_LEN - 32) & 0xffff == CLOSE,
            "canonical: not a 384-d embedding output"
        );
        raw = new bytes(EMBEDDING_DIM);
        for (uint256 g = 0; g < 4; g++) {
            uint256 start = EMBEDDING_KEY_LEN + 128 * g;
            uint256 a = _base64Word(_load(output, start));
            uint256 b = _base64Word(_load(output, start + 32));
            uint256 c = _base64Word(_load(output, start + 64));
            uint256 d = _base64Word(_load(output, start + 96));
            uint256 w0 = (a << 64) | (b >> 128);
            uint256 w1 = (b << 128) | (c >> 64);
            uint256 w2 = (c << 192) | d;
            assembly {
                let p := add(add(raw, 32), mul(96, g))
                mstore(p, w0)
                mstore(add(p, 32), w1)
                mstore(add(p, 64), w2)
            }
        }
    }

    function _load(bytes memory data, uint256 offset) private pure returns (uint256 word) {
        assembly {
            word := mload(add(add(data, 32), offset))
        }
    }

    /// @dev The first 32 bytes, zero-padded (memory past the end is not zero).
    function _head(bytes memory data) private pure returns (uint256 word) {
        word = _load(data, 0);
        if (data.length < 32) word &= ~((uint256(1) << (8 * (32 - data.length))) - 1);
    }

    /// @dev The last 32 bytes, the last byte lowest (fewer when shorter).
    function _tail(bytes memory data) private pure returns (uint256) {
        uint256 n = data.length;
        if (n >= 32) return _load(data, n - 32);
        return _head(data) >> (8 * (32 - n));
    }

    /// @dev 0x80 in each byte >= k (bytes below 0x80, k <= 0x80: no borrows).
    function _atLeast(uint256 word, uint256 k) private pure returns (uint256) {
        unchecked {
            return ((word | HIGH_BITS) - k * LOW_BITS) & HIGH_BITS;
        }
    }

    /// @dev No `"`, `\` or byte below 0x20: the "has less" test,
    ///      `(x - k * 0x01..01) & ~x & 0x80..80`, is exact as a yes/no answer for k <= 0x80
    ///      (a borrow starts only at a byte below k); `"` and `\` are XORed to zero first.
    function _safeWord(uint256 word) private pure returns (bool) {
        unchecked {
            uint256 quotes = word ^ QUOTES;
            uint256 backslashes = word ^ BACKSLASHES;
            uint256 found = ((word - 32 * LOW_BITS) & ~word) | ((quotes - LOW_BITS) & ~quotes)
                | ((backslashes - LOW_BITS) & ~backslashes);
            return found & HIGH_BITS == 0;
        }
    }

    /// @dev 32 base64 characters -> 24 bytes, right-aligned: range masks map each
    ///      character to its 6-bit value, then pairs of lanes merge five times.
    function _base64Word(uint256 word) private pure returns (uint256 values) {
        require(word & HIGH_BITS == 0, "canonical: not a 384-d embedding output");
        uint256 upper = _atLeast(word, 65) ^ _atLeast(word, 91);
        uint256 lower = _atLeast(word, 97) ^ _atLeast(word, 123);
        uint256 digit = _atLeast(word, 48) ^ _atLeast(word, 58);
        uint256 slash = _atLeast(word, 47) ^ _atLeast(word, 48);
        uint256 plus = _atLeast(word, 43) ^ _atLeast(word, 44);
        require(
            upper | lower | digit | slash | plus == HIGH_BITS,
            "canonical: not a 384-d embedding output"
        );
        unchecked {
            upper = (upper >> 7) * 255;
            lower = (lower >> 7) * 255;
            digit = (digit >> 7) * 255;
            slash = (slash >> 7) * 255;
            plus = (plus >> 7) * 255;
        }
        unchecked {
            // Every byte's result lies in 0..63: no borrows or carries between bytes.
            values = (word & upper) - (65 * LOW_BITS & upper) + (word & lower)
                - (71 * LOW_BITS & lower) + (word & digit) + (4 * LOW_BITS & digit)
                + (62 * LOW_BITS & plus) + (63 * LOW_BITS & slash);
        }
        values = ((values & LANES_16) >> 2) | (values & ~LANES_16);
        values = ((values & LANES_32) >> 4) | (values & ~LANES_32);
        values = ((values & LANES_64) >> 8) | (values & ~LANES_64);
        values = ((values & LANES_128) >> 16) | (values & ~LANES_128);
        values = ((values & LANES_256) >> 32) | (values & ~LANES_256);
    }
}
