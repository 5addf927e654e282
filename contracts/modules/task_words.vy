# pragma version ~=0.4.3
"""
@title Packed words of the TaskMarket
@custom:contract-name task_words
@license GNU Affero General Public License v3.0 only
@notice Pure helpers that pack and read every field of the TaskMarket's
        packed storage words, so that no call site shifts or masks by hand.

        Terms word (fixed at creation, read at finalize and by views):
        requester (bits 0-159) | fee (160-239).

        Progress word (everything commits, reveals and activation need, so
        that they read one word of the task): model index (0-23) | the
        model's tolerance (24-31; 0 exact, else max int8 steps) | parameter
        version (32-55) | draw block (56-91) | start (92-127) | commit length
        (128-144) | reveal window (145-161) | committee size (162-166) |
        quorum (167-171) | parent count (172-175) | member count (176-180) |
        committed member bitmap (181-196) | revealed member bitmap (197-212) |
        winning member + 1 (213-217) | status (218-219) | block of
        finalization (220-255). The windows are copied from the task's
        parameter version at creation; the commit phase ends at `start +
        commit length`, and the last member's commit shortens the length to
        the time elapsed since the start. Times and blocks take 36 bits
        (unix time until the year 4147, 6.8e10 blocks).

        Ledger word of an account: claimable wei (0-111) | open tasks
        (112-143) | agreed (144-175) | disagreed (176-207) | missed
        (208-239).

        Counters word: task count (0-63) | escrowed fees (64-255); the
        escrow includes the shares held for members whose slash is deferred.

        Dispute word of a succeeded task of a tolerant model (0 otherwise):
        the seats of each member whose slash is deferred (4 bits per member,
        0-63; 0 for the others and once resolved) | end of the dispute
        window (64-99) | share per agreeing seat (100-179).

        Committee words of a task: a bit string of the distinct members'
        addresses (160 bits each, in the order of their first seat) followed
        by the seat map (4 bits per seat: the index of the member holding
        it), over as many words as it takes (2 for a committee of three).
        Members come first so that finding one needs neither the committee
        size nor the seat map.
"""

from . import constants


# Terms word.
ADDRESS_MASK: constant(uint256) = 2**160 - 1
FEE_MASK: constant(uint256) = 2**80 - 1
FEE_SHIFT: constant(uint256) = 160
MASK5: constant(uint256) = 2**5 - 1
MASK4: constant(uint256) = 2**4 - 1

# Progress word.
MODEL_MASK: constant(uint256) = 2**24 - 1
TOLERANCE_SHIFT: constant(uint256) = 24
MASK8: constant(uint256) = 2**8 - 1
VERSION_SHIFT: constant(uint256) = 32
VERSION_MASK: constant(uint256) = 2**24 - 1
DRAW_SHIFT: constant(uint256) = 56
BLOCK_MASK: constant(uint256) = 2**36 - 1
START_SHIFT: constant(uint256) = 92
TIME_MASK: constant(uint256) = 2**36 - 1
COMMIT_LEN_SHIFT: constant(uint256) = 128
REVEAL_WINDOW_SHIFT: constant(uint256) = 145
WINDOW_MASK: constant(uint256) = 2**17 - 1
SIZE_SHIFT: constant(uint256) = 162
QUORUM_SHIFT: constant(uint256) = 167
PARENTS_SHIFT: constant(uint256) = 172
MEMBERS_SHIFT: constant(uint256) = 176
COMMITTED_SHIFT: constant(uint256) = 181
REVEALED_SHIFT: constant(uint256) = 197
BITMAP_MASK: constant(uint256) = 2**16 - 1
WINNER_SHIFT: constant(uint256) = 213
STATUS_SHIFT: constant(uint256) = 218
STATUS_MASK: constant(uint256) = 2**2 - 1
FINAL_BLOCK_SHIFT: constant(uint256) = 220

# Stored status (as `TaskFinalized.status`; 0 while open).
STATUS_OPEN: constant(uint256) = 0
STATUS_SUCCEEDED: constant(uint256) = 1
STATUS_FAILED: constant(uint256) = 2

