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
        (publisher, kind, manifest URI) and reinstate a deprecated model.
"""

from snekmate.auth import ownable
from snekmate.auth import ownable_2step

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


# model_id -> ModelInfo.
_models: HashMap[bytes32, ModelInfo]
# index -> model_id; indices start at 0 and follow registration order.
modelIdAt: public(HashMap[uint256, bytes32])
# model_id -> index + 1 while active, 0 otherwise (one read for the market).
_active_index: HashMap[bytes32, uint256]
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
    @dev Permissionless: the caller becomes the model's publisher.
    @notice Registers a model package by its content hash.
    @param model_id The sha256 of the canonical model package.
    @param kind 0 embedding, 1 classification, 2 text generation.
    @param manifest_uri Where the package's manifest can be fetched.
    """
    assert model_id != empty(bytes32), "registry: empty model id"
    assert kind <= MAX_KIND, "registry: unknown model kind"
    assert len(manifest_uri) != 0, "registry: empty manifest uri"
    assert self._models[model_id].status == STATUS_NONE, "registry: model already registered"

    index: uint256 = self.model_count
    self._models[model_id] = ModelInfo(
        publisher=msg.sender,
        kind=kind,
        status=STATUS_ACTIVE,
        index=index,
        manifest_uri=manifest_uri,
    )
    self.modelIdAt[index] = model_id
    self._active_index[model_id] = index + 1
    self.model_count = index + 1
    log ModelRegistered(model_id=model_id, publisher=msg.sender, kind=kind, manifest_uri=manifest_uri)


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
         than the package's real publisher. The model keeps its index and
         status; the new publisher may deprecate it from now on.
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
    self._active_index[model_id] = self._models[model_id].index + 1
    log ModelReinstated(model_id=model_id)


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
    packed: uint256 = self._active_index[model_id]
    if packed == 0:
        return (False, 0)
    return (True, packed - 1)


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
