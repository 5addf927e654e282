# pragma version ~=0.4.3
"""
@title agentnet guestbook
@custom:contract-name Guestbook
@license GNU Affero General Public License v3.0 only
@notice A guestbook whose posts are published only when an agentnet
        committee classifies them as not spam. A post pays one task's fee
        (`taskFee()`): the guestbook posts a zero-shot classification of
        its text against the labels "spam" and "a genuine guestbook
        message" to the TaskMarket. Once the task is finalized, anyone
        (the poster's client, usually) calls `deliver` with its output:
        the post is published when the committee chose the genuine label,
        rejected otherwise. If the task fails, the poster takes the fee
        back with `reclaim`.

        It shows the consumer module's pattern: `deliver` calls
        `consumer._accept` first, then acts on the output it returns.
@custom:storage A post is one word (poster, status, task id) and its text;
        the published posts are a list of post ids.
"""

from .. import IMarket
from .. import canonical
from .. import consumer

initializes: consumer

exports: (
    consumer.__default__,
    consumer.market,
    consumer.committee_size,
    consumer.quorum,
    consumer.taskFee,
    consumer.requestOf,
    consumer.pendingRefunds,
    consumer.withdrawRefunds,
)


MAX_TEXT: constant(uint256) = 280
MAX_PAGE: constant(uint256) = 20
# The task input: the labels, then the text (json-safe, so no escaping).
INPUT_HEAD: constant(Bytes[64]) = b'{"labels":["spam","a genuine guestbook message"],"text":"'
INPUT_TAIL: constant(Bytes[2]) = b'"}'
# The index of "a genuine guestbook message" in the labels above.
GENUINE: constant(uint256) = 1
# What `PostRejected` reports when the output was no classification.
NO_LABEL: constant(uint256) = max_value(uint256)

STATUS_PENDING: constant(uint8) = 1
STATUS_PUBLISHED: constant(uint8) = 2
STATUS_REJECTED: constant(uint8) = 3
STATUS_REFUNDED: constant(uint8) = 4

# Post word: poster (bits 0-159) | status (160-167) | task id (168-255).
STATUS_SHIFT: constant(uint256) = 160
TASK_SHIFT: constant(uint256) = 168


struct Post:
    post_id: uint256
    poster: address
    task_id: uint256
    status: uint8
    text: String[MAX_TEXT]


event PostSubmitted:
    post_id: indexed(uint256)
    poster: indexed(address)
    task_id: indexed(uint256)
    text: String[MAX_TEXT]


event PostPublished:
    post_id: indexed(uint256)
    poster: indexed(address)
    text: String[MAX_TEXT]


event PostRejected:
    post_id: indexed(uint256)
    poster: indexed(address)
    label_index: uint256


event PostRefunded:
    post_id: indexed(uint256)
    poster: indexed(address)
    amount: uint256


# The classification model (all-MiniLM-L6-v2 zero-shot on the devnet).
model_id: public(immutable(bytes32))
# Posts ever submitted; ids run from 1.
post_count: public(uint256)
# Posts published; `published(i)` for i below it.
published_count: public(uint256)

_posts: HashMap[uint256, uint256]
_texts: HashMap[uint256, String[MAX_TEXT]]
_published: HashMap[uint256, uint256]


@deploy
def __init__(market_: IMarket, model_id_: bytes32, committee_size_: uint8, quorum_: uint8):
    """
    @dev The model must be a registered classification model.
    @notice Sets the market, the model and the committee of every post.
    @param market_ The agentnet TaskMarket.
    @param model_id_ The classification model.
    @param committee_size_ Seats per task, 1 to 16.
    @param quorum_ Seats that must agree, more than half.
    """
    consumer.__init__(market_, committee_size_, quorum_)
    model_id = model_id_


@external
@payable
@nonreentrant
def post(text: String[MAX_TEXT]) -> uint256:
    """
    @dev The whole `msg.value` becomes the task's fee (the market takes
         no less than `taskFee()`). The text may not hold a quote, a backslash or
         control characters: it goes into the task input unescaped.
    @notice Submits a post for the network's verdict.
    @param text 1 to 280 bytes of UTF-8.
    @return uint256 The post id.
    """
    assert len(text) != 0, "guestbook: empty text"
    raw: Bytes[MAX_TEXT] = convert(text, Bytes[MAX_TEXT])
    assert canonical._json_safe(raw), "guestbook: text holds a quote, backslash or control character"
    post_id: uint256 = self.post_count + 1
    self.post_count = post_id
    task_id: uint256 = consumer._post(
        model_id, concat(INPUT_HEAD, raw, INPUT_TAIL), msg.value, post_id
    )
    self._posts[post_id] = self._word(msg.sender, STATUS_PENDING, task_id)
    self._texts[post_id] = text
    log PostSubmitted(post_id=post_id, poster=msg.sender, task_id=task_id, text=text)
    return post_id


