# pragma version ~=0.4.3
"""
@title agentnet ModelRegistry
@custom:contract-name ModelRegistry
@license GNU Affero General Public License v3.0 only
@notice Registry of ONNX model packages that agents may serve. A model is
        known by its `model_id`, the sha256 of its canonical package, so
        that every agent serving it runs the very same bytes. Publishing is
        permissionless; a model can be deprecated by its publisher or by the
        protocol owner, after which no new task or agent may use it.
        Each model also gets a compact sequential index that the
        `TaskMarket` stores in its packed task records.

        Because registering is permissionless, whoever registers a known
        package first becomes its publisher. So that nobody can take a model
        id hostage that way, the protocol owner can correct a registration
        (publisher, kind, manifest URI, tolerance) and reinstate a
        deprecated model.

        A model also carries its agreement rule, fixed at registration as
        the package's manifest declares it: 0 is `exact` (outputs agree
        only when their bytes are equal), K in 1..127 is `int8_max_abs_diff`
        with `max_steps` K (embedding models only: two 384-d embedding
        outputs agree when every coordinate differs by at most K int8
        steps). The market snapshots it per task and calls
        `embeddingsWithin` when a member's output differs from the accepted
        one (see docs/protocol-v2.md, "Tolerance and disputes").
"""

from snekmate.auth import ownable
from snekmate.auth import ownable_2step

from .consumer import canonical

initializes: ownable
initializes: ownable_2step[ownable := ownable]

exports: (
    ownable_2step.owner,
    ownable_2step.pending_owner,
    ownable_2step.transfer_ownership,
    ownable_2step.accept_ownership,
)


# Model kinds, as in the protocol: 0 embedding, 1 classification, 2 text generation.
MAX_KIND: constant(uint8) = 2
KIND_EMBEDDING: constant(uint8) = 0

# Agreement rule: 0 exact, else the most int8 steps two embeddings may differ by.
MAX_TOLERANCE: constant(uint8) = 127

# `_active_index` word: index + 1 (bits 0-23) | tolerance (24-31), so that the
# market reads both in one storage read (its task word keeps 24 bits of index).
INDEX_MASK: constant(uint256) = 2**24 - 1
TOLERANCE_SHIFT: constant(uint256) = 24
MAX_MODELS: constant(uint256) = 2**24 - 1

# `embeddingsWithin`: 16-bit lanes, the low byte of each, and each byte's sign bit.
LANES: constant(uint256) = max_value(uint256) // (2**16 - 1)
LOW_BYTES: constant(uint256) = LANES * 255
SIGN_BITS: constant(uint256) = max_value(uint256) // 255 * 128

# Model status values.
STATUS_NONE: constant(uint8) = 0
STATUS_ACTIVE: constant(uint8) = 1
STATUS_DEPRECATED: constant(uint8) = 2


struct ModelInfo:
    publisher: address
    kind: uint8
    status: uint8
    index: uint256
    manifest_uri: String[256]


event ModelRegistered:
    model_id: indexed(bytes32)
    publisher: indexed(address)
    kind: uint8
    manifest_uri: String[256]


event ModelDeprecated:
    model_id: indexed(bytes32)
    caller: indexed(address)


event ModelCorrected:
    model_id: indexed(bytes32)
    publisher: indexed(address)
    kind: uint8
    manifest_uri: String[256]


event ModelReinstated:
    model_id: indexed(bytes32)


event ModelToleranceSet:
    model_id: indexed(bytes32)
    tolerance: uint8


# model_id -> ModelInfo.
_models: HashMap[bytes32, ModelInfo]
# index -> model_id; indices start at 0 and follow registration order.
modelIdAt: public(HashMap[uint256, bytes32])
# model_id -> index + 1 | tolerance << 24 while active, 0 otherwise (one
# read for the market).
_active_index: HashMap[bytes32, uint256]
# model_id -> agreement rule: 0 exact, else max int8 steps (embeddings only).
_tolerances: HashMap[bytes32, uint8]
# Number of models ever registered.
model_count: public(uint256)