# Ledger word.
CLAIMABLE_MASK: constant(uint256) = 2**112 - 1
COUNTER_MASK: constant(uint256) = 2**32 - 1
OPEN_SHIFT: constant(uint256) = 112
AGREED_SHIFT: constant(uint256) = 144
DISAGREED_SHIFT: constant(uint256) = 176
MISSED_SHIFT: constant(uint256) = 208
ONE_OPEN: constant(uint256) = 1 << OPEN_SHIFT
ONE_AGREED: constant(uint256) = 1 << AGREED_SHIFT
ONE_DISAGREED: constant(uint256) = 1 << DISAGREED_SHIFT
ONE_MISSED: constant(uint256) = 1 << MISSED_SHIFT

# Dispute word (a deferred member holds at most 7 seats: 4 bits).
UNTIL_SHIFT: constant(uint256) = 64
SHARE_SHIFT: constant(uint256) = 100

# Counters word.
COUNT_MASK: constant(uint256) = 2**64 - 1
ESCROW_SHIFT: constant(uint256) = 64

# Committee words: 4 bits of seat map per seat, then 160 bits per member.
SEAT_BITS: constant(uint256) = 4
MEMBER_BITS: constant(uint256) = 160
# ceil((16 * 4 + 16 * 160) / 256)
MAX_COMMITTEE_WORDS: constant(uint256) = 11


# ---------------------------------------------------------------- terms


@internal
@pure
def _pack_terms(requester: address, fee: uint256) -> uint256:
    """
    @notice Packs a terms word.
    @param requester The requester.
    @param fee Wei, below 2**80.
    @return uint256 The terms word.
    """
    return convert(requester, uint256) | (fee << FEE_SHIFT)


@internal
@pure
def _requester(terms: uint256) -> address:
    """
    @notice The requester of a terms word.
    @param terms The terms word.
    @return address The requester.
    """
    return convert(convert(terms & ADDRESS_MASK, uint160), address)


@internal
@pure
def _fee(terms: uint256) -> uint256:
    """
    @notice The fee of a terms word.
    @param terms The terms word.
    @return uint256 Wei.
    """
    return (terms >> FEE_SHIFT) & FEE_MASK


# ---------------------------------------------------------------- progress


@internal
@pure
def _pack_progress(
    model_index: uint256,
    version: uint256,
    draw_block: uint256,
    commit_window: uint256,
    reveal_window: uint256,
    size: uint256,
    quorum: uint256,
    parents: uint256,
) -> uint256:
    """
    @notice The progress word of a task just created.
    @param model_index The model's registry index | its tolerance << 24
           (as `ModelRegistry.activeIndexAndTolerance` returns it).
    @param version The parameter version.
    @param draw_block The draw block.
    @param commit_window Seconds, from the version.
    @param reveal_window Seconds, from the version.
    @param size Seats, 1 to 16.
    @param quorum Seats that must agree.
    @param parents Number of parent tasks, at most 8.
    @return uint256 The progress word.
    """
    return (
        model_index
        | (version << VERSION_SHIFT)
        | (draw_block << DRAW_SHIFT)
        | (commit_window << COMMIT_LEN_SHIFT)
        | (reveal_window << REVEAL_WINDOW_SHIFT)
        | (size << SIZE_SHIFT)
        | (quorum << QUORUM_SHIFT)
        | (parents << PARENTS_SHIFT)
    )


@internal
@pure
def _size(progress: uint256) -> uint256:
    """
    @notice The committee size (seats).
    @param progress The progress word.
    @return uint256 Seats.
    """
    return (progress >> SIZE_SHIFT) & MASK5


@internal
@pure
def _quorum(progress: uint256) -> uint256:
    """
    @notice The quorum (seats).
    @param progress The progress word.
    @return uint256 Seats.
    """
    return (progress >> QUORUM_SHIFT) & MASK5


@internal
@pure
def _parent_count(progress: uint256) -> uint256:
    """
    @notice The number of parents.
    @param progress The progress word.
    @return uint256 The count.
    """
    return (progress >> PARENTS_SHIFT) & MASK4


@internal
@pure
def _model_index(progress: uint256) -> uint256:
    """
    @notice The model index of a progress word.
    @param progress The progress word.
    @return uint256 The registry index.
    """
    return progress & MODEL_MASK


@internal
@pure
def _tolerance(progress: uint256) -> uint256:
    """
    @notice The agreement rule a task snapshotted from its model.
    @param progress The progress word.
    @return uint256 0 exact, else the most int8 steps a member's embedding
            may differ from the accepted one in every coordinate.
    """
    return (progress >> TOLERANCE_SHIFT) & MASK8


