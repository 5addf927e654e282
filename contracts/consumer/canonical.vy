# pragma version ~=0.4.3
"""
@title agentnet canonical outputs on chain
@custom:contract-name canonical
@license GNU Affero General Public License v3.0 only
@notice Reads agentnet's canonical outputs (PROTOCOL.md, Models: compact
        JSON, sorted keys) without a JSON parser, and checks text before it
        goes into a task input. A stateless module: `import` it and call
        its functions; no `initializes` needed.

        - `_classification_index(output)`: `i` of `{"index":i,"label":"..."}`.
        - `_is_error(output)`: whether the output is `{"error":"<code>"}`
          (the committee agreed the input was invalid).
        - `_embedding_i8(output)`: the 384 raw int8 bytes of
          `{"dim":384,"i8":"<base64>"}` (all-MiniLM-L6-v2's dimension).
        - `_json_safe(text)`: whether `text` can be put between two quotes
          in a JSON input as it is (no quote, backslash or control character).

        Every function reads 32 bytes at a time and works on whole words
        (SWAR: "SIMD within a register"), never byte by byte, so the cost
        hardly grows with the length: bench/consumer_gas.py measures it.
@custom:security The output of a finalized task is what a quorum of its
        committee revealed. A dishonest quorum could reveal anything, so
        these functions check the shape they read and never trust lengths
        in the data.
"""


MAX_OUTPUT: constant(uint256) = 8_192
MAX_INPUT: constant(uint256) = 4_096

# 0x0101...01 and 0x8080...80: one bit per byte of a word.
LOW_BITS: constant(uint256) = max_value(uint256) // 255
HIGH_BITS: constant(uint256) = LOW_BITS * 128

# Classification: `{"index":` + digits + `,"label":"` + label + `"}`.
INDEX_KEY: constant(uint256) = 2271429155513597174330  # {"index":
INDEX_KEY_LEN: constant(uint256) = 9
LABEL_KEY: constant(uint256) = 208419124176187096709666  # ,"label":"
LABEL_KEY_LEN: constant(uint256) = 10
MAX_INDEX_DIGITS: constant(uint256) = 10
# The shortest: {"index":0,"label":""}
MIN_CLASSIFICATION_LEN: constant(uint256) = 22
CLOSE: constant(uint256) = 8829  # "}

# Error: `{"error":"` + code + `"}`.
ERROR_KEY: constant(uint256) = 581485576722440643557922  # {"error":"
ERROR_KEY_LEN: constant(uint256) = 10

# Embedding: `{"dim":384,"i8":"` + 512 base64 characters + `"}`.
EMBEDDING_DIM: constant(uint256) = 384
EMBEDDING_KEY: constant(uint256) = 41900446251117442575825797608880291854882  # {"dim":384,"i8":"
EMBEDDING_KEY_LEN: constant(uint256) = 17
EMBEDDING_LEN: constant(uint256) = 531
# 32 characters decode to 24 bytes; 4 chunks of 32 fill 3 words.
EMBEDDING_GROUPS: constant(uint256) = 4

# Lane masks of the base64 packing: the upper half of each 16-, 32-, 64-
# and 128-bit lane, and the 256-bit word.
LANES_16: constant(uint256) = max_value(uint256) // (2**16 - 1) * (2**16 - 2**8)
LANES_32: constant(uint256) = max_value(uint256) // (2**32 - 1) * (2**32 - 2**16)
LANES_64: constant(uint256) = max_value(uint256) // (2**64 - 1) * (2**64 - 2**32)
LANES_128: constant(uint256) = max_value(uint256) // (2**128 - 1) * (2**128 - 2**64)
LANES_256: constant(uint256) = max_value(uint256) - (2**128 - 1)

# `_json_safe`: bytes that may not appear, and a harmless filler.
QUOTES: constant(uint256) = LOW_BITS * 34
BACKSLASHES: constant(uint256) = LOW_BITS * 92
FILLER: constant(uint256) = LOW_BITS * 65


@internal
@pure
def _classification_index(output: Bytes[MAX_OUTPUT]) -> uint256:
    """
    @notice The index of a classification output.
    @param output `{"index":i,"label":"..."}`.
    @return uint256 `i`: the position of the chosen label in the input's
            `labels`.
    """
    ok: bool = False
    index: uint256 = 0
    ok, index = self._try_classification_index(output)
    assert ok, "canonical: not a classification output"
    return index


