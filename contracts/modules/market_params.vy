# pragma version ~=0.4.3
"""
@title Versioned parameters of the TaskMarket
@custom:contract-name market_params
@license GNU Affero General Public License v3.0 only
@notice The commit and reveal windows and the two slash amounts form a
        parameter set. Every owner change appends a new version; a task
        records the version current at its creation and reads its windows
        and slash amounts from it whenever it is activated or finalized, so
        an owner change never touches a task already created. The getters
        return the current version. The minimum fee per seat is checked once,
        at creation, so it is not versioned. The grace period after which a
        quorum that nobody can back with an output is failed is fixed at
        deployment.

        Params word: commit window (bits 0-16) | reveal window (17-33) | slash
        missed (34-100) | slash wrong (101-167) | minimum fee per seat
        (168-227) | version (228-251). The current word holds all of it, so
        `createTask` reads everything it needs in one storage read; each
        version keeps a copy (its fee and version fields are not read).
@custom:security The owner checks (`ownable`) are the including contract's;
        this module only validates and stores. A task keeps 24 bits of
        version: 16.7 million owner changes would wrap it.
"""


event MinFeeSet:
    min_fee_per_agent: uint256


event WindowsSet:
    commit_window: uint256
    reveal_window: uint256


event SlashAmountsSet:
    slash_missed: uint256
    slash_wrong: uint256


event ParamsVersionAdded:
    version: indexed(uint256)
    commit_window: uint256
    reveal_window: uint256
    slash_missed: uint256
    slash_wrong: uint256


# Bounds of the owner's setters.
MAX_MIN_FEE: constant(uint256) = 10**18
MIN_WINDOW: constant(uint256) = 2
MAX_WINDOW: constant(uint256) = 86_400
MAX_SLASH: constant(uint256) = 100 * 10**18
MIN_GRACE: constant(uint256) = 2
MAX_GRACE: constant(uint256) = 30 * 86_400

# Params word fields (the bounds above fit them: 86,400 < 2**17, 100 ETH < 2**67,
# 1 ETH < 2**60).
WINDOW_MASK: constant(uint256) = 2**17 - 1
SLASH_MASK: constant(uint256) = 2**67 - 1
FEE_MASK: constant(uint256) = 2**60 - 1
VERSION_MASK: constant(uint256) = 2**24 - 1
REVEAL_WINDOW_SHIFT: constant(uint256) = 17
SLASH_MISSED_SHIFT: constant(uint256) = 34
SLASH_WRONG_SHIFT: constant(uint256) = 101
FEE_SHIFT: constant(uint256) = 168
VERSION_SHIFT: constant(uint256) = 228


# Seconds after `reveal_end` from which a task whose quorum revealed a hash
# can be failed when nobody supplies the output.
grace_period: public(immutable(uint256))

# version -> params word of that version.
_params_sets: HashMap[uint256, uint256]
# The current params word.
_params_current: uint256


@deploy
def __init__(
    min_fee_per_agent_: uint256,
    commit_window_: uint256,
    reveal_window_: uint256,
    slash_missed_: uint256,
    slash_wrong_: uint256,
    grace_period_: uint256,
    unbonding_period: uint256,
):
    """
    @dev Stores version 1.
    @notice Sets the first parameters and the grace period.
    @param min_fee_per_agent_ Least fee per seat, in wei.
    @param commit_window_ Seconds to commit.
    @param reveal_window_ Seconds to reveal.
    @param slash_missed_ Wei per missed seat.
    @param slash_wrong_ Wei per wrong seat.
    @param grace_period_ Seconds after `reveal_end`, in [2 s, 30 days].
    @param unbonding_period The staking unbonding period, which the two
           windows together must stay below.
    """
    assert (
        grace_period_ >= MIN_GRACE and grace_period_ <= MAX_GRACE
    ), "market_params: grace period out of bounds"
    grace_period = grace_period_
    self._set_min_fee(min_fee_per_agent_)
    self._check_windows(commit_window_, reveal_window_, unbonding_period)
    self._check_slashes(slash_missed_, slash_wrong_)
    self._append(commit_window_, reveal_window_, slash_missed_, slash_wrong_)
    log WindowsSet(commit_window=commit_window_, reveal_window=reveal_window_)
    log SlashAmountsSet(slash_missed=slash_missed_, slash_wrong=slash_wrong_)


