# pragma version ~=0.4.3
"""
@title Lagged stake trees for committee draws
@custom:contract-name stake_tree
@license GNU Affero General Public License v3.0 only
@notice One Fenwick tree of agent weights per model, over at most
        `MAX_AGENTS_PER_MODEL` leaves and updated from a leaf up to the
        root node 2,048 (which always holds the total). Each node remembers
        its value at the start of the current and of the previous epoch, so
        that a draw whose draw block lies in epoch `j` reads the weights as
        they stood when epoch `j` began: all of them were set before that
        draw block existed, so nothing done once its hash is known changes
        the draw. Seats are drawn with replacement, each in proportion to
        weight: O(log n) reads per seat, whatever the number of agents.

        Node word: value now (bits 0-95) | epoch of its last change
        (96-121) | value at the start of that epoch (122-217) | epoch of the
        change before it (218-243) | for the root node only, the number of
        leaves ever allocated (244-255), so that a draw reads it with the
        total. A second word holds the value at the start of that earlier
        epoch; it is written only when that epoch is the one before the last
        change's, the only case a draw reads it.

        The leaf of an agent whose weight falls to zero goes to a per-model
        queue stamped with the epoch; a new agent takes the queue's head once
        two epochs have passed (no readable epoch sees the old weight there
        any more), else a new leaf.
@custom:security Only the current and the previous epoch are readable:
        a draw block older than `BLOCKHASH_WINDOW` (one epoch) is replaced
        before it is used, so no draw needs an older epoch.
"""

from . import constants


event WeightChanged:
    agent: indexed(address)
    model_id: indexed(bytes32)
    weight: uint256
    leaf: uint256


# Node word fields (2,048 stakes of at most MAX_STAKE = 2**80 sum below 2**96;
# 2**26 epochs of 256 blocks outlast any chain).
VALUE_MASK: constant(uint256) = 2**96 - 1
EPOCH_MASK: constant(uint256) = 2**26 - 1
LAST_EPOCH_SHIFT: constant(uint256) = 96
START_VALUE_SHIFT: constant(uint256) = 122
PREV_EPOCH_SHIFT: constant(uint256) = 218
ROOT_COUNT_SHIFT: constant(uint256) = 244

# Leaf word: agent (bits 0-159) | its weight now (160-255).
ADDRESS_MASK: constant(uint256) = 2**160 - 1
LEAF_WEIGHT_SHIFT: constant(uint256) = 160

# Model word: leaves ever allocated (bits 0-15) | agents with a weight now
# (16-31) | free queue head (32-95) | free queue tail (96-159).
COUNT_MASK: constant(uint256) = 2**16 - 1
QUEUE_MASK: constant(uint256) = 2**64 - 1
ELIGIBLE_SHIFT: constant(uint256) = 16
HEAD_SHIFT: constant(uint256) = 32
TAIL_SHIFT: constant(uint256) = 96

# Free queue entry: leaf (bits 0-15) | epoch it was freed (16-...).
FREED_EPOCH_SHIFT: constant(uint256) = 16
# A freed leaf is handed out again this many epochs after it was freed.
REUSE_AFTER_EPOCHS: constant(uint256) = 2

# The root node: its prefix covers every leaf.
ROOT: constant(uint256) = constants.MAX_AGENTS_PER_MODEL


# model -> node index (1..2,048) -> node word (value history).
_tree: HashMap[bytes32, HashMap[uint256, uint256]]
# model -> node index -> value at the start of the epoch of the change
# before the last one (see the module notice).
_tree_before: HashMap[bytes32, HashMap[uint256, uint256]]
# model -> leaf index (1..2,048) -> leaf word (agent and its weight now).
_leaves: HashMap[bytes32, HashMap[uint256, uint256]]
# model -> agent -> its leaf (0 = never had one); the leaf is the agent's
# while the leaf word names it.
_leaf_of: HashMap[bytes32, HashMap[address, uint256]]
# model -> model word (leaf count, eligible count, free queue bounds).
_model_leaves: HashMap[bytes32, uint256]
# model -> queue position -> free queue entry (leaf and epoch freed).
_free_leaves: HashMap[bytes32, HashMap[uint256, uint256]]


# ---------------------------------------------------------------- views


@external
@view
def currentEpoch() -> uint256:
    """
    @dev `block.number // EPOCH_BLOCKS`.
    @notice The epoch of the current block.
    @return uint256 The epoch.
    """
    return self._current_epoch()


