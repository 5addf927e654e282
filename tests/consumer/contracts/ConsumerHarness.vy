# pragma version ~=0.4.3
"""
@title Test harness of the consumer module
@license GNU Affero General Public License v3.0 only
@notice A minimal consumer: it posts whatever it is told (any committee, fee
        and tag), keeps the last output delivered to it, and hands refunds to
        whoever asks. The tests reach every path of `consumer.vy` through it,
        the ones the guestbook never takes included.
"""

from contracts.consumer import IMarket
from contracts.consumer import consumer

initializes: consumer

exports: consumer.__interface__


last_tag: public(uint256)
last_output: public(Bytes[8_192])


@deploy
def __init__(market_: IMarket, committee_size_: uint8, quorum_: uint8):
    """
    @notice Sets the market and the default committee.
    @param market_ The TaskMarket.
    @param committee_size_ Seats.
    @param quorum_ Quorum.
    """
    consumer.__init__(market_, committee_size_, quorum_)


@external
@payable
def fund():
    """
    @notice Adds `msg.value` to the balance tasks are paid from.
    """
    pass


@external
@payable
def post(model_id: bytes32, input: Bytes[4_096], fee: uint256, tag: uint256) -> uint256:
    """
    @notice `consumer._post`.
    @param model_id The model.
    @param input The task input.
    @param fee The fee.
    @param tag The tag.
    @return uint256 The task id.
    """
    return consumer._post(model_id, input, fee, tag)


@external
@payable
def postWith(
    model_id: bytes32,
    input: Bytes[4_096],
    committee_size_: uint8,
    quorum_: uint8,
    parents: DynArray[uint256, 8],
    fee: uint256,
    tag: uint256,
) -> uint256:
    """
    @notice `consumer._post_with`.
    @param model_id The model.
    @param input The task input.
    @param committee_size_ Seats.
    @param quorum_ Quorum.
    @param parents Parent tasks.
    @param fee The fee.
    @param tag The tag.
    @return uint256 The task id.
    """
    return consumer._post_with(model_id, input, committee_size_, quorum_, parents, fee, tag)


@external
def deliver(task_id: uint256, output: Bytes[8_192]):
    """
    @notice `consumer._accept`, then keeps the output and the tag.
    @param task_id The task.
    @param output Its output.
    """
    self.last_tag = consumer._accept(task_id, output)
    self.last_output = output


@external
def accept(task_id: uint256, output: Bytes[8_192]) -> uint256:
    """
    @notice `consumer._accept` alone (what the gas benchmark measures).
    @param task_id The task.
    @param output Its output.
    @return uint256 The tag.
    """
    return consumer._accept(task_id, output)


@external
@nonreentrant
def refund(task_id: uint256) -> (uint256, uint256):
    """
    @notice `consumer._refund`; the fee goes to the caller.
    @param task_id The task.
    @return uint256 The fee.
    @return uint256 The tag.
    """
    fee: uint256 = 0
    tag: uint256 = 0
    fee, tag = consumer._refund(task_id)
    send(msg.sender, fee)
    return (fee, tag)