# ---------------------------------------------------------------- views


@external
@view
def min_fee_per_agent() -> uint256:
    """
    @notice Least fee per seat of a new task.
    @return uint256 Wei.
    """
    return self._min_fee(self._params_current)


@external
@view
def commit_window() -> uint256:
    """
    @notice Seconds members of a new task have to commit, from its start.
    @return uint256 Seconds.
    """
    return self._commit_window(self._params_current)


@external
@view
def reveal_window() -> uint256:
    """
    @notice Seconds members of a new task have to reveal, from the end of
            commits.
    @return uint256 Seconds.
    """
    return self._reveal_window(self._params_current)


@external
@view
def slash_missed() -> uint256:
    """
    @notice Wei a new task slashes per seat that did not commit or reveal.
    @return uint256 Wei.
    """
    return self._slash_missed(self._params_current)


@external
@view
def slash_wrong() -> uint256:
    """
    @notice Wei a new task slashes per seat that revealed another result.
    @return uint256 Wei.
    """
    return self._slash_wrong(self._params_current)


@external
@view
def params_version() -> uint256:
    """
    @notice The parameter version new tasks record.
    @return uint256 The version (1 at deployment).
    """
    return self._version(self._params_current)


@external
@view
def paramsAt(version: uint256) -> (uint256, uint256, uint256, uint256):
    """
    @dev Zeros for a version that does not exist.
    @notice A parameter set.
    @param version The version.
    @return uint256 Commit window, seconds.
    @return uint256 Reveal window, seconds.
    @return uint256 Slash per missed seat, wei.
    @return uint256 Slash per wrong seat, wei.
    """
    params_set: uint256 = self._params_sets[version]
    if params_set == 0:
        return (0, 0, 0, 0)
    return (
        self._commit_window(params_set),
        self._reveal_window(params_set),
        self._slash_missed(params_set),
        self._slash_wrong(params_set),
    )


# ---------------------------------------------------------------- internal


@internal
@pure
def _commit_window(params_set: uint256) -> uint256:
    """
    @notice The commit window of a params word.
    @param params_set The params word.
    @return uint256 Seconds.
    """
    return params_set & WINDOW_MASK


@internal
@pure
def _reveal_window(params_set: uint256) -> uint256:
    """
    @notice The reveal window of a params word.
    @param params_set The params word.
    @return uint256 Seconds.
    """
    return (params_set >> REVEAL_WINDOW_SHIFT) & WINDOW_MASK


@internal
@pure
def _slash_missed(params_set: uint256) -> uint256:
    """
    @notice The slash per missed seat of a params word.
    @param params_set The params word.
    @return uint256 Wei.
    """
    return (params_set >> SLASH_MISSED_SHIFT) & SLASH_MASK


@internal
@pure
def _slash_wrong(params_set: uint256) -> uint256:
    """
    @notice The slash per wrong seat of a params word.
    @param params_set The params word.
    @return uint256 Wei.
    """
    return (params_set >> SLASH_WRONG_SHIFT) & SLASH_MASK


@internal
@pure
def _min_fee(params_set: uint256) -> uint256:
    """
    @notice The minimum fee per seat of a params word (the current one).
    @param params_set The params word.
    @return uint256 Wei.
    """
    return (params_set >> FEE_SHIFT) & FEE_MASK


@internal
@pure
def _version(params_set: uint256) -> uint256:
    """
    @notice The version of a params word (the current one).
    @param params_set The params word.
    @return uint256 The version.
    """
    return (params_set >> VERSION_SHIFT) & VERSION_MASK


@internal
@view
def _current() -> uint256:
    """
    @dev One storage read for `createTask`: windows, slashes, fee, version.
    @notice The current params word.
    @return uint256 The params word.
    """
    return self._params_current