@external
@pure
def epochBlocks() -> uint256:
    """
    @notice Blocks per stake epoch.
    @return uint256 256.
    """
    return constants.EPOCH_BLOCKS


@external
@view
def weightOf(agent: address, model_id: bytes32) -> uint256:
    """
    @dev What draws see from the next epoch on, unless it changes again.
    @notice An agent's weight in a model's tree now.
    @param agent The agent.
    @param model_id The model.
    @return uint256 Wei (0 when not eligible).
    """
    return self._weight_now(model_id, agent)


@external
@view
def weightAt(agent: address, model_id: bytes32, epoch: uint256) -> uint256:
    """
    @dev Reads the agent's current leaf; reverts for an epoch older than
         the previous one.
    @notice The weight a draw in `epoch` gives an agent.
    @param agent The agent.
    @param model_id The model.
    @param epoch The epoch of a draw block.
    @return uint256 Wei.
    """
    self._check_readable(epoch)
    leaf: uint256 = self._leaf_of[model_id][agent]
    if leaf == 0 or self._leaf_agent(self._leaves[model_id][leaf]) != agent:
        return 0
    return self._prefix_at(model_id, leaf, epoch) - self._prefix_at(model_id, leaf - 1, epoch)


@external
@view
def totalWeight(model_id: bytes32) -> uint256:
    """
    @notice Sum of the weights in a model's tree now.
    @param model_id The model.
    @return uint256 Wei.
    """
    return self._node_value_now(self._tree[model_id][ROOT])


@external
@view
def totalWeightAt(model_id: bytes32, epoch: uint256) -> uint256:
    """
    @dev Reverts for an epoch older than the previous one; a future epoch
         reads the weights now.
    @notice Sum of the weights a draw in `epoch` reads.
    @param model_id The model.
    @param epoch The epoch of a draw block.
    @return uint256 Wei.
    """
    self._check_readable(epoch)
    return self._node_at(model_id, ROOT, epoch)


@external
@view
def eligibleCount(model_id: bytes32) -> uint256:
    """
    @notice How many agents have a weight in a model's tree now.
    @param model_id The model.
    @return uint256 The count.
    """
    return self._eligible_count(self._model_leaves[model_id])


@external
@view
def leafStats(model_id: bytes32) -> (uint256, uint256, uint256):
    """
    @notice The occupancy of a model's tree.
    @param model_id The model.
    @return uint256 Leaves ever allocated (at most 2,048).
    @return uint256 Agents with a weight now.
    @return uint256 Freed leaves waiting to be reused.
    """
    stats: uint256 = self._model_leaves[model_id]
    return (
        self._leaf_count(stats),
        self._eligible_count(stats),
        self._queue_tail(stats) - self._queue_head(stats),
    )


@external
@view
def agentsForModel(model_id: bytes32) -> DynArray[address, constants.MAX_AGENTS_PER_MODEL]:
    """
    @dev Reads every leaf: meant for off-chain callers.
    @notice The agents (owners) with a weight in a model's tree now.
    @param model_id The model.
    @return DynArray The agents, in leaf order.
    """
    n: uint256 = self._leaf_count(self._model_leaves[model_id])
    out: DynArray[address, constants.MAX_AGENTS_PER_MODEL] = []
    for i: uint256 in range(1, constants.MAX_AGENTS_PER_MODEL + 1):
        if i > n:
            break
        word: uint256 = self._leaves[model_id][i]
        if word >> LEAF_WEIGHT_SHIFT != 0:
            out.append(self._leaf_agent(word))
    return out


@external
@view
def drawWeights(
    model_id: bytes32, epoch: uint256
) -> (DynArray[address, constants.MAX_AGENTS_PER_MODEL], DynArray[uint256, constants.MAX_AGENTS_PER_MODEL]):
    """
    @dev O(n log n) reads: meant for off-chain callers, which can replay a
         draw with them (a seat goes to the first agent whose running sum
         of weights exceeds `keccak256(abi_encode(seed, s)) % total`).
    @notice The agents a draw in `epoch` can seat, with their weights, in
            leaf order.
    @param model_id The model.
    @param epoch The epoch of a draw block (current or previous, or later).
    @return DynArray The agents with a weight in `epoch`.
    @return DynArray Their weights, wei.
    """
    self._check_readable(epoch)
    n: uint256 = self._leaf_count(self._model_leaves[model_id])
    agents: DynArray[address, constants.MAX_AGENTS_PER_MODEL] = []
    weights: DynArray[uint256, constants.MAX_AGENTS_PER_MODEL] = []
    before: uint256 = 0
    for i: uint256 in range(1, constants.MAX_AGENTS_PER_MODEL + 1):
        if i > n:
            break
        through: uint256 = self._prefix_at(model_id, i, epoch)
        if through > before:
            agents.append(self._leaf_agent(self._leaves[model_id][i]))
            weights.append(through - before)
        before = through
    return (agents, weights)


