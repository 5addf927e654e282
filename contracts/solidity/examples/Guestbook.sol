// SPDX-License-Identifier: AGPL-3.0-only
pragma solidity ^0.8.28;

import {AgentnetConsumer} from "../AgentnetConsumer.sol";
import {AgentnetCanonical} from "../AgentnetCanonical.sol";
import {ITaskMarket} from "../interfaces/ITaskMarket.sol";

/// @title Guestbook
/// @notice A guestbook whose posts are published only when an agentnet committee
///         classifies them as not spam. A post pays one task's fee (`taskFee()`): the
///         guestbook posts a zero-shot classification of its text against the labels
///         "spam" and "a genuine guestbook message". Once the task is finalized, anyone
///         (the poster's client, usually) calls `deliver` with its output: the post is
///         published when the committee chose the genuine label, rejected otherwise. If
///         the task fails, the poster takes the fee back with `reclaim`.
///
///         The Solidity twin of contracts/consumer/examples/Guestbook.vy: the same ABI,
///         events and revert reasons.
contract Guestbook is AgentnetConsumer {
    uint256 private constant MAX_TEXT = 280;
    uint256 private constant MAX_PAGE = 20;
    bytes private constant INPUT_HEAD = '{"labels":["spam","a genuine guestbook message"],"text":"';
    bytes private constant INPUT_TAIL = '"}';
    // The index of "a genuine guestbook message" in the labels above.
    uint256 private constant GENUINE = 1;
    // What `PostRejected` reports when the output was no classification.
    uint256 private constant NO_LABEL = type(uint256).max;

    uint8 private constant STATUS_PENDING = 1;
    uint8 private constant STATUS_PUBLISHED = 2;
    uint8 private constant STATUS_REJECTED = 3;
    uint8 private constant STATUS_REFUNDED = 4;
    // Post word: poster (bits 0-159) | status (160-167) | task id (168-255).
    uint256 private constant STATUS_SHIFT = 160;
    uint256 private constant TASK_SHIFT = 168;

    struct Post {
        uint256 post_id;
        address poster;
        uint256 task_id;
        uint8 status;
        string text;
    }

    event PostSubmitted(
        uint256 indexed post_id, address indexed poster, uint256 indexed task_id, string text
    );
    event PostPublished(uint256 indexed post_id, address indexed poster, string text);
    event PostRejected(uint256 indexed post_id, address indexed poster, uint256 label_index);
    event PostRefunded(uint256 indexed post_id, address indexed poster, uint256 amount);

    /// @notice The classification model (all-MiniLM-L6-v2 zero-shot on the devnet).
    bytes32 public immutable model_id;
    /// @notice Posts ever submitted; ids run from 1.
    uint256 public post_count;
    /// @notice Posts published; `published(i)` for i below it.
    uint256 public published_count;

    mapping(uint256 => uint256) private _posts;
    mapping(uint256 => string) private _texts;
    mapping(uint256 => uint256) private _published;

    /// @param market_ The agentnet TaskMarket.
    /// @param model_id_ A registered classification model.
    /// @param committee_size_ Seats per task, 1 to 16.
    /// @param quorum_ Seats that must agree, more than half.
    constructor(ITaskMarket market_, bytes32 model_id_, uint8 committee_size_, uint8 quorum_)
        AgentnetConsumer(market_, committee_size_, quorum_)
    {
        model_id = model_id_;
    }

    /// @notice Submits a post for the network's verdict; `msg.value` is the task's fee.
    /// @param text 1 to 280 bytes of UTF-8, without `"`, `\` or control characters.
    /// @return post_id The post id.
    function post(string calldata text) external payable nonReentrant returns (uint256 post_id) {
        bytes memory raw = bytes(text);
        require(raw.length != 0, "guestbook: empty text");
        require(raw.length <= MAX_TEXT, "guestbook: text over 280 bytes");
        require(
            AgentnetCanonical.jsonSafe(raw),
            "guestbook: text holds a quote, backslash or control character"
        );
        post_id = post_count + 1;
        post_count = post_id;
        uint256 task_id = _post(model_id, bytes.concat(INPUT_HEAD, raw, INPUT_TAIL), msg.value, post_id);
        _posts[post_id] = _word(msg.sender, STATUS_PENDING, task_id);
        _texts[post_id] = text;
        emit PostSubmitted(post_id, msg.sender, task_id, text);
    }

    /// @notice Returns the fee of a post whose task failed (the poster only).
    /// @param post_id The post.
    function reclaim(uint256 post_id) external nonReentrant {
        uint256 word = _posts[post_id];
        address poster = address(uint160(word));
        require(poster != address(0), "guestbook: unknown post");
        require(msg.sender == poster, "guestbook: not the poster");
        uint256 task_id = word >> TASK_SHIFT;
        (uint256 fee,) = _refund(task_id);
        _posts[post_id] = _word(poster, STATUS_REFUNDED, task_id);
        emit PostRefunded(post_id, poster, fee);
        (bool ok,) = poster.call{value: fee}("");
        require(ok, "guestbook: transfer failed");
    }

    /// @notice A post: its id, poster, task id, status (0 unknown, 1 pending, 2 published,
    ///         3 rejected, 4 refunded) and text.
    function posts(uint256 post_id) external view returns (Post memory) {
        uint256 word = _posts[post_id];
        return Post(
            post_id,
            address(uint160(word)),
            word >> TASK_SHIFT,
            uint8(word >> STATUS_SHIFT),
            _texts[post_id]
        );
    }

    /// @notice The id of the `index`-th published post (oldest first; 0 past the end).
    function published(uint256 index) external view returns (uint256) {
        return _published[index];
    }

    /// @notice Published posts, oldest first, from the `start`-th; at most 20.
    function publishedPage(uint256 start, uint256 count) external view returns (Post[] memory page) {
        uint256 total = published_count;
        uint256 n = count < MAX_PAGE ? count : MAX_PAGE;
        if (start >= total) n = 0;
        else if (total - start < n) n = total - start;
        page = new Post[](n);
        for (uint256 i = 0; i < n; i++) {
            uint256 post_id = _published[start + i];
            uint256 word = _posts[post_id];
            page[i] = Post(
                post_id, address(uint160(word)), word >> TASK_SHIFT, STATUS_PUBLISHED, _texts[post_id]
            );
        }
    }

    /// @dev The network's verdict: published when the committee chose the genuine label.
    function _onResult(uint256 task_id, uint256 post_id, bytes calldata output) internal override {
        address poster = address(uint160(_posts[post_id]));
        (bool ok, uint256 index) = AgentnetCanonical.tryClassificationIndex(output);
        if (ok && index == GENUINE) {
            _posts[post_id] = _word(poster, STATUS_PUBLISHED, task_id);
            _published[published_count] = post_id;
            published_count += 1;
            emit PostPublished(post_id, poster, _texts[post_id]);
        } else {
            _posts[post_id] = _word(poster, STATUS_REJECTED, task_id);
            emit PostRejected(post_id, poster, ok ? index : NO_LABEL);
        }
    }

    function _word(address poster, uint8 status, uint256 task_id) private pure returns (uint256) {
        return (task_id << TASK_SHIFT) | (uint256(status) << STATUS_SHIFT) | uint256(uint160(poster));
    }
}
