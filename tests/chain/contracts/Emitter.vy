# pragma version ~=0.4.3
"""
@title Emitter
@license AGPL-3.0-only
@notice Test contract of the chain layer: emits events on demand.
"""

event Ping:
    sender: indexed(address)
    n: indexed(uint256)
    note: String[64]

event Big:
    tag: indexed(String[32])
    values: DynArray[uint256, 4]
    blob: Bytes[64]


counter: public(uint256)


@external
def ping(count: uint256, note: String[64]):
    """
    @notice Emit `count` Ping events, numbered by a running counter.
    @param count How many events to emit (at most 50).
    @param note A note carried by every event.
    """
    for i: uint256 in range(count, bound=50):
        self.counter += 1
        log Ping(sender=msg.sender, n=self.counter, note=note)


@external
def big(tag: String[32], values: DynArray[uint256, 4], blob: Bytes[64]):
    """
    @notice Emit one Big event (dynamic types, indexed string).
    """
    log Big(tag=tag, values=values, blob=blob)


@external
def fail():
    """
    @notice Always reverts with a reason string.
    """
    raise "emitter: boom"