@external
@view
def drawCommittee(
    model_id: bytes32, size: uint256, seed: bytes32, epoch: uint256
) -> DynArray[address, constants.MAX_COMMITTEE]:
    """
    @dev Seat `s` goes to the leaf whose cumulative weight range (in the
         weights of `epoch`) holds `keccak256(abi_encode(seed, s)) % total`.
         Empty when the total weight of `epoch` is zero.
    @notice Draws `size` seats with replacement, each in proportion to
            weight.
    @param model_id The model.
    @param size Seats to draw, at most 16.
    @param seed The draw's randomness.
    @param epoch The epoch of the draw block (current or previous).
    @return DynArray One agent per seat, in seat order.
    """
    assert size <= constants.MAX_COMMITTEE, "stake_tree: committee too large"
    self._check_readable(epoch)
    return self._draw(model_id, size, seed, epoch)


# ---------------------------------------------------------------- internal


@internal
@view
def _current_epoch() -> uint256:
    """
    @dev Epochs are `EPOCH_BLOCKS` blocks long.
    @notice The epoch of the current block.
    @return uint256 The epoch.
    """
    return block.number // constants.EPOCH_BLOCKS


@internal
@view
def _check_readable(epoch: uint256):
    """
    @dev Node words keep two epochs of history.
    @notice Reverts unless `epoch` is the previous epoch or later.
    @param epoch The epoch to read.
    """
    assert epoch + 1 >= self._current_epoch(), "stake_tree: epoch not readable"


@internal
@pure
def _node_value_now(word: uint256) -> uint256:
    """
    @notice A node word's value now.
    @param word The node word.
    @return uint256 The value.
    """
    return word & VALUE_MASK


@internal
@pure
def _node_last_epoch(word: uint256) -> uint256:
    """
    @notice The epoch of a node's last change.
    @param word The node word.
    @return uint256 The epoch.
    """
    return (word >> LAST_EPOCH_SHIFT) & EPOCH_MASK


@internal
@pure
def _node_start_value(word: uint256) -> uint256:
    """
    @notice A node's value at the start of the epoch of its last change.
    @param word The node word.
    @return uint256 The value.
    """
    return (word >> START_VALUE_SHIFT) & VALUE_MASK


@internal
@pure
def _node_prev_epoch(word: uint256) -> uint256:
    """
    @notice The epoch of a node's change before the last one.
    @param word The node word.
    @return uint256 The epoch.
    """
    return (word >> PREV_EPOCH_SHIFT) & EPOCH_MASK


@internal
@pure
def _pack_node(current: uint256, last_epoch: uint256, start_value: uint256, prev_epoch: uint256) -> uint256:
    """
    @notice Packs a node word.
    @param current The value now.
    @param last_epoch The epoch of the last change.
    @param start_value The value at the start of `last_epoch`.
    @param prev_epoch The epoch of the change before.
    @return uint256 The node word.
    """
    return (
        current
        | (last_epoch << LAST_EPOCH_SHIFT)
        | (start_value << START_VALUE_SHIFT)
        | (prev_epoch << PREV_EPOCH_SHIFT)
    )


@internal
@pure
def _leaf_agent(word: uint256) -> address:
    """
    @notice The agent a leaf word names.
    @param word The leaf word.
    @return address The agent.
    """
    return convert(convert(word & ADDRESS_MASK, uint160), address)


@internal
@pure
def _leaf_count(stats: uint256) -> uint256:
    """
    @notice Leaves ever allocated in a model word.
    @param stats The model word.
    @return uint256 The count.
    """
    return stats & COUNT_MASK


@internal
@pure
def _eligible_count(stats: uint256) -> uint256:
    """
    @notice Agents with a weight, from a model word.
    @param stats The model word.
    @return uint256 The count.
    """
    return (stats >> ELIGIBLE_SHIFT) & COUNT_MASK


