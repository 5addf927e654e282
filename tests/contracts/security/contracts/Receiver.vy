# pragma version ~=0.4.3
"""
@title Hostile receiver (test double)
@license GNU Affero General Public License v3.0 only
@notice A contract account that plays agent owner, requester or protocol
        owner through `execute`, and misbehaves when it receives ETH: once
        armed, its `__default__` calls back into a target (re-entrancy);
        with `reject` set, it reverts on every ETH transfer.
"""

operator: public(address)
reject: public(bool)
armed: public(bool)
target: public(address)
payload: public(Bytes[1_024])
attempts: public(uint256)
reentry_succeeded: public(bool)
received: public(uint256)


@deploy
def __init__(reject_: bool):
    """
    @param reject_ Whether to revert on every incoming ETH transfer.
    """
    self.operator = msg.sender
    self.reject = reject_


@external
def execute(target: address, data: Bytes[2_048], amount: uint256):
    """
    @notice Calls `target` with `data` and `amount` wei of this contract's
            ETH, bubbling up a revert.
    @param target The contract to call.
    @param data The calldata.
    @param amount Wei to send along.
    """
    assert msg.sender == self.operator, "receiver: caller is not the operator"
    raw_call(target, data, value=amount)


@external
def arm(target: address, payload: Bytes[1_024]):
    """
    @notice On the next ETH received, call `target` with `payload` once.
    @param target The contract to re-enter.
    @param payload The calldata of the re-entrant call.
    """
    assert msg.sender == self.operator, "receiver: caller is not the operator"
    self.target = target
    self.payload = payload
    self.armed = True


@external
@payable
def __default__():
    assert not self.reject, "receiver: no ETH, thanks"
    self.received += msg.value
    if self.armed:
        self.armed = False
        self.attempts += 1
        self.reentry_succeeded = raw_call(self.target, self.payload, revert_on_failure=False)