@internal
@pure
def _try_classification_index(output: Bytes[MAX_OUTPUT]) -> (bool, uint256):
    """
    @dev Checks the keys, the digits (no leading zero) and the closing
         `"}`; the label itself is not read. An `{"error":...}` output or
         anything else gives `(False, 0)`.
    @notice The index of a classification output, if it is one.
    @param output The task's output.
    @return bool Whether `output` is a classification output.
    @return uint256 Its index (0 when it is not one).
    """
    n: uint256 = len(output)
    if n < MIN_CLASSIFICATION_LEN:
        return (False, 0)
    head: uint256 = 0
    tail: uint256 = 0
    head, tail = self._ends(output)
    if head >> (256 - 8 * INDEX_KEY_LEN) != INDEX_KEY:
        return (False, 0)
    index: uint256 = 0
    digits: uint256 = 0
    for i: uint256 in range(MAX_INDEX_DIGITS + 1):
        c: uint256 = (head >> (8 * (31 - INDEX_KEY_LEN - i))) & 255
        if c < 48 or c > 57:
            break
        index = index * 10 + c - 48
        digits += 1
    if digits == 0 or digits > MAX_INDEX_DIGITS or n < MIN_CLASSIFICATION_LEN - 1 + digits:
        return (False, 0)
    if digits > 1 and (head >> (8 * (31 - INDEX_KEY_LEN))) & 255 == 48:
        return (False, 0)  # a leading zero is not canonical
    label_end: uint256 = INDEX_KEY_LEN + digits + LABEL_KEY_LEN
    if (head >> (8 * (32 - label_end))) & (2**80 - 1) != LABEL_KEY:
        return (False, 0)
    if tail & 65_535 != CLOSE:
        return (False, 0)
    return (True, index)


@internal
@pure
def _is_error(output: Bytes[MAX_OUTPUT]) -> bool:
    """
    @dev A committee that found the input invalid agrees on this output;
         the task succeeds and its fee is spent.
    @notice Whether an output is `{"error":"<code>"}`.
    @param output The task's output.
    @return bool Whether it is an error output.
    """
    if len(output) < ERROR_KEY_LEN + 2:
        return False
    head: uint256 = 0
    tail: uint256 = 0
    head, tail = self._ends(output)
    return head >> (256 - 8 * ERROR_KEY_LEN) == ERROR_KEY and tail & 65_535 == CLOSE


@internal
@pure
def _embedding_i8(output: Bytes[MAX_OUTPUT]) -> Bytes[EMBEDDING_DIM]:
    """
    @dev Decodes the 512 base64 characters 32 at a time: each word of
         characters is mapped to 6-bit values by range masks and packed to
         24 bytes by five shift-and-mask steps. Reverts on any character
         outside the base64 alphabet.
    @notice The raw int8 values of a 384-d embedding output.
    @param output `{"dim":384,"i8":"<base64>"}`.
    @return Bytes The 384 bytes; byte k is round(127 * x_k) as int8
            (two's complement) of the L2-normalized vector.
    """
    assert len(output) == EMBEDDING_LEN, "canonical: not a 384-d embedding output"
    assert convert(extract32(output, 0), uint256) >> (256 - 8 * EMBEDDING_KEY_LEN) == (
        EMBEDDING_KEY
    ), "canonical: not a 384-d embedding output"
    assert convert(extract32(output, EMBEDDING_LEN - 32), uint256) & 65_535 == CLOSE, (
        "canonical: not a 384-d embedding output"
    )
    words: uint256[12] = empty(uint256[12])
    for g: uint256 in range(EMBEDDING_GROUPS):
        start: uint256 = EMBEDDING_KEY_LEN + 128 * g
        a: uint256 = self._base64_word(extract32(output, start))
        b: uint256 = self._base64_word(extract32(output, start + 32))
        c: uint256 = self._base64_word(extract32(output, start + 64))
        d: uint256 = self._base64_word(extract32(output, start + 96))
        # Four 24-byte pieces make three 32-byte words (`<<` drops the
        # bits shifted out).
        words[3 * g] = (a << 64) | (b >> 128)
        words[3 * g + 1] = (b << 128) | (c >> 64)
        words[3 * g + 2] = (c << 192) | d
    return concat(
        convert(words[0], bytes32),
        convert(words[1], bytes32),
        convert(words[2], bytes32),
        convert(words[3], bytes32),
        convert(words[4], bytes32),
        convert(words[5], bytes32),
        convert(words[6], bytes32),
        convert(words[7], bytes32),
        convert(words[8], bytes32),
        convert(words[9], bytes32),
        convert(words[10], bytes32),
        convert(words[11], bytes32),
    )