@internal
@pure
def _queue_head(stats: uint256) -> uint256:
    """
    @notice The free queue's head position, from a model word.
    @param stats The model word.
    @return uint256 The position.
    """
    return (stats >> HEAD_SHIFT) & QUEUE_MASK


@internal
@pure
def _queue_tail(stats: uint256) -> uint256:
    """
    @notice The free queue's tail position (next free slot), from a model word.
    @param stats The model word.
    @return uint256 The position.
    """
    return (stats >> TAIL_SHIFT) & QUEUE_MASK


@internal
@view
def _node_at(model_id: bytes32, i: uint256, epoch: uint256) -> uint256:
    """
    @dev Valid for `epoch >= current - 1`: a node changed in two epochs
         both at or after `epoch` can only have changed in the previous
         and the current one, and then its second word holds the answer.
    @notice Node `i`'s value at the start of `epoch`.
    @param model_id The model.
    @param i The node.
    @param epoch The epoch.
    @return uint256 The value.
    """
    word: uint256 = self._tree[model_id][i]
    if self._node_last_epoch(word) < epoch:
        return self._node_value_now(word)
    if self._node_prev_epoch(word) < epoch:
        return self._node_start_value(word)
    return self._tree_before[model_id][i]


@internal
@view
def _prefix_at(model_id: bytes32, i: uint256, epoch: uint256) -> uint256:
    """
    @notice Sum of leaves 1..i at the start of `epoch`.
    @param model_id The model.
    @param i The last leaf.
    @param epoch The epoch.
    @return uint256 The sum.
    """
    total: uint256 = 0
    j: uint256 = i
    for _: uint256 in range(constants.LOG_AGENTS + 1):
        if j == 0:
            break
        total += self._node_at(model_id, j, epoch)
        j -= j & unsafe_sub(0, j)
    return total


@internal
@view
def _weight_now(model_id: bytes32, agent: address) -> uint256:
    """
    @notice An agent's weight in a model's tree now.
    @param model_id The model.
    @param agent The agent.
    @return uint256 Wei (0 without a leaf of its own).
    """
    leaf: uint256 = self._leaf_of[model_id][agent]
    if leaf == 0:
        return 0
    word: uint256 = self._leaves[model_id][leaf]
    if self._leaf_agent(word) != agent:
        return 0
    return word >> LEAF_WEIGHT_SHIFT


@internal
@view
def _draw(
    model_id: bytes32, size: uint256, seed: bytes32, epoch: uint256
) -> DynArray[address, constants.MAX_COMMITTEE]:
    """
    @dev A Fenwick descent per seat from the highest power of two not above
         the leaf count; nodes above the leaf count are skipped (their value
         is the total, which `r` is below), so a seat reads about
         log2(n) + 1 nodes. The caller checks that `epoch` is readable.
    @notice Draws `size` seats with replacement in the weights of `epoch`.
    @param model_id The model.
    @param size Seats, at most 16.
    @param seed The randomness.
    @param epoch The epoch whose weights count.
    @return DynArray One agent per seat (empty when the total is zero).
    """
    seats: DynArray[address, constants.MAX_COMMITTEE] = []
    root: uint256 = self._tree[model_id][ROOT]
    total: uint256 = self._node_at(model_id, ROOT, epoch)
    if total == 0:
        return seats
    # Leaves allocated since `epoch` began are empty in it: the count now is safe.
    n: uint256 = root >> ROOT_COUNT_SHIFT
    top: uint256 = 1
    for _: uint256 in range(constants.LOG_AGENTS):
        if top * 2 > n:
            break
        top *= 2

    for s: uint256 in range(size, bound=constants.MAX_COMMITTEE):
        r: uint256 = convert(keccak256(abi_encode(seed, s)), uint256) % total
        pos: uint256 = 0
        step: uint256 = top
        for _: uint256 in range(constants.LOG_AGENTS + 1):
            if step == 0:
                break
            nxt: uint256 = pos + step
            if nxt <= n:
                v: uint256 = self._node_at(model_id, nxt, epoch)
                if v <= r:
                    pos = nxt
                    r -= v
            step = step >> 1
        seats.append(self._leaf_agent(self._leaves[model_id][pos + 1]))
    return seats


