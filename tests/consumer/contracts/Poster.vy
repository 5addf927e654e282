# pragma version ~=0.4.3
"""
@title A contract that posts to a guestbook, for the tests
@license GNU Affero General Public License v3.0 only
@notice It posts, reclaims, and when the refund arrives either tries to reclaim
        again from inside the transfer (keeping the answer) or refuses the ETH.
"""

interface IGuestbook:
    def post(text: String[280]) -> uint256: payable
    def reclaim(post_id: uint256): nonpayable


MODE_ACCEPT: constant(uint8) = 0
MODE_REENTER: constant(uint8) = 1
MODE_REFUSE: constant(uint8) = 2

mode: public(uint8)
guestbook: public(IGuestbook)
post_id: public(uint256)
reentered: public(bool)
reentry_ok: public(bool)
reentry_data: public(Bytes[256])


@external
@payable
def post(guestbook_: IGuestbook, text: String[280]) -> uint256:
    """
    @notice Posts `text` paying `msg.value`.
    @param guestbook_ The guestbook.
    @param text The text.
    @return uint256 The post id.
    """
    self.guestbook = guestbook_
    self.post_id = extcall guestbook_.post(text, value=msg.value)
    return self.post_id


@external
def reclaim(mode_: uint8):
    """
    @notice Reclaims its post's fee, behaving as `mode_` when the ETH arrives.
    @param mode_ 0 accept, 1 reenter `reclaim`, 2 refuse.
    """
    self.mode = mode_
    extcall self.guestbook.reclaim(self.post_id)


@external
@payable
def __default__():
    """
    @notice Receives the refund.
    """
    if self.mode == MODE_REFUSE:
        raise "poster: refused"
    if self.mode == MODE_REENTER and not self.reentered:
        self.reentered = True
        ok: bool = False
        data: Bytes[256] = b""
        ok, data = raw_call(
            self.guestbook.address,
            concat(method_id("reclaim(uint256)"), convert(self.post_id, bytes32)),
            max_outsize=256,
            revert_on_failure=False,
        )
        self.reentry_ok = ok
        self.reentry_data = data