@external
@nonreentrant
def deliver(task_id: uint256, output: Bytes[consumer.MAX_OUTPUT]):
    """
    @dev Anyone, once the task is finalized: `consumer._accept` checks the
         output against the task's accepted result hash. An output that is
         no classification (the committee found the input invalid) rejects
         the post.
    @notice Publishes or rejects a post by the network's verdict.
    @param task_id The post's task.
    @param output The task's output (its `TaskFinalized` event).
    """
    post_id: uint256 = consumer._accept(task_id, output)
    word: uint256 = self._posts[post_id]
    poster: address = self._poster(word)
    ok: bool = False
    index: uint256 = 0
    ok, index = canonical._try_classification_index(output)
    if ok and index == GENUINE:
        self._posts[post_id] = self._word(poster, STATUS_PUBLISHED, task_id)
        self._published[self.published_count] = post_id
        self.published_count += 1
        log PostPublished(post_id=post_id, poster=poster, text=self._texts[post_id])
    else:
        self._posts[post_id] = self._word(poster, STATUS_REJECTED, task_id)
        if not ok:
            index = NO_LABEL
        log PostRejected(post_id=post_id, poster=poster, label_index=index)


@external
@nonreentrant
def reclaim(post_id: uint256):
    """
    @dev The poster only. The fee comes back from the market through
         `consumer._refund`, then goes to the poster.
    @notice Returns the fee of a post whose task failed.
    @param post_id The post.
    """
    word: uint256 = self._posts[post_id]
    poster: address = self._poster(word)
    assert poster != empty(address), "guestbook: unknown post"
    assert msg.sender == poster, "guestbook: not the poster"
    task_id: uint256 = word >> TASK_SHIFT
    fee: uint256 = 0
    tag: uint256 = 0
    fee, tag = consumer._refund(task_id)
    self._posts[post_id] = self._word(poster, STATUS_REFUNDED, task_id)
    log PostRefunded(post_id=post_id, poster=poster, amount=fee)
    ok: bool = raw_call(poster, b"", value=fee, revert_on_failure=False)
    assert ok, "guestbook: transfer failed"


@external
@view
def posts(post_id: uint256) -> Post:
    """
    @notice A post.
    @param post_id The post (1 to `post_count`).
    @return Post Its id, poster, task id, status (0 unknown, 1 pending, 2 published,
            3 rejected, 4 refunded) and text.
    """
    word: uint256 = self._posts[post_id]
    return Post(
        post_id=post_id,
        poster=self._poster(word),
        task_id=word >> TASK_SHIFT,
        status=convert((word >> STATUS_SHIFT) & 255, uint8),
        text=self._texts[post_id],
    )


@external
@view
def published(index: uint256) -> uint256:
    """
    @notice The id of the `index`-th published post (oldest first).
    @param index Below `published_count`.
    @return uint256 The post id (0 past the end).
    """
    return self._published[index]


@external
@view
def publishedPage(start: uint256, count: uint256) -> DynArray[Post, MAX_PAGE]:
    """
    @notice Published posts, oldest first, from the `start`-th.
    @param start The first index.
    @param count How many; at most 20 are returned.
    @return DynArray The posts (fewer at the end of the list).
    """
    page: DynArray[Post, MAX_PAGE] = []
    total: uint256 = self.published_count
    for i: uint256 in range(min(count, MAX_PAGE), bound=MAX_PAGE):
        if start + i >= total:
            break
        post_id: uint256 = self._published[start + i]
        word: uint256 = self._posts[post_id]
        page.append(
            Post(
                post_id=post_id,
                poster=self._poster(word),
                task_id=word >> TASK_SHIFT,
                status=STATUS_PUBLISHED,
                text=self._texts[post_id],
            )
        )
    return page


@internal
@pure
def _word(poster: address, status: uint8, task_id: uint256) -> uint256:
    """
    @notice Packs a post word.
    @param poster The poster.
    @param status The status.
    @param task_id The task (below 2**88).
    @return uint256 The word.
    """
    return (
        (task_id << TASK_SHIFT)
        | (convert(status, uint256) << STATUS_SHIFT)
        | convert(poster, uint256)
    )


@internal
@pure
def _poster(word: uint256) -> address:
    """
    @notice The poster of a post word.
    @param word The word.
    @return address The poster.
    """
    return convert(word & (2**160 - 1), address)
