"""What a task is and where it stands: :class:`TaskInfo` and :class:`Committee`.

Built from the names PROTOCOL.md pins, so that they read v1 and v2 contracts alike:
a task's ``TaskCreated`` event (requester, model, fee, quorum, input, parents),
``committeeOf`` (one entry per seat, in seat order) and the ``Committed`` and
``Revealed`` events of its members. Only the windows come from the task view's
``commit_end`` and ``reveal_end`` fields, read by name (see
:meth:`oracles.client.market.Market.task_windows`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from eth_utils.address import to_checksum_address

from oracles.chain.abi import DecodedEvent
from oracles.protocol import Phase


@dataclass(frozen=True)
class TaskInfo:
    """A posted task as its ``TaskCreated`` event says, and its phase when read.

    ``committee_size`` is the number of seats asked for and ``draw_block`` the block
    whose hash draws them, as fixed at creation (both ``None`` where the contracts'
    ``TaskCreated`` does not carry them: v1; a task with parents draws from the block
    after its last parent's end if that comes later). ``tx_hash`` and ``block`` are
    those of its ``createTask`` transaction.
    """

    task_id: int
    phase: Phase
    requester: str
    model_id: bytes
    fee: int
    quorum: int
    committee_size: int | None
    draw_block: int | None
    input: bytes
    parents: tuple[int, ...]
    tx_hash: str
    block: int

    @classmethod
    def from_event(cls, created: DecodedEvent, phase: Phase) -> TaskInfo:
        """Read a ``TaskCreated`` event (decoded by field name)."""
        args = created.args
        size = args.get("committee_size")
        draw = args.get("draw_block")
        return cls(
            task_id=int(args["task_id"]),
            phase=phase,
            requester=to_checksum_address(args["requester"]),
            model_id=bytes(args["model_id"]),
            fee=int(args["fee"]),
            quorum=int(args["quorum"]),
            committee_size=None if size is None else int(size),
            draw_block=None if draw is None else int(draw),
            input=bytes(args["input"]),
            parents=tuple(int(p) for p in args["parents"]),
            tx_hash=created.log.tx_hash,
            block=created.log.block_number,
        )


@dataclass(frozen=True)
class Member:
    """One agent of a committee: its seats, and whether it committed and revealed.

    ``result_hash`` is the hash it revealed (``None`` until it reveals); its vote
    counts once per seat.
    """

    agent: str
    seats: int
    committed: bool
    revealed: bool
    result_hash: bytes | None


@dataclass(frozen=True)
class Committee:
    """A task's members in seat order (empty before it is seated) and its windows.

    ``commit_end`` and ``reveal_end`` are block timestamps (``None`` before the task
    starts).
    """

    members: tuple[Member, ...]
    commit_end: int | None
    reveal_end: int | None

    @property
    def seats(self) -> int:
        """Seats drawn (an agent may hold several)."""
        return sum(m.seats for m in self.members)

    @classmethod
    def from_chain(
        cls,
        seats: Sequence[str],
        commits: Iterable[DecodedEvent],
        reveals: Iterable[DecodedEvent],
        windows: tuple[int, int] | None,
    ) -> Committee:
        """From ``committeeOf`` and the task's ``Committed`` and ``Revealed`` events."""
        committed = {to_checksum_address(e.args["agent"]) for e in commits}
        revealed = {
            to_checksum_address(e.args["agent"]): bytes(e.args["result_hash"]) for e in reveals
        }
        agents = [to_checksum_address(a) for a in seats]
        members = tuple(
            Member(a, agents.count(a), a in committed, a in revealed, revealed.get(a))
            for a in dict.fromkeys(agents)
        )
        commit_end, reveal_end = windows if windows is not None else (None, None)
        return cls(members, commit_end, reveal_end)