@deploy
def __init__():
    """
    @dev The deployer becomes the protocol owner (two-step transfer).
    @notice Deploys an empty registry.
    """
    ownable.__init__()
    ownable_2step.__init__()


@external
def registerModel(model_id: bytes32, kind: uint8, manifest_uri: String[256]):
    """
    @dev Permissionless: the caller becomes the model's publisher. The
         model's agreement rule is `exact` (see `registerModelWithTolerance`).
    @notice Registers a model package by its content hash.
    @param model_id The sha256 of the canonical model package.
    @param kind 0 embedding, 1 classification, 2 text generation.
    @param manifest_uri Where the package's manifest can be fetched.
    """
    self._register(model_id, kind, manifest_uri, 0)


@external
def registerModelWithTolerance(
    model_id: bytes32, kind: uint8, manifest_uri: String[256], tolerance: uint8
):
    """
    @dev Permissionless, as `registerModel`. The tolerance is the package
         manifest's `agreement_rule`: 0 for `exact`, K for
         `int8_max_abs_diff` with `max_steps` K (embedding models only).
         It never changes afterwards except by the owner's correction.
    @notice Registers a model package with its agreement rule.
    @param model_id The sha256 of the canonical model package.
    @param kind 0 embedding, 1 classification, 2 text generation.
    @param manifest_uri Where the package's manifest can be fetched.
    @param tolerance 0 exact, else 1..127 int8 steps (kind 0 only).
    """
    self._register(model_id, kind, manifest_uri, tolerance)


@external
def deprecateModel(model_id: bytes32):
    """
    @dev Only the model's publisher or the protocol owner. Tasks already
         created for the model run to their end.
    @notice Deprecates a model: no new task, registration or model list
            may use it from now on.
    @param model_id The model to deprecate.
    """
    status: uint8 = self._models[model_id].status
    assert status != STATUS_NONE, "registry: unknown model"
    assert status == STATUS_ACTIVE, "registry: model already deprecated"
    assert (
        msg.sender == self._models[model_id].publisher or msg.sender == ownable.owner
    ), "registry: caller is not the publisher or owner"
    self._models[model_id].status = STATUS_DEPRECATED
    self._active_index[model_id] = 0
    log ModelDeprecated(model_id=model_id, caller=msg.sender)


@external
def correctModel(model_id: bytes32, publisher: address, kind: uint8, manifest_uri: String[256]):
    """
    @dev Only the protocol owner, for a registration made by someone other
         than the package's real publisher. The model keeps its index,
         status and tolerance (`correctTolerance` changes it; a kind other
         than embedding needs tolerance 0 first); the new publisher may
         deprecate it from now on.
    @notice Rewrites a model's publisher, kind and manifest URI.
    @param model_id A registered model.
    @param publisher The package's real publisher.
    @param kind 0 embedding, 1 classification, 2 text generation.
    @param manifest_uri Where the package's manifest can be fetched.
    """
    ownable._check_owner()
    assert self._models[model_id].status != STATUS_NONE, "registry: unknown model"
    assert publisher != empty(address), "registry: zero publisher"
    assert kind <= MAX_KIND, "registry: unknown model kind"
    assert len(manifest_uri) != 0, "registry: empty manifest uri"
    self._check_tolerance(kind, self._tolerances[model_id])
    self._models[model_id].publisher = publisher
    self._models[model_id].kind = kind
    self._models[model_id].manifest_uri = manifest_uri
    log ModelCorrected(model_id=model_id, publisher=publisher, kind=kind, manifest_uri=manifest_uri)