@internal
@pure
def _params_version(progress: uint256) -> uint256:
    """
    @notice The parameter version of a progress word.
    @param progress The progress word.
    @return uint256 The version.
    """
    return (progress >> VERSION_SHIFT) & VERSION_MASK


@internal
@pure
def _draw_block(progress: uint256) -> uint256:
    """
    @notice The draw block of a progress word.
    @param progress The progress word.
    @return uint256 The block number.
    """
    return (progress >> DRAW_SHIFT) & BLOCK_MASK


@internal
@pure
def _with_draw_block(progress: uint256, draw_block: uint256) -> uint256:
    """
    @notice A progress word with another draw block.
    @param progress The progress word.
    @param draw_block The block number.
    @return uint256 The progress word.
    """
    return (progress & ~(BLOCK_MASK << DRAW_SHIFT)) | (draw_block << DRAW_SHIFT)


@internal
@pure
def _start(progress: uint256) -> uint256:
    """
    @notice When a task started (0 while waiting).
    @param progress The progress word.
    @return uint256 Unix time.
    """
    return (progress >> START_SHIFT) & TIME_MASK


@internal
@pure
def _commit_end(progress: uint256) -> uint256:
    """
    @notice When a task's commit phase ends.
    @param progress The progress word.
    @return uint256 Unix time.
    """
    return self._start(progress) + ((progress >> COMMIT_LEN_SHIFT) & WINDOW_MASK)


@internal
@pure
def _reveal_window(progress: uint256) -> uint256:
    """
    @notice A task's reveal window.
    @param progress The progress word.
    @return uint256 Seconds.
    """
    return (progress >> REVEAL_WINDOW_SHIFT) & WINDOW_MASK


@internal
@pure
def _reveal_end(progress: uint256) -> uint256:
    """
    @notice When a task's reveal phase ends.
    @param progress The progress word.
    @return uint256 Unix time.
    """
    return self._commit_end(progress) + self._reveal_window(progress)


@internal
@pure
def _with_start(progress: uint256, draw_block: uint256, start: uint256, members: uint256) -> uint256:
    """
    @notice A progress word for a task seated now.
    @param progress The progress word.
    @param draw_block The draw block the committee came from.
    @param start Unix time.
    @param members Distinct members.
    @return uint256 The progress word.
    """
    return (
        self._with_draw_block(progress, draw_block)
        | (start << START_SHIFT)
        | (members << MEMBERS_SHIFT)
    )


@internal
@pure
def _member_count(progress: uint256) -> uint256:
    """
    @notice The number of distinct members (0 while waiting).
    @param progress The progress word.
    @return uint256 The count.
    """
    return (progress >> MEMBERS_SHIFT) & MASK5


@internal
@pure
def _all_members(progress: uint256) -> uint256:
    """
    @notice A bitmap with one bit per member.
    @param progress The progress word.
    @return uint256 The bitmap.
    """
    return (1 << self._member_count(progress)) - 1


@internal
@pure
def _committed(progress: uint256) -> uint256:
    """
    @notice The bitmap of members that committed.
    @param progress The progress word.
    @return uint256 The bitmap.
    """
    return (progress >> COMMITTED_SHIFT) & BITMAP_MASK


@internal
@pure
def _revealed(progress: uint256) -> uint256:
    """
    @notice The bitmap of members that revealed.
    @param progress The progress word.
    @return uint256 The bitmap.
    """
    return (progress >> REVEALED_SHIFT) & BITMAP_MASK


@internal
@pure
def _with_commit(progress: uint256, member: uint256, now: uint256) -> uint256:
    """
    @dev The last member's commit ends the commit phase at `now`.
    @notice A progress word with member `member` committed.
    @param progress The progress word.
    @param member The member's index.
    @param now The current time.
    @return uint256 The progress word.
    """
    out: uint256 = progress | (1 << (COMMITTED_SHIFT + member))
    if self._committed(out) == self._all_members(out):
        elapsed: uint256 = now - self._start(out)
        out = (out & ~(WINDOW_MASK << COMMIT_LEN_SHIFT)) | (elapsed << COMMIT_LEN_SHIFT)
    return out


@internal
@pure
def _with_reveal(progress: uint256, member: uint256) -> uint256:
    """
    @notice A progress word with member `member` revealed.
    @param progress The progress word.
    @param member The member's index.
    @return uint256 The progress word.
    """
    return progress | (1 << (REVEALED_SHIFT + member))