@internal
@pure
def _json_safe(text: Bytes[MAX_INPUT]) -> bool:
    """
    @dev With this, `concat('{"text":"', text, '"}')` is valid JSON whose
         `text` is exactly `text`: no byte can close the string, start an
         escape or be a raw control character. Non-ASCII UTF-8 passes (the
         workers check UTF-8 and answer `{"error":"bad_utf8"}` otherwise).
    @notice Whether text may go between quotes in a JSON input unescaped.
    @param text The text.
    @return bool False if it holds a quote, a backslash or a byte below 0x20.
    """
    n: uint256 = len(text)
    if n == 0:
        return True
    if n < 32:
        word: uint256 = convert(convert(convert(text, Bytes[32]), bytes32), uint256)
        padding: uint256 = (1 << (8 * (32 - n))) - 1
        return self._safe_word(word | (FILLER & padding))
    for i: uint256 in range(n // 32, bound=MAX_INPUT // 32):
        if not self._safe_word(convert(extract32(text, 32 * i), uint256)):
            return False
    # The last, partial word overlaps the one before it.
    return n % 32 == 0 or self._safe_word(convert(extract32(text, n - 32), uint256))


@internal
@pure
def _ends(data: Bytes[MAX_OUTPUT]) -> (uint256, uint256):
    """
    @dev One call for both ends: an internal call copies its `Bytes`
         argument into a frame of its own.
    @notice The first and the last 32 bytes of `data`.
    @param data Any bytes.
    @return uint256 The first 32 (byte 0 on top; zero-padded on the right
            when `data` is shorter).
    @return uint256 The last 32 (the last byte lowest; fewer when shorter).
    """
    n: uint256 = len(data)
    if n >= 32:
        return (convert(extract32(data, 0), uint256), convert(extract32(data, n - 32), uint256))
    head: uint256 = convert(convert(convert(data, Bytes[32]), bytes32), uint256)
    return (head, head >> (8 * (32 - n)))


@internal
@pure
def _safe_word(word: uint256) -> bool:
    """
    @notice Whether 32 bytes hold no quote, backslash or control character.
    @param word 32 bytes.
    @return bool Whether all are safe.
    """
    # The classic "has less" test, `(x - k * 0x01..01) & ~x & 0x80..80`, is
    # exact as a yes/no answer for k <= 0x80 (a borrow starts only at a byte
    # below k): a byte below 0x20, or a zero byte once `"` or `\` is XORed
    # to zero.
    quotes: uint256 = word ^ QUOTES
    backslashes: uint256 = word ^ BACKSLASHES
    found: uint256 = (
        (unsafe_sub(word, 32 * LOW_BITS) & ~word)
        | (unsafe_sub(quotes, LOW_BITS) & ~quotes)
        | (unsafe_sub(backslashes, LOW_BITS) & ~backslashes)
    )
    return found & HIGH_BITS == 0


@internal
@pure
def _base64_word(chunk: bytes32) -> uint256:
    """
    @dev Each character maps to its 6-bit value through masks of its
         range (A-Z, a-z, 0-9, +, /); then pairs of lanes merge, doubling
         the lane width five times, until 32 values of 6 bits sit in the
         low 192 bits.
    @notice Decodes 32 base64 characters.
    @param chunk 32 characters of the standard alphabet.
    @return uint256 The 24 decoded bytes, right-aligned.
    """
    word: uint256 = convert(chunk, uint256)
    assert word & HIGH_BITS == 0, "canonical: not a 384-d embedding output"
    # Bytes >= k get 0x80: setting each byte's top bit first (all are below
    # 0x80, and k <= 0x80) means no byte borrows from the next. Written out
    # rather than called: an internal call costs more than the arithmetic.
    high: uint256 = word | HIGH_BITS
    at_43: uint256 = (high - 43 * LOW_BITS) & HIGH_BITS
    at_44: uint256 = (high - 44 * LOW_BITS) & HIGH_BITS
    at_47: uint256 = (high - 47 * LOW_BITS) & HIGH_BITS
    at_48: uint256 = (high - 48 * LOW_BITS) & HIGH_BITS
    at_58: uint256 = (high - 58 * LOW_BITS) & HIGH_BITS
    at_65: uint256 = (high - 65 * LOW_BITS) & HIGH_BITS
    at_91: uint256 = (high - 91 * LOW_BITS) & HIGH_BITS
    at_97: uint256 = (high - 97 * LOW_BITS) & HIGH_BITS
    at_123: uint256 = (high - 123 * LOW_BITS) & HIGH_BITS
    upper: uint256 = at_65 ^ at_91
    lower: uint256 = at_97 ^ at_123
    digit: uint256 = at_48 ^ at_58
    slash: uint256 = at_47 ^ at_48
    plus: uint256 = at_43 ^ at_44
    assert upper | lower | digit | slash | plus == HIGH_BITS, (
        "canonical: not a 384-d embedding output"
    )
    # 0x80 marks -> 0xff byte masks.
    upper = (upper >> 7) * 255
    lower = (lower >> 7) * 255
    digit = (digit >> 7) * 255
    slash = (slash >> 7) * 255
    plus = (plus >> 7) * 255
    # 'A' -> 0, 'a' -> 26, '0' -> 52, '+' -> 62, '/' -> 63; no byte borrows
    # or carries, since every byte's result lies in 0..63.
    values: uint256 = (
        (word & upper)
        - (65 * LOW_BITS & upper)
        + (word & lower)
        - (71 * LOW_BITS & lower)
        + (word & digit)
        + (4 * LOW_BITS & digit)
        + (62 * LOW_BITS & plus)
        + (63 * LOW_BITS & slash)
    )
    values = ((values & LANES_16) >> 2) | (values & ~LANES_16)
    values = ((values & LANES_32) >> 4) | (values & ~LANES_32)
    values = ((values & LANES_64) >> 8) | (values & ~LANES_64)
    values = ((values & LANES_128) >> 16) | (values & ~LANES_128)
    return ((values & LANES_256) >> 32) | (values & ~LANES_256)