@external
def reinstateModel(model_id: bytes32):
    """
    @dev Only the protocol owner, to undo a deprecation (for instance one
         made by whoever registered a known package first).
    @notice Makes a deprecated model active again.
    @param model_id A deprecated model.
    """
    ownable._check_owner()
    status: uint8 = self._models[model_id].status
    assert status != STATUS_NONE, "registry: unknown model"
    assert status == STATUS_DEPRECATED, "registry: model not deprecated"
    self._models[model_id].status = STATUS_ACTIVE
    self._active_index[model_id] = self._active_word(self._models[model_id].index, self._tolerances[model_id])
    log ModelReinstated(model_id=model_id)


@external
def correctTolerance(model_id: bytes32, tolerance: uint8):
    """
    @dev Only the protocol owner, for a registration whose rule is not the
         package manifest's (a squatter's tolerance would let wrong members
         of the model's tasks escape their slash). Tasks already created
         keep the rule they snapshotted.
    @notice Rewrites a model's agreement rule.
    @param model_id A registered model.
    @param tolerance 0 exact, else 1..127 int8 steps (embedding models only).
    """
    ownable._check_owner()
    status: uint8 = self._models[model_id].status
    assert status != STATUS_NONE, "registry: unknown model"
    self._check_tolerance(self._models[model_id].kind, tolerance)
    self._tolerances[model_id] = tolerance
    if status == STATUS_ACTIVE:
        self._active_index[model_id] = self._active_word(self._models[model_id].index, tolerance)
    log ModelToleranceSet(model_id=model_id, tolerance=tolerance)


@external
@view
def isActive(model_id: bytes32) -> bool:
    """
    @dev One storage read.
    @notice Whether a model is registered and not deprecated.
    @param model_id The model to look up.
    @return bool True when tasks may be created for the model.
    """
    return self._active_index[model_id] != 0


@external
@view
def activeIndex(model_id: bytes32) -> (bool, uint256):
    """
    @dev One storage read for the market's hot path.
    @notice A model's active flag and compact index.
    @param model_id The model to look up.
    @return bool Whether the model is active.
    @return uint256 Its index (0 for an unknown model).
    """
    packed: uint256 = self._active_index[model_id] & INDEX_MASK
    if packed == 0:
        return (False, 0)
    return (True, packed - 1)


@external
@view
def activeIndexAndTolerance(model_id: bytes32) -> (bool, uint256):
    """
    @dev One storage read for `createTask`, which stores the second value
         as it is in its task word (24 bits of index, 8 of tolerance).
    @notice A model's active flag, compact index and agreement rule.
    @param model_id The model to look up.
    @return bool Whether the model is active.
    @return uint256 index | tolerance << 24 (0 for an unknown model).
    """
    packed: uint256 = self._active_index[model_id]
    if packed == 0:
        return (False, 0)
    return (True, packed - 1)


@external
@view
def toleranceOf(model_id: bytes32) -> uint8:
    """
    @dev The rule of the package's manifest; 0 for an unknown model.
    @notice A model's agreement rule.
    @param model_id The model to look up.
    @return uint8 0 exact, else the most int8 steps by which two embedding
            outputs of the model may differ in every coordinate.
    """
    return self._tolerances[model_id]