@internal
@view
def _set_of(version: uint256) -> uint256:
    """
    @notice The params word of a version.
    @param version The version.
    @return uint256 The params word (its windows and slash amounts count).
    """
    return self._params_sets[version]


@internal
@pure
def _check_windows(commit_window_: uint256, reveal_window_: uint256, unbonding_period: uint256):
    """
    @dev One reason for the three bounds keeps the market's code small.
    @notice Reverts unless both windows lie in [2 s, 1 day] and together
            stay below the unbonding period.
    @param commit_window_ Seconds.
    @param reveal_window_ Seconds.
    @param unbonding_period Seconds.
    """
    assert (
        commit_window_ >= MIN_WINDOW
        and commit_window_ <= MAX_WINDOW
        and reveal_window_ >= MIN_WINDOW
        and reveal_window_ <= MAX_WINDOW
        and commit_window_ + reveal_window_ < unbonding_period
    ), "market_params: windows out of bounds"


@internal
@pure
def _check_slashes(slash_missed_: uint256, slash_wrong_: uint256):
    """
    @notice Reverts unless both slash amounts are at most 100 ETH.
    @param slash_missed_ Wei.
    @param slash_wrong_ Wei.
    """
    assert (
        slash_missed_ <= MAX_SLASH and slash_wrong_ <= MAX_SLASH
    ), "market_params: slash amount out of bounds"


@internal
def _append(commit_window_: uint256, reveal_window_: uint256, slash_missed_: uint256, slash_wrong_: uint256):
    """
    @notice Stores a new version and makes it current.
    @param commit_window_ Seconds.
    @param reveal_window_ Seconds.
    @param slash_missed_ Wei.
    @param slash_wrong_ Wei.
    """
    current: uint256 = self._params_current
    version: uint256 = self._version(current) + 1
    updated: uint256 = (
        commit_window_
        | (reveal_window_ << REVEAL_WINDOW_SHIFT)
        | (slash_missed_ << SLASH_MISSED_SHIFT)
        | (slash_wrong_ << SLASH_WRONG_SHIFT)
        | (current & (FEE_MASK << FEE_SHIFT))
        | (version << VERSION_SHIFT)
    )
    self._params_sets[version] = updated
    self._params_current = updated
    log ParamsVersionAdded(
        version=version,
        commit_window=commit_window_,
        reveal_window=reveal_window_,
        slash_missed=slash_missed_,
        slash_wrong=slash_wrong_,
    )


@internal
def _set_min_fee(min_fee: uint256):
    """
    @notice Sets the minimum fee per seat of new tasks.
    @param min_fee Wei, at most 1 ETH.
    """
    assert min_fee <= MAX_MIN_FEE, "market_params: min fee out of bounds"
    self._params_current = (self._params_current & ~(FEE_MASK << FEE_SHIFT)) | (min_fee << FEE_SHIFT)
    log MinFeeSet(min_fee_per_agent=min_fee)


@internal
def _set_windows(commit_window_: uint256, reveal_window_: uint256, unbonding_period: uint256):
    """
    @notice Appends a version with new windows (slashes unchanged).
    @param commit_window_ Seconds, in [2 s, 1 day].
    @param reveal_window_ Seconds, in [2 s, 1 day].
    @param unbonding_period The staking unbonding period.
    """
    self._check_windows(commit_window_, reveal_window_, unbonding_period)
    current: uint256 = self._params_current
    self._append(commit_window_, reveal_window_, self._slash_missed(current), self._slash_wrong(current))
    log WindowsSet(commit_window=commit_window_, reveal_window=reveal_window_)


@internal
def _set_slash_amounts(slash_missed_: uint256, slash_wrong_: uint256):
    """
    @notice Appends a version with new slash amounts (windows unchanged).
    @param slash_missed_ Wei per missed seat, at most 100 ETH.
    @param slash_wrong_ Wei per wrong seat, at most 100 ETH.
    """
    self._check_slashes(slash_missed_, slash_wrong_)
    current: uint256 = self._params_current
    self._append(self._commit_window(current), self._reveal_window(current), slash_missed_, slash_wrong_)
    log SlashAmountsSet(slash_missed=slash_missed_, slash_wrong=slash_wrong_)