@internal
@pure
def _winner(progress: uint256) -> uint256:
    """
    @notice The index + 1 of a member that revealed the accepted result
            (0 unless the task succeeded).
    @param progress The progress word.
    @return uint256 Index + 1.
    """
    return (progress >> WINNER_SHIFT) & MASK5


@internal
@pure
def _status(progress: uint256) -> uint256:
    """
    @notice A task's stored status: 0 open, 1 succeeded, 2 failed.
    @param progress The progress word.
    @return uint256 The status.
    """
    return (progress >> STATUS_SHIFT) & STATUS_MASK


@internal
@pure
def _final_block(progress: uint256) -> uint256:
    """
    @notice The block in which a task was finalized (0 while open).
    @param progress The progress word.
    @return uint256 The block number.
    """
    return (progress >> FINAL_BLOCK_SHIFT) & BLOCK_MASK


@internal
@pure
def _finalized(progress: uint256, status: uint256, winner: uint256, block_number: uint256) -> uint256:
    """
    @notice A progress word of a task finalized now.
    @param progress The progress word.
    @param status 1 succeeded, 2 failed.
    @param winner Index + 1 of an agreeing member (0 when failed).
    @param block_number The current block.
    @return uint256 The progress word.
    """
    return (
        progress
        | (winner << WINNER_SHIFT)
        | (status << STATUS_SHIFT)
        | (block_number << FINAL_BLOCK_SHIFT)
    )


# ---------------------------------------------------------------- ledger


@internal
@pure
def _claimable(ledger: uint256) -> uint256:
    """
    @notice The claimable wei of a ledger word.
    @param ledger The ledger word.
    @return uint256 Wei.
    """
    return ledger & CLAIMABLE_MASK


@internal
@pure
def _without_claimable(ledger: uint256) -> uint256:
    """
    @notice A ledger word with nothing claimable.
    @param ledger The ledger word.
    @return uint256 The ledger word.
    """
    return ledger & ~CLAIMABLE_MASK


@internal
@pure
def _open_tasks(ledger: uint256) -> uint256:
    """
    @notice The open-task count of a ledger word.
    @param ledger The ledger word.
    @return uint256 Started, unfinalized tasks the account sits on.
    """
    return (ledger >> OPEN_SHIFT) & COUNTER_MASK


@internal
@pure
def _agreed(ledger: uint256) -> uint256:
    """
    @notice Tasks in which the account agreed with the accepted result.
    @param ledger The ledger word.
    @return uint256 The count.
    """
    return (ledger >> AGREED_SHIFT) & COUNTER_MASK


@internal
@pure
def _disagreed(ledger: uint256) -> uint256:
    """
    @notice Tasks in which the account revealed a rejected result.
    @param ledger The ledger word.
    @return uint256 The count.
    """
    return (ledger >> DISAGREED_SHIFT) & COUNTER_MASK


@internal
@pure
def _missed(ledger: uint256) -> uint256:
    """
    @notice Tasks in which the account did not commit or reveal.
    @param ledger The ledger word.
    @return uint256 The count.
    """
    return (ledger >> MISSED_SHIFT) & COUNTER_MASK


# ---------------------------------------------------------------- disputes


@internal
@pure
def _pack_dispute(seat_map: uint256, until: uint256, share: uint256) -> uint256:
    """
    @notice Packs a dispute word.
    @param seat_map 4 bits per member: the seats of a member whose slash is
           deferred (0 for the others).
    @param until Unix time the dispute window ends.
    @param share Wei per agreeing seat.
    @return uint256 The dispute word.
    """
    return seat_map | (until << UNTIL_SHIFT) | (share << SHARE_SHIFT)


@internal
@pure
def _deferred_seats(dispute: uint256, member: uint256) -> uint256:
    """
    @notice The seats of a member whose slash is still deferred.
    @param dispute The dispute word.
    @param member The member's index.
    @return uint256 Its seats (0: nothing deferred for it).
    """
    return (dispute >> (SEAT_BITS * member)) & MASK4


@internal
@pure
def _until(dispute: uint256) -> uint256:
    """
    @notice When a dispute window ends.
    @param dispute The dispute word.
    @return uint256 Unix time.
    """
    return (dispute >> UNTIL_SHIFT) & TIME_MASK