@internal
def _move_node(
    model_id: bytes32, i: uint256, add: uint256, sub: uint256, epoch: uint256, leaf_count: uint256
):
    """
    @dev The first change of a node in an epoch rolls its history: the old
         "last change" becomes "the change before", and its start value
         goes to the second word when that epoch is the previous one.
    @notice Adds `add` and subtracts `sub` from node `i` in `epoch`.
    @param model_id The model.
    @param i The node.
    @param add Wei to add.
    @param sub Wei to subtract.
    @param epoch The current epoch.
    @param leaf_count Leaves allocated, kept in the root node's word.
    """
    word: uint256 = self._tree[model_id][i]
    value: uint256 = self._node_value_now(word)
    last: uint256 = self._node_last_epoch(word)
    start: uint256 = self._node_start_value(word)
    prev: uint256 = self._node_prev_epoch(word)
    if last != epoch:
        if last + 1 == epoch:
            self._tree_before[model_id][i] = start
        prev = last
        start = value
        last = epoch
    packed: uint256 = self._pack_node(value + add - sub, last, start, prev)
    if i == ROOT:
        packed |= leaf_count << ROOT_COUNT_SHIFT
    self._tree[model_id][i] = packed


@internal
def _move_path(
    model_id: bytes32, leaf: uint256, add: uint256, sub: uint256, epoch: uint256, leaf_count: uint256
):
    """
    @notice Applies a leaf's change to every node from the leaf to the root.
    @param model_id The model.
    @param leaf The leaf.
    @param add Wei added to the leaf.
    @param sub Wei taken from the leaf.
    @param epoch The current epoch.
    @param leaf_count Leaves allocated (for the root node's word).
    """
    i: uint256 = leaf
    for _: uint256 in range(constants.LOG_AGENTS + 1):
        if i > ROOT:
            break
        self._move_node(model_id, i, add, sub, epoch, leaf_count)
        i += i & unsafe_sub(0, i)


@internal
def _take_leaf(model_id: bytes32, stats: uint256, epoch: uint256) -> (uint256, uint256):
    """
    @dev The queue is in freeing order, so when its head is too young
         every entry is.
    @notice A leaf for an agent joining a model: the oldest freed leaf
            once two epochs old, else a new one.
    @param model_id The model.
    @param stats The model word.
    @param epoch The current epoch.
    @return uint256 The leaf.
    @return uint256 The updated model word.
    """
    head: uint256 = self._queue_head(stats)
    if head < self._queue_tail(stats):
        entry: uint256 = self._free_leaves[model_id][head]
        if (entry >> FREED_EPOCH_SHIFT) + REUSE_AFTER_EPOCHS <= epoch:
            return (entry & COUNT_MASK, stats + (1 << HEAD_SHIFT))
    n: uint256 = self._leaf_count(stats)
    assert n < constants.MAX_AGENTS_PER_MODEL, "stake_tree: model has too many agents"
    return (n + 1, stats + 1)


@internal
def _set_weight(model_id: bytes32, agent: address, weight: uint256):
    """
    @dev A weight going from zero takes a leaf; one going to zero frees its
         leaf into the queue (the leaf word keeps the agent's address, which
         draws of the two readable epochs may still land on).
    @notice Sets an agent's weight in a model's tree, effective for draw
            blocks of the next epoch on.
    @param model_id The model.
    @param agent The agent.
    @param weight Wei, at most `MAX_STAKE`.
    """
    old: uint256 = self._weight_now(model_id, agent)
    if old == weight:
        return
    epoch: uint256 = self._current_epoch()
    stats: uint256 = self._model_leaves[model_id]
    leaf: uint256 = 0
    if old == 0:
        leaf, stats = self._take_leaf(model_id, stats, epoch)
        self._leaf_of[model_id][agent] = leaf
        stats += 1 << ELIGIBLE_SHIFT
        self._move_path(model_id, leaf, weight, 0, epoch, self._leaf_count(stats))
    else:
        leaf = self._leaf_of[model_id][agent]
        if weight > old:
            self._move_path(model_id, leaf, weight - old, 0, epoch, self._leaf_count(stats))
        else:
            self._move_path(model_id, leaf, 0, old - weight, epoch, self._leaf_count(stats))
        if weight == 0:
            stats -= 1 << ELIGIBLE_SHIFT
            tail: uint256 = self._queue_tail(stats)
            self._free_leaves[model_id][tail] = leaf | (epoch << FREED_EPOCH_SHIFT)
            stats += 1 << TAIL_SHIFT
    self._leaves[model_id][leaf] = convert(agent, uint256) | (weight << LEAF_WEIGHT_SHIFT)
    self._model_leaves[model_id] = stats
    log WeightChanged(agent=agent, model_id=model_id, weight=weight, leaf=leaf)