@external
@pure
def embeddingsWithin(output: Bytes[canonical.MAX_OUTPUT], other: Bytes[canonical.MAX_OUTPUT], max_steps: uint256) -> bool:
    """
    @dev Both outputs must be canonical 384-d embedding outputs
         (`{"dim":384,"i8":"<base64>"}`, 531 bytes, standard alphabet, no
         padding), else it reverts with canonical's reason: each accepted
         string is then the one encoding of its 384 bytes. Coordinates are
         compared as signed int8 through 16-bit lanes (even bytes, then odd
         ones), 32 at a time; `max_steps` above 255 always agrees.
    @notice Whether two embedding outputs differ by at most `max_steps`
            int8 steps in every coordinate.
    @param output A 384-d embedding output.
    @param other Another.
    @param max_steps The tolerance, in int8 steps.
    @return bool Whether every coordinate is within `max_steps`.
    """
    if max_steps > 255:
        return True
    a: Bytes[canonical.EMBEDDING_DIM] = canonical._embedding_i8(output)
    b: Bytes[canonical.EMBEDDING_DIM] = canonical._embedding_i8(other)
    # Per lane: d = x - y + K + 2**14 with x, y the bytes as offset binary
    # (sign bit flipped, so that x - y is the signed difference); d lies in
    # (2**13, 2**15) and the difference is within K iff bit 14 of d is set
    # and bit 15 of d + 2**14 - 1 - 2K is clear.
    add: uint256 = (2**14 + max_steps) * LANES
    top: uint256 = (2**14 - 1 - 2 * max_steps) * LANES
    bad: uint256 = 0
    for w: uint256 in range(canonical.EMBEDDING_DIM // 32):
        x: uint256 = convert(extract32(a, 32 * w), uint256) ^ SIGN_BITS
        y: uint256 = convert(extract32(b, 32 * w), uint256) ^ SIGN_BITS
        for bits: uint256 in [0, 8]:
            d: uint256 = ((x >> bits) & LOW_BYTES) + add - ((y >> bits) & LOW_BYTES)
            bad |= (~d & (2**14 * LANES)) | ((d + top) & (2**15 * LANES))
    return bad == 0


@external
@view
def modelInfo(model_id: bytes32) -> ModelInfo:
    """
    @dev Zeros for an unknown model.
    @notice Everything the registry knows about a model.
    @param model_id The model to look up.
    @return ModelInfo Publisher, kind, status (0 unknown, 1 active,
            2 deprecated), index and manifest URI.
    """
    return self._models[model_id]


@internal
def _register(model_id: bytes32, kind: uint8, manifest_uri: String[256], tolerance: uint8):
    """
    @dev The caller becomes the model's publisher.
    @notice Registers a model package with its agreement rule.
    @param model_id The sha256 of the canonical model package.
    @param kind 0 embedding, 1 classification, 2 text generation.
    @param manifest_uri Where the package's manifest can be fetched.
    @param tolerance 0 exact, else 1..127 int8 steps (kind 0 only).
    """
    assert model_id != empty(bytes32), "registry: empty model id"
    assert kind <= MAX_KIND, "registry: unknown model kind"
    assert len(manifest_uri) != 0, "registry: empty manifest uri"
    assert self._models[model_id].status == STATUS_NONE, "registry: model already registered"
    self._check_tolerance(kind, tolerance)

    index: uint256 = self.model_count
    assert index < MAX_MODELS, "registry: too many models"
    self._models[model_id] = ModelInfo(
        publisher=msg.sender,
        kind=kind,
        status=STATUS_ACTIVE,
        index=index,
        manifest_uri=manifest_uri,
    )
    self.modelIdAt[index] = model_id
    self._active_index[model_id] = self._active_word(index, tolerance)
    self.model_count = index + 1
    log ModelRegistered(model_id=model_id, publisher=msg.sender, kind=kind, manifest_uri=manifest_uri)
    if tolerance != 0:
        self._tolerances[model_id] = tolerance
        log ModelToleranceSet(model_id=model_id, tolerance=tolerance)


@internal
@pure
def _check_tolerance(kind: uint8, tolerance: uint8):
    """
    @notice Reverts unless a tolerance suits a kind: 0 for every kind,
            1..127 for embeddings.
    @param kind The model kind.
    @param tolerance The agreement rule.
    """
    assert tolerance <= MAX_TOLERANCE, "registry: tolerance out of range"
    assert tolerance == 0 or kind == KIND_EMBEDDING, "registry: tolerance for embeddings only"


@internal
@pure
def _active_word(index: uint256, tolerance: uint8) -> uint256:
    """
    @notice The `_active_index` word of an active model.
    @param index Its compact index, below 2**24 - 1.
    @param tolerance Its agreement rule.
    @return uint256 index + 1 | tolerance << 24.
    """
    return (index + 1) | (convert(tolerance, uint256) << TOLERANCE_SHIFT)