@internal
@pure
def _share(dispute: uint256) -> uint256:
    """
    @notice The share per agreeing seat of a disputed task.
    @param dispute The dispute word.
    @return uint256 Wei.
    """
    return dispute >> SHARE_SHIFT


# ---------------------------------------------------------------- counters


@internal
@pure
def _task_count(counters: uint256) -> uint256:
    """
    @notice Tasks created, from the counters word.
    @param counters The counters word.
    @return uint256 The count (the last task id).
    """
    return counters & COUNT_MASK


@internal
@pure
def _escrowed(counters: uint256) -> uint256:
    """
    @notice Fees held for open tasks, from the counters word.
    @param counters The counters word.
    @return uint256 Wei.
    """
    return counters >> ESCROW_SHIFT


@internal
@pure
def _pack_counters(task_count: uint256, escrowed: uint256) -> uint256:
    """
    @notice Packs the counters word.
    @param task_count Tasks created.
    @param escrowed Wei held for open tasks.
    @return uint256 The counters word.
    """
    return task_count | (escrowed << ESCROW_SHIFT)


# ---------------------------------------------------------------- committee


@internal
@pure
def _committee_word_count(size: uint256, members: uint256) -> uint256:
    """
    @dev `size` 0 counts the member addresses only.
    @notice How many words a committee takes.
    @param size Seats.
    @param members Distinct members.
    @return uint256 Words.
    """
    return (MEMBER_BITS * members + SEAT_BITS * size + 255) // 256


@internal
@pure
def _pack_committee(
    seats: DynArray[address, constants.MAX_COMMITTEE]
) -> (DynArray[uint256, MAX_COMMITTEE_WORDS], DynArray[address, constants.MAX_COMMITTEE]):
    """
    @notice Packs a committee (one address per seat) into its words.
    @param seats The seated agents, in seat order.
    @return DynArray The committee words.
    @return DynArray The distinct members, in the order of their first seat.
    """
    members: DynArray[address, constants.MAX_COMMITTEE] = []
    holders: DynArray[uint256, constants.MAX_COMMITTEE] = []
    for seat: address in seats:
        index: uint256 = len(members)
        for i: uint256 in range(len(members), bound=constants.MAX_COMMITTEE):
            if members[i] == seat:
                index = i
                break
        if index == len(members):
            members.append(seat)
        holders.append(index)

    words: uint256[MAX_COMMITTEE_WORDS] = empty(uint256[MAX_COMMITTEE_WORDS])
    bit: uint256 = 0
    for member: address in members:
        word_value: uint256 = convert(member, uint256)
        w: uint256 = bit // 256
        offset: uint256 = bit % 256
        words[w] |= word_value << offset
        if offset > 256 - MEMBER_BITS:
            words[w + 1] |= word_value >> (256 - offset)
        bit += MEMBER_BITS
    # Seat map entries are 4-bit aligned, so none straddles two words.
    for index: uint256 in holders:
        words[bit // 256] |= index << (bit % 256)
        bit += SEAT_BITS

    out: DynArray[uint256, MAX_COMMITTEE_WORDS] = []
    for k: uint256 in range((bit + 255) // 256, bound=MAX_COMMITTEE_WORDS):
        out.append(words[k])
    return (out, members)


@internal
@pure
def _member_at(words: DynArray[uint256, MAX_COMMITTEE_WORDS], member: uint256) -> address:
    """
    @notice A member's address in committee words.
    @param words The committee words (at least those holding the members).
    @param member The member's index.
    @return address The member.
    """
    bit: uint256 = MEMBER_BITS * member
    w: uint256 = bit // 256
    offset: uint256 = bit % 256
    packed: uint256 = words[w] >> offset
    if offset > 256 - MEMBER_BITS:
        packed |= words[w + 1] << (256 - offset)
    return convert(convert(packed & ADDRESS_MASK, uint160), address)


@internal
@pure
def _seat_holder(words: DynArray[uint256, MAX_COMMITTEE_WORDS], members: uint256, seat: uint256) -> uint256:
    """
    @notice The index of the member holding a seat.
    @param words The committee words (all of them).
    @param members Distinct members.
    @param seat The seat.
    @return uint256 The member's index.
    """
    bit: uint256 = MEMBER_BITS * members + SEAT_BITS * seat
    return (words[bit // 256] >> (bit % 256)) & MASK4
