"""Stateful test of the whole protocol: staking, draws, tasks, payments and slashes.

A hypothesis `RuleBasedStateMachine` drives many agents (varied stakes and model
lists), requesters and relayers through everything a user can do: tasks with and
without parents, activation (by anyone, or by a member's first commit), redraws of
draw blocks left out of reach, commits and reveals (direct from owner or signer,
relayed with EIP-712 signatures, batched), honest, wrong, silent and hiding members
and quorums that reveal a hash whose output nobody has, finalization (with the
output, or with none after the grace period), time and blocks passing across stake
epochs, stake changes, pokes, deregistration, model list and signer changes,
withdrawals, treasury withdrawals, pauses, parameter changes and a model
deprecation.

The test keeps its own ghost ledger of what every party should hold, including a
plain-Python copy of every model's lagged stake leaves (`fuzzing.reference.LeafBook`),
from which it predicts every committee seat by seat, and checks the contracts
against it after every step. Rules only draw valid input (the machine knows the
state), so every call is expected to succeed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import boa
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from deployments.boa_chain import EPOCH_BLOCKS, block_hash, block_number, mine
from tests.contracts.fuzzing.reference import LeafBook
from tests.contracts.stateful.conftest import World
from tests.contracts.stateful.profiles import LONG, PROFILE
from tests.contracts.utils.draws import draw_seed, reference_draw
from tests.contracts.utils.protocol import (
    ETHER,
    commitment,
    sign_commit,
    sign_reveal,
)

# Phases, as `taskPhase` reports them.
WAITING, COMMIT, REVEAL, READY, SUCCEEDED, FAILED = 1, 2, 3, 4, 5, 6
# Agent status, as `statusOf` reports it.
NONE, ACTIVE, DEREGISTERED = 0, 1, 2
BLOCKHASH_WINDOW = 256

WRONG_OUTPUTS = [b'{"error":"bad_a"}', b'{"error":"bad_b"}']
ZERO_ADDRESS = "0x" + "00" * 20
ZERO_HASH = b"\x00" * 32
ROUTES = ["owner", "signer", "by_sig", "batch"]
salts = st.binary(min_size=32, max_size=32)
routes = st.sampled_from(ROUTES)
# play_task: how a member behaves ("hides" commits the honest output, never reveals;
# "unknown" reveals the hash of an output nobody will show).
BEHAVIOURS = ["honest"] * 8 + ["wrong_a", "wrong_b", "silent", "hides", "unknown"]


def honest_output(task_id: int) -> bytes:
    return b'{"dim":384,"i8":"' + str(task_id).encode() + b'"}'


def unknown_hash(task_id: int) -> bytes:
    return keccak(b"an output nobody has, task " + str(task_id).encode())


@dataclass
class GhostAgent:
    owner: str
    signer: LocalAccount
    status: int
    stake: int
    pending: int = 0
    unbond_at: int = 0
    unbond_epoch: int = 0
    models: list[bytes] = field(default_factory=list)
    agreed: int = 0
    disagreed: int = 0
    missed: int = 0


@dataclass
class GhostTask:
    task_id: int
    requester: str
    model: bytes
    fee: int
    size: int
    quorum: int
    parents: list[int]
    draw_block: int
    # The parameter version of its creation.
    commit_window: int
    reveal_window: int
    slash_missed: int
    slash_wrong: int
    seats: list[str] = field(default_factory=list)
    start: int = 0
    commit_end: int = 0
    commits: dict[str, tuple[bytes, bytes]] = field(default_factory=dict)  # hash, salt
    reveals: dict[str, bytes] = field(default_factory=dict)  # member -> result hash
    final: int = 0  # 0 open, SUCCEEDED or FAILED
    final_block: int = 0

    @property
    def members(self) -> list[str]:
        return list(dict.fromkeys(self.seats))

    @property
    def reveal_end(self) -> int:
        return self.commit_end + self.reveal_window


class StatefulBase(RuleBasedStateMachine):
    """Ghost ledger and helpers; the world is injected by the test function."""

    world: World

    def __init__(self) -> None:
        super().__init__()
        w = self.world
        self.registry = w.protocol.registry
        self.staking = w.protocol.staking
        self.market = w.protocol.market
        self.owner = w.protocol.owner
        self.params = w.params
        self.min_stake = w.params.min_stake
        self.grace = w.params.grace_period
        self.version = (
            w.params.commit_window,
            w.params.reveal_window,
            w.params.slash_missed,
            w.params.slash_wrong,
        )

        self.agents: dict[str, GhostAgent] = {}
        self.books: dict[bytes, LeafBook] = {m: LeafBook() for m in w.models}
        for keys, served in zip(w.agents, w.agent_models, strict=True):
            a = GhostAgent(
                owner=keys.owner,
                signer=keys.signer,
                status=ACTIVE,
                stake=self.staking.stakeOf(keys.owner),
                models=list(served),
            )
            self.agents[keys.owner] = a
            for m in served:
                self.books[m].set_weight(a.owner, self.weight(a), w.registered_epoch)
        for keys in w.spares:
            self.agents[keys.owner] = GhostAgent(
                owner=keys.owner, signer=keys.signer, status=NONE, stake=0
            )
        self.model_active = {m: True for m in w.models}
        self.deprecatable = w.models[2]
        self.requesters = list(w.requesters)
        self.relayer = w.outsiders[0]
        self.receiver = w.outsiders[1]

        self.tasks: dict[int, GhostTask] = {}
        self.claimable: dict[str, int] = {}
        self.treasury_market = 0
        self.treasury_staking = 0
        self.fees_in = 0
        self.fees_settled = 0
        self.paused_staking = False
        self.paused_market = False
        # Agents whose per-model weights the next invariant pass looks at closely.
        self.dirty: set[str] = set(self.agents)

    # ------------------------------------------------------------ ghost views

    @property
    def now(self) -> int:
        return boa.env.timestamp

    @property
    def epoch(self) -> int:
        return block_number() // EPOCH_BLOCKS

    def weight(self, a: GhostAgent) -> int:
        if a.status != ACTIVE:
            return 0
        free = a.stake - a.pending
        return free if free >= self.min_stake else 0

    def sync(self, a: GhostAgent, old_models: list[bytes] | None = None) -> None:
        """What the contract's `_sync`/`_sync_models` writes into the trees."""
        for m in old_models or []:
            if m not in a.models:
                self.books[m].set_weight(a.owner, 0, self.epoch)
        for m in a.models:
            self.books[m].set_weight(a.owner, self.weight(a), self.epoch)
        self.dirty.add(a.owner)

    def phase(self, t: GhostTask) -> int:
        if t.final:
            return t.final
        if t.start == 0:
            return WAITING
        if len(t.reveals) == len(t.members):
            return READY
        if self.now < t.commit_end:
            return COMMIT
        if self.now < t.reveal_end:
            return REVEAL
        return READY

    def open_tasks(self, agent: str) -> int:
        return sum(1 for t in self.tasks.values() if t.start and not t.final and agent in t.members)

    def escrow(self) -> int:
        return sum(t.fee for t in self.tasks.values() if not t.final)

    def credit(self, account: str, amount: int) -> None:
        self.claimable[account] = self.claimable.get(account, 0) + amount

    def active_models(self) -> list[bytes]:
        return [m for m, ok in self.model_active.items() if ok]

    def accounts(self) -> list[str]:
        return [*self.agents, *self.requesters, self.relayer, self.receiver]

    def eligible_now(self, model: bytes) -> bool:
        """Whether a task created now finds weight in its draw block's epoch."""
        return bool(self.books[model].draw_leaves((block_number() + 1) // EPOCH_BLOCKS))

    def draw_state(self, t: GhostTask) -> tuple[str, int]:
        """What `activate` would do with a waiting task now, and its draw block."""
        draw_block = t.draw_block
        parents = [self.tasks[p] for p in t.parents]
        if any(not p.final for p in parents):
            return "parents_open", draw_block
        if any(p.final == FAILED for p in parents):
            return "parent_failed", draw_block
        for p in parents:
            draw_block = max(draw_block, p.final_block + 1)
        if block_number() <= draw_block:
            return "not_mined", draw_block
        if block_number() - draw_block > BLOCKHASH_WINDOW:
            return "stale", draw_block
        return "ready", draw_block

    def expected_seats(self, t: GhostTask, draw_block: int) -> list[str]:
        leaves = self.books[t.model].draw_leaves(draw_block // EPOCH_BLOCKS)
        return reference_draw(leaves, t.size, draw_seed(block_hash(draw_block), t.task_id))

    def seat(self, t: GhostTask, draw_block: int) -> None:
        """A task was just seated: check its committee against the reference draw."""
        seats = [str(a) for a in self.market.committeeOf(t.task_id)]
        assert seats == self.expected_seats(t, draw_block), "the committee is not the fair draw"
        t.seats = seats
        t.draw_block = draw_block
        t.start = self.now
        t.commit_end = self.now + t.commit_window

    def fail_unstarted(self, t: GhostTask) -> None:
        t.final = FAILED
        t.final_block = block_number()
        self.credit(t.requester, t.fee)
        self.fees_settled += t.fee

    def slash(self, agent: str, amount: int) -> int:
        a = self.agents[agent]
        taken = min(amount, a.stake)
        a.stake -= taken
        a.pending = min(a.pending, a.stake)
        self.treasury_staking += taken
        self.dirty.add(agent)
        return taken


class ProtocolMachine(StatefulBase):
    @initialize(data=st.data())
    def first_tasks(self, data: st.DataObject) -> None:
        """Every example starts with a task or two waiting for their draw block."""
        for _ in range(data.draw(st.integers(1, 2), label="n_tasks")):
            self.create_task(data, parents=False)

    # ------------------------------------------------------------ requesters

    @precondition(lambda self: not self.paused_market)
    @rule(data=st.data())
    def create_task(self, data: st.DataObject, parents: bool = True) -> None:
        """A requester posts a task, with or without parents; it draws nothing yet."""
        models = [m for m in self.active_models() if self.eligible_now(m)]
        if not models:
            return
        with_parents = (
            parents and bool(self.tasks) and data.draw(st.booleans(), label="with_parents")
        )
        model = data.draw(st.sampled_from(models), label="model")
        size = data.draw(st.integers(1, 5), label="size")
        quorum = data.draw(st.integers(size // 2 + 1, size), label="quorum")
        fee = self.params.min_fee_per_agent * size + data.draw(
            st.integers(0, 10**16), label="fee_extra"
        )
        parent_ids: list[int] = []
        if with_parents:
            parent_ids = data.draw(
                st.lists(st.sampled_from(sorted(self.tasks)), min_size=1, max_size=3, unique=True),
                label="parents",
            )
        requester = data.draw(st.sampled_from(self.requesters), label="requester")

        with boa.env.prank(requester):
            task_id = self.market.createTask(
                model, b'{"text":"hello"}', size, quorum, parent_ids, value=fee
            )
        assert task_id == len(self.tasks) + 1, "task ids start at 1 and increase by one"
        self.tasks[task_id] = GhostTask(
            task_id=task_id,
            requester=requester,
            model=model,
            fee=fee,
            size=size,
            quorum=quorum,
            parents=parent_ids,
            draw_block=block_number() + 1,
            commit_window=self.version[0],
            reveal_window=self.version[1],
            slash_missed=self.version[2],
            slash_wrong=self.version[3],
        )
        self.fees_in += fee
        assert self.market.committeeOf(task_id) == []
        if data.draw(st.integers(0, 3), label="blocks_pass"):
            mine(2)  # mostly, the chain moves on and the draw block is mined

    def _activatable(self) -> list[GhostTask]:
        return [
            t
            for t in self.tasks.values()
            if not t.final
            and t.start == 0
            and self.draw_state(t)[0] not in ("parents_open", "not_mined")
        ]

    @rule(data=st.data())
    def activate(self, data: st.DataObject) -> None:
        """Anyone activates a waiting task: it is seated, fails (a parent failed, or
        no weight in its epoch), or gets a new draw block (the old one out of reach)."""
        if not self._activatable():
            return
        t = data.draw(st.sampled_from(self._activatable()), label="task")
        self._activate(t, data.draw(st.sampled_from(self.accounts()), label="caller"))

    def _activate(self, t: GhostTask, caller: str) -> None:
        state, draw_block = self.draw_state(t)
        with boa.env.prank(caller):
            self.market.activate(t.task_id)
        if state == "parent_failed" or (
            state == "ready" and not self.expected_seats(t, draw_block)
        ):
            event(f"activate: fails ({state})")
            self.fail_unstarted(t)
            assert self.market.committeeOf(t.task_id) == []
        elif state == "stale":
            event("activate: redraw")
            t.draw_block = block_number() + 1
            assert self.market.getTask(t.task_id).draw_block == t.draw_block
        else:
            event("activate: seated" + (" (child)" if t.parents else ""))
            self.seat(t, draw_block)

    # ------------------------------------------------------------ members

    def _seatable_by_commit(self) -> list[GhostTask]:
        """Waiting tasks a member's first commit would seat."""
        return [
            t
            for t in self.tasks.values()
            if not t.final
            and t.start == 0
            and self.draw_state(t)[0] == "ready"
            and self.expected_seats(t, self.draw_state(t)[1])
        ]

    def _pending_commits(self) -> list[tuple[int, str]]:
        return [
            (t.task_id, m)
            for t in self.tasks.values()
            if self.phase(t) == COMMIT
            for m in t.members
            if m not in t.commits
        ]

    def _pending_reveals(self) -> list[tuple[int, str]]:
        return [
            (t.task_id, m)
            for t in self.tasks.values()
            if self.phase(t) == REVEAL
            for m in t.members
            if m in t.commits and m not in t.reveals
        ]

    def _members_of(self, pending: list[tuple[int, str]], data: st.DataObject) -> list:
        """One task's pending members, a non-empty subset of them."""
        task_id = data.draw(st.sampled_from(sorted({tid for tid, _ in pending})), label="task")
        members = [m for tid, m in pending if tid == task_id]
        chosen = data.draw(
            st.lists(st.sampled_from(members), min_size=1, max_size=len(members), unique=True),
            label="members",
        )
        return [(task_id, m) for m in chosen]

    def _send_commits(self, entries: list[tuple[int, str, bytes, bytes, str]]) -> None:
        """Commit (task_id, member, result_hash, salt, route) items; "batch" ones in one
        call. A waiting task is seated by the first of its items."""
        batch = []
        for task_id, member, result_hash, salt, route in entries:
            t = self.tasks[task_id]
            seating = t.start == 0
            if seating:
                draw_block = self.draw_state(t)[1]
            signer = self.agents[member].signer
            c = commitment(task_id, member, result_hash, salt)
            if route in ("owner", "signer"):
                with boa.env.prank(member if route == "owner" else signer.address):
                    self.market.commit(task_id, c)
            else:
                sig = sign_commit(signer, self.market.address, task_id, member, c)
                if route == "batch" and not seating:
                    batch.append((task_id, member, c, sig))
                else:
                    with boa.env.prank(self.relayer):
                        self.market.commitBySig(task_id, member, c, sig)
            if seating:
                event("commit: seats a waiting task")
                self.seat(t, draw_block)
            if route != "batch" or seating:
                self._committed(t, member, result_hash, salt)
        if batch:
            with boa.env.prank(self.relayer):
                applied = self.market.commitBatch(*(list(col) for col in zip(*batch, strict=True)))
            assert applied == len(batch)
            for task_id, member, result_hash, salt, route in entries:
                t = self.tasks[task_id]
                if route == "batch" and member not in t.commits:
                    self._committed(t, member, result_hash, salt)

    def _committed(self, t: GhostTask, member: str, result_hash: bytes, salt: bytes) -> None:
        t.commits[member] = (result_hash, salt)
        if len(t.commits) == len(t.members):
            # The last commit brings the end of the commit phase forward.
            t.commit_end = self.now

    def _send_reveals(self, entries: list[tuple[int, str, str]]) -> None:
        """Reveal (task_id, member, route) items; "batch" ones in one call."""
        batch = []
        for task_id, member, route in entries:
            h, salt = self.tasks[task_id].commits[member]
            signer = self.agents[member].signer
            if route in ("owner", "signer"):
                with boa.env.prank(member if route == "owner" else signer.address):
                    self.market.reveal(task_id, h, salt)
            else:
                sig = sign_reveal(signer, self.market.address, task_id, member, h, salt)
                if route == "batch":
                    batch.append((task_id, member, h, salt, sig))
                else:
                    with boa.env.prank(self.relayer):
                        self.market.revealBySig(task_id, member, h, salt, sig)
        if batch:
            with boa.env.prank(self.relayer):
                applied = self.market.revealBatch(*(list(col) for col in zip(*batch, strict=True)))
            assert applied == len(batch)
        for task_id, member, _ in entries:
            t = self.tasks[task_id]
            t.reveals[member] = t.commits[member][0]

    def _result_hash(self, data: st.DataObject, task_id: int) -> bytes:
        return data.draw(
            st.sampled_from(
                [
                    keccak(honest_output(task_id)),
                    *(keccak(o) for o in WRONG_OUTPUTS),
                    unknown_hash(task_id),
                ]
            ),
            label="result_hash",
        )

    @rule(data=st.data())
    def commit(self, data: st.DataObject) -> None:
        """Some members of a task commit (honest or not); the others stay silent. A
        member may be the one whose commit seats a waiting task."""
        pending = self._pending_commits()
        seatable = self._seatable_by_commit()
        if seatable and (not pending or data.draw(st.booleans(), label="seat_by_commit")):
            t = data.draw(st.sampled_from(seatable), label="waiting")
            member = data.draw(
                st.sampled_from(self.expected_seats(t, self.draw_state(t)[1])), label="member"
            )
            pending = [(t.task_id, member)]
            chosen = pending
        elif pending:
            chosen = self._members_of(pending, data)
        else:
            return
        entries = [
            (
                task_id,
                member,
                self._result_hash(data, task_id),
                data.draw(salts, label="salt"),
                data.draw(routes, label="route"),
            )
            for task_id, member in chosen
        ]
        self._send_commits(entries)

    @rule(data=st.data())
    def reveal(self, data: st.DataObject) -> None:
        """Some committed members of a task reveal; the others stay silent for now."""
        if not self._pending_reveals():
            return
        entries = [
            (task_id, member, data.draw(routes, label="route"))
            for task_id, member in self._members_of(self._pending_reveals(), data)
        ]
        self._send_reveals(entries)

    def _fresh(self) -> list[GhostTask]:
        return [t for t in self.tasks.values() if self.phase(t) == COMMIT and not t.commits]

    @rule(data=st.data())
    def play_task(self, data: st.DataObject) -> None:
        """A task's whole round: every member is honest, wrong, silent, hides (commits,
        never reveals) or reveals a hash of nothing; time runs to the reveal phase and
        past it, then anyone finalizes. Mostly honest members. Plays a fresh task, or
        seats a waiting one first."""
        if not self._fresh():
            ready = [t for t in self._activatable() if self.draw_state(t)[0] == "ready"]
            if not ready and not self.paused_market:
                self.create_task(data, parents=False)
                mine(2)
                ready = [t for t in self._activatable() if self.draw_state(t)[0] == "ready"]
            for t in ready:
                self._activate(t, self.relayer)
                if self._fresh():
                    break
        if not self._fresh():
            return
        t = data.draw(st.sampled_from(self._fresh()), label="task")
        plan = {m: data.draw(st.sampled_from(BEHAVIOURS), label="behaviour") for m in t.members}
        commits = []
        for m, behaviour in plan.items():
            if behaviour == "silent":
                continue
            if behaviour in ("honest", "hides"):
                h = keccak(honest_output(t.task_id))
            elif behaviour == "unknown":
                h = unknown_hash(t.task_id)
            else:
                h = keccak(WRONG_OUTPUTS[behaviour == "wrong_b"])
            commits.append((t.task_id, m, h, data.draw(salts), data.draw(routes)))
        self._send_commits(commits)
        if self.phase(t) == COMMIT:
            boa.env.time_travel(seconds=t.commit_end - self.now)
        self._send_reveals(
            [
                (t.task_id, m, data.draw(routes))
                for m, b in plan.items()
                if b not in ("silent", "hides")
            ]
        )
        if self.phase(t) != READY:
            boa.env.time_travel(seconds=t.reveal_end - self.now)
        if not self._finalizable(t) and data.draw(st.booleans(), label="wait_grace"):
            # The quorum's hash has no output: wait out the grace period.
            boa.env.time_travel(seconds=t.reveal_end + self.grace - self.now)
        if self._finalizable(t):
            self.finalize(data, task=t)

    def _deadlines(self) -> list[int]:
        """One second before, at and after every open task's phases end."""
        out = set()
        for t in self.tasks.values():
            if t.start and not t.final:
                for end in (t.commit_end, t.reveal_end, t.reveal_end + self.grace):
                    out.update(x for x in (end - 1, end, end + 1) if x > self.now)
        return sorted(out)

    @rule(data=st.data())
    def time_travel(self, data: st.DataObject) -> None:
        """Time passes: a few seconds, an unbonding period, up to a deadline, or whole
        blocks (past draw blocks, out of their reach, into the next epoch)."""
        deadlines = [d - self.now for d in self._deadlines()]
        seconds = st.sampled_from([1, 5, 20]) | st.just(self.params.unbonding_period)
        if deadlines:
            seconds = seconds | st.sampled_from(deadlines)
        if data.draw(st.booleans(), label="blocks"):
            mine(data.draw(st.sampled_from([1, 2, 3, EPOCH_BLOCKS, BLOCKHASH_WINDOW + 2])))
        else:
            boa.env.time_travel(seconds=data.draw(seconds, label="seconds"))

    # ------------------------------------------------------------ finalize

    def _outcome(self, t: GhostTask) -> tuple[bytes, int]:
        """The hash holding the most seats (first in member order) and its seats."""
        held = Counter(t.seats)
        tally: dict[bytes, int] = {}
        for m in t.members:
            if m in t.reveals:
                tally[t.reveals[m]] = tally.get(t.reveals[m], 0) + held[m]
        best, best_seats = ZERO_HASH, 0
        for m in t.members:
            if m in t.reveals and tally[t.reveals[m]] > best_seats:
                best, best_seats = t.reveals[m], tally[t.reveals[m]]
        return best, best_seats

    def _output_of(self, result_hash: bytes, task_id: int) -> bytes | None:
        for output in (honest_output(task_id), *WRONG_OUTPUTS):
            if keccak(output) == result_hash:
                return output
        return None

    def _finalizable(self, t: GhostTask) -> bool:
        """Ready, and either its winning output is known or the grace period is over."""
        if self.phase(t) != READY:
            return False
        best, best_seats = self._outcome(t)
        if best_seats < t.quorum or self._output_of(best, t.task_id) is not None:
            return True
        return self.now >= t.reveal_end + self.grace

    def _ready(self) -> list[GhostTask]:
        return [t for t in self.tasks.values() if self._finalizable(t)]

    @rule(data=st.data())
    def finalize(self, data: st.DataObject, task: GhostTask | None = None) -> None:
        """Anyone finalizes a task that is ready: with the winning output, or, after
        the grace period, with none; the ghost settles it alongside."""
        if task is None and not self._ready():
            return
        t = task or data.draw(st.sampled_from(self._ready()), label="task")
        best, best_seats = self._outcome(t)
        quorum = best_seats >= t.quorum
        known = self._output_of(best, t.task_id) if quorum else None
        after_grace = self.now >= t.reveal_end + self.grace
        if quorum and known is not None and not (after_grace and data.draw(st.booleans())):
            output = known
        elif quorum:
            output = b""  # nobody backs the quorum's hash: only after the grace period
        else:
            output = data.draw(st.binary(max_size=8), label="ignored")
        succeeded = quorum and keccak(output) == best

        held = Counter(t.seats)
        before = {m: (self.staking.stakeOf(m), self.market.claimable(m)) for m in t.members}
        with boa.env.prank(data.draw(st.sampled_from(self.accounts()), label="caller")):
            self.market.finalize(t.task_id, output)

        share = t.fee // best_seats if succeeded else 0
        if succeeded:
            self.treasury_market += t.fee - share * best_seats
        else:
            self.credit(t.requester, t.fee)
        for m in t.members:
            a = self.agents[m]
            if m not in t.reveals:
                a.missed += 1
                self.slash(m, t.slash_missed * held[m])
            elif succeeded and t.reveals[m] == best:
                a.agreed += 1
                self.credit(m, share * held[m])
            elif succeeded or (quorum and t.reveals[m] == best):
                a.disagreed += 1
                self.slash(m, t.slash_wrong * held[m])
        t.final = SUCCEEDED if succeeded else FAILED
        t.final_block = block_number()
        self.fees_settled += t.fee
        event(
            "finalize: "
            + ("succeeded" if succeeded else "quorum unbacked" if quorum else "no quorum")
            + (", multi-seat member" if len(t.members) < t.size else "")
        )
        assert share * best_seats <= t.fee, "fee paid out exceeds the fee escrowed"

        assert self.market.taskResult(t.task_id) == (t.final, best if succeeded else ZERO_HASH)
        # An honest majority of seats is never slashed and is always paid, when its
        # output is supplied.
        honest = [m for m in t.members if t.reveals.get(m) == keccak(honest_output(t.task_id))]
        if sum(held[m] for m in honest) >= t.quorum and output == honest_output(t.task_id):
            assert succeeded
            for m in honest:
                stake, claimable = before[m]
                assert self.staking.stakeOf(m) == stake, "an honest majority member was slashed"
                assert self.market.claimable(m) == claimable + share * held[m]
        for m in t.members:
            a = self.agents[m]
            assert self.market.reputation(m) == (a.agreed, a.disagreed, a.missed)
            assert self.market.openTasks(m) == self.open_tasks(m)

    @rule(data=st.data())
    def keeper_sweeps(self, data: st.DataObject) -> None:
        """A keeper finalizes every task that can be, then activates every waiting
        task it can (this is what frees stake for withdrawal)."""
        for t in self._ready():
            self.finalize(data, task=t)
        for _ in range(len(self.tasks)):
            if not self._activatable():
                break
            self._activate(self._activatable()[0], self.relayer)

    # ------------------------------------------------------------ agents

    def _agent_actions(self) -> list[str]:
        """The agent actions that some agent can take now."""
        can = {
            "register": not self.paused_staking and self._with_status(NONE),
            "add_stake": not self.paused_staking and self._with_status(ACTIVE),
            "request_unstake": self._unstakable(),
            "withdraw_stake": self._withdrawable(),
            "deregister": self._with_status(ACTIVE),
            "set_models": not self.paused_staking and self._with_status(ACTIVE),
            "set_signer": self._with_status(ACTIVE, DEREGISTERED),
            "leave": self._unstakable(),
            "poke": self._with_status(ACTIVE, DEREGISTERED),
        }
        return [name for name, ok in can.items() if ok]

    @precondition(lambda self: self._agent_actions())
    @rule(data=st.data())
    def agent_acts(self, data: st.DataObject) -> None:
        """An agent owner registers, restakes, unstakes, withdraws, leaves or changes
        its models or signer, or anyone pokes an agent (one rule, so that these do
        not crowd out the task rules)."""
        action = data.draw(st.sampled_from(self._agent_actions()), label="agent_action")
        getattr(self, action)(data)

    def _with_status(self, *status: int) -> list[GhostAgent]:
        return [a for a in self.agents.values() if a.status in status]

    def register(self, data: st.DataObject) -> None:
        a = data.draw(st.sampled_from(self._with_status(NONE)), label="agent")
        stake = data.draw(st.integers(self.min_stake, 3 * ETHER), label="stake")
        models = data.draw(
            st.lists(st.sampled_from(self.active_models()), min_size=1, max_size=3, unique=True),
            label="models",
        )
        signer = Account.create()
        with boa.env.prank(a.owner):
            self.staking.register(signer.address, models, "", value=stake)
        a.status, a.stake, a.pending, a.unbond_at, a.unbond_epoch = ACTIVE, stake, 0, 0, 0
        a.signer, a.models = signer, list(models)
        self.sync(a)

    def add_stake(self, data: st.DataObject) -> None:
        a = data.draw(st.sampled_from(self._with_status(ACTIVE)), label="agent")
        amount = data.draw(st.integers(1, 2 * ETHER), label="amount")
        with boa.env.prank(a.owner):
            self.staking.addStake(value=amount)
        a.stake += amount
        self.sync(a)

    def _unstakable(self) -> list[GhostAgent]:
        return [a for a in self._with_status(ACTIVE, DEREGISTERED) if a.stake > a.pending]

    def _unbond(self, a: GhostAgent) -> None:
        a.unbond_at = self.now + self.params.unbonding_period
        a.unbond_epoch = self.epoch

    def request_unstake(self, data: st.DataObject) -> None:
        a = data.draw(st.sampled_from(self._unstakable()), label="agent")
        amount = data.draw(st.integers(1, a.stake - a.pending), label="amount")
        with boa.env.prank(a.owner):
            self.staking.requestUnstake(amount)
        a.pending += amount
        self._unbond(a)
        self.sync(a)

    def _withdrawable(self) -> list[GhostAgent]:
        return [
            a
            for a in self._with_status(ACTIVE, DEREGISTERED)
            if (a.pending or (a.status == DEREGISTERED and a.stake == 0))
            and self.now >= a.unbond_at
            and self.epoch >= a.unbond_epoch + 2
            and self.open_tasks(a.owner) == 0
        ]

    def withdraw_stake(self, data: st.DataObject) -> None:
        self._withdraw_stake(data.draw(st.sampled_from(self._withdrawable()), label="agent"))

    def _withdraw_stake(self, a: GhostAgent) -> None:
        event("agent: withdraws stake")
        amount = min(a.pending, a.stake)
        balance = boa.env.get_balance(a.owner)
        with boa.env.prank(a.owner):
            self.staking.withdrawStake()
        assert boa.env.get_balance(a.owner) == balance + amount
        a.stake -= amount
        a.pending = 0
        if a.status == DEREGISTERED and a.stake == 0:
            a.status, a.models, a.unbond_at, a.unbond_epoch = NONE, [], 0, 0
            assert self.staking.agentOfSigner(a.signer.address) == ZERO_ADDRESS
        else:
            self.sync(a)
        self.dirty.add(a.owner)

    def leave(self, data: st.DataObject) -> None:
        """Unstake part or all (deregister), wait out the unbonding period and the
        epoch lag while a keeper settles the agent's tasks, then withdraw the stake."""
        a = data.draw(st.sampled_from(self._unstakable()), label="agent")
        if a.status == ACTIVE and data.draw(st.booleans(), label="deregister"):
            with boa.env.prank(a.owner):
                self.staking.deregister()
            a.status, a.pending = DEREGISTERED, a.stake
        else:
            amount = data.draw(st.integers(1, a.stake - a.pending), label="amount")
            with boa.env.prank(a.owner):
                self.staking.requestUnstake(amount)
            a.pending += amount
        self._unbond(a)
        self.sync(a)
        boa.env.time_travel(seconds=self.params.unbonding_period)
        self.keeper_sweeps(data)
        mine(max(0, (a.unbond_epoch + 2) * EPOCH_BLOCKS - block_number()))
        boa.env.time_travel(seconds=self.grace + 1)
        self.keeper_sweeps(data)
        if a in self._withdrawable():
            self._withdraw_stake(a)

    def deregister(self, data: st.DataObject) -> None:
        a = data.draw(st.sampled_from(self._with_status(ACTIVE)), label="agent")
        with boa.env.prank(a.owner):
            self.staking.deregister()
        a.status = DEREGISTERED
        a.pending = a.stake
        self._unbond(a)
        self.sync(a)

    def set_models(self, data: st.DataObject) -> None:
        a = data.draw(st.sampled_from(self._with_status(ACTIVE)), label="agent")
        models = data.draw(
            st.lists(st.sampled_from(self.active_models()), min_size=1, max_size=3, unique=True),
            label="models",
        )
        with boa.env.prank(a.owner):
            self.staking.setModels(models)
        old, a.models = a.models, list(models)
        self.sync(a, old)

    def set_signer(self, data: st.DataObject) -> None:
        a = data.draw(st.sampled_from(self._with_status(ACTIVE, DEREGISTERED)), label="agent")
        old, new = a.signer, Account.create()
        with boa.env.prank(a.owner):
            self.staking.setSigner(new.address)
        a.signer = new
        assert self.staking.resolveAgent(old.address) == ZERO_ADDRESS
        assert self.staking.resolveAgent(new.address) == a.owner

    def poke(self, data: st.DataObject) -> None:
        """Anyone brings an agent's weights in line with its (slashed) stake."""
        a = data.draw(st.sampled_from(self._with_status(ACTIVE, DEREGISTERED)), label="agent")
        with boa.env.prank(self.relayer):
            self.staking.poke(a.owner)
        self.sync(a)

    # ------------------------------------------------------------ payments

    def _creditors(self) -> list[str]:
        return [acct for acct, amount in self.claimable.items() if amount]

    @precondition(lambda self: self._creditors())
    @rule(data=st.data())
    def withdraw(self, data: st.DataObject) -> None:
        account = data.draw(st.sampled_from(self._creditors()), label="account")
        to_other = data.draw(st.booleans(), label="to_other")
        receiver = self.receiver if to_other else account
        amount = self.claimable[account]
        balance = boa.env.get_balance(receiver)
        with boa.env.prank(account):
            if to_other:
                self.market.withdrawTo(receiver)
            else:
                self.market.withdraw()
        assert boa.env.get_balance(receiver) == balance + amount
        self.claimable[account] = 0

    # ------------------------------------------------------------ owner

    def _owner_actions(self) -> list[str]:
        can = {
            "withdraw_treasury": self.treasury_market or self.treasury_staking,
            "toggle_pause": True,
            "deprecate_model": self.model_active[self.deprecatable],
            "set_slash_amounts": True,
            "set_windows": True,
        }
        return [name for name, ok in can.items() if ok]

    @rule(data=st.data())
    def owner_acts(self, data: st.DataObject) -> None:
        """The protocol owner (or the model publisher, for the deprecation)."""
        action = data.draw(st.sampled_from(self._owner_actions()), label="owner_action")
        getattr(self, action)(data)

    def withdraw_treasury(self, data: st.DataObject) -> None:
        choices = []
        if self.treasury_market:
            choices.append("market")
        if self.treasury_staking:
            choices.append("staking")
        which = data.draw(st.sampled_from(choices), label="contract")
        held = self.treasury_market if which == "market" else self.treasury_staking
        amount = data.draw(st.integers(1, held), label="amount")
        balance = boa.env.get_balance(self.receiver)
        contract = self.market if which == "market" else self.staking
        with boa.env.prank(self.owner):
            contract.withdrawTreasury(self.receiver, amount)
        assert boa.env.get_balance(self.receiver) == balance + amount
        if which == "market":
            self.treasury_market -= amount
        else:
            self.treasury_staking -= amount

    def toggle_pause(self, data: st.DataObject) -> None:
        which = data.draw(st.sampled_from(["market", "staking"]), label="contract")
        contract = self.market if which == "market" else self.staking
        paused = self.paused_market if which == "market" else self.paused_staking
        with boa.env.prank(self.owner):
            if paused:
                contract.unpause()
            else:
                contract.pause()
        assert contract.paused() == (not paused)
        if which == "market":
            self.paused_market = not paused
        else:
            self.paused_staking = not paused

    def deprecate_model(self, data: st.DataObject) -> None:
        with boa.env.prank(self.world.publisher):
            self.registry.deprecateModel(self.deprecatable)
        self.model_active[self.deprecatable] = False

    def set_slash_amounts(self, data: st.DataObject) -> None:
        missed = data.draw(st.integers(0, ETHER // 5), label="slash_missed")
        wrong = data.draw(st.integers(0, ETHER // 5), label="slash_wrong")
        with boa.env.prank(self.owner):
            self.market.setSlashAmounts(missed, wrong)
        self.version = (self.version[0], self.version[1], missed, wrong)

    def set_windows(self, data: st.DataObject) -> None:
        commit_window = data.draw(st.integers(2, 60), label="commit_window")
        reveal_window = data.draw(st.integers(2, 60), label="reveal_window")
        with boa.env.prank(self.owner):
            self.market.setWindows(commit_window, reveal_window)
        self.version = (commit_window, reveal_window, self.version[2], self.version[3])

    # ------------------------------------------------------------ views

    @rule(data=st.data())
    def views_never_revert(self, data: st.DataObject) -> None:
        """Every view answers for any id or address (getTask: known ids only)."""
        n = len(self.tasks)
        task_id = data.draw(
            st.one_of(st.integers(0, n + 2), st.integers(0, 2**256 - 1)), label="task_id"
        )
        addr = data.draw(
            st.one_of(
                st.sampled_from(
                    self.accounts() + [self.agents[a].signer.address for a in self.agents]
                ),
                st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex()),
            ),
            label="address",
        )
        model = data.draw(
            st.one_of(
                st.sampled_from(list(self.model_active)), st.binary(min_size=32, max_size=32)
            ),
            label="model",
        )
        word = data.draw(st.binary(min_size=32, max_size=32), label="word")
        m, s, r = self.market, self.staking, self.registry

        phase = m.taskPhase(task_id)
        assert phase == (self.phase(self.tasks[task_id]) if task_id in self.tasks else 0)
        if task_id in self.tasks:
            view, t = m.getTask(task_id), self.tasks[task_id]
            assert (view.requester, view.model_id, view.fee) == (t.requester, t.model, t.fee)
            assert (view.quorum, list(view.parents)) == (t.quorum, t.parents)
            assert (view.commit_window, view.reveal_window) == (t.commit_window, t.reveal_window)
            assert (view.slash_missed, view.slash_wrong) == (t.slash_missed, t.slash_wrong)
            assert [str(v.agent) for v in view.members] == t.members
            assert view.start == t.start
            if t.start:
                assert view.draw_block == t.draw_block
                assert view.commit_end == t.commit_end
                assert view.reveal_end == t.reveal_end
                assert [str(a) for a in m.previewCommittee(task_id)] == t.seats
        else:
            with boa.reverts("market: unknown task"):
                m.getTask(task_id)
        m.taskResult(task_id)
        m.committeeOf(task_id)
        m.previewCommittee(task_id)
        m.memberState(task_id, addr)
        m.claimable(addr)
        m.openTasks(addr)
        m.reputation(addr)
        m.task_count()
        m.escrowed()
        for getter in ("min_fee_per_agent", "commit_window", "reveal_window", "slash_missed"):
            getattr(m, getter)()
        m.slash_wrong(), m.grace_period(), m.params_version(), m.paramsAt(task_id % 8)
        m.treasury_balance(), m.owner(), m.pending_owner(), m.paused()
        m.eip712Domain(), m.registry(), m.staking()

        s.agentsForModel(model)
        s.eligibleCount(model)
        s.totalWeight(model)
        s.leafStats(model)
        s.weightOf(addr, model)
        s.weightAt(addr, model, self.epoch)
        size = data.draw(st.integers(0, 3), label="size")
        drawn = [str(a) for a in s.drawCommittee(model, size, word, self.epoch)]
        if model in self.model_active:
            leaves = self.books[model].draw_leaves(self.epoch)
            assert drawn == reference_draw(leaves, size, word)
        s.stakeOf(addr), s.pendingUnstakeOf(addr), s.unbondAt(addr), s.signerOf(addr)
        s.agentOfSigner(addr), s.modelsOf(addr), s.statusOf(addr), s.endpointOf(addr)
        s.reputation(addr), s.agentInfo(addr), s.resolveAgent(addr)
        s.withdrawableFromEpoch(addr), s.currentEpoch(), s.epochBlocks()
        s.min_stake(), s.unbonding_period(), s.treasury_balance(), s.total_staked()
        s.market(), s.registry(), s.owner(), s.pending_owner(), s.paused()

        r.isActive(model), r.activeIndex(model), r.modelInfo(model)
        r.modelIdAt(task_id), r.model_count()

    # ------------------------------------------------------------ invariants

    @invariant()
    def eth_is_accounted(self) -> None:
        """ETH held == stakes + escrow of open tasks + claimable + both treasuries."""
        stakes = sum(a.stake for a in self.agents.values())
        claimable = sum(self.claimable.values())
        escrow = self.escrow()
        held_staking = boa.env.get_balance(self.staking.address)
        held_market = boa.env.get_balance(self.market.address)
        assert held_staking + held_market == (
            stakes + escrow + claimable + self.treasury_market + self.treasury_staking
        )
        assert held_staking == stakes + self.treasury_staking
        assert self.staking.total_staked() == stakes
        assert self.staking.treasury_balance() == self.treasury_staking
        assert self.market.escrowed() == escrow
        assert self.market.treasury_balance() == self.treasury_market

    @invariant()
    def fees_are_conserved(self) -> None:
        """Fees paid out (shares, remainders, refunds) never exceed fees escrowed."""
        assert self.fees_settled + self.escrow() == self.fees_in
        assert self.fees_settled <= self.fees_in

    @invariant()
    def stakes_change_only_by_own_action_or_earned_slash(self) -> None:
        """The ghost changes a stake only in the owner's own rules and in the
        slashes `finalize` owes it; the contract must agree for every agent."""
        for a in self.agents.values():
            assert self.staking.stakeOf(a.owner) == a.stake, a.owner

    @invariant()
    def claimables_follow_ghost(self) -> None:
        for account in self.accounts():
            assert self.market.claimable(account) == self.claimable.get(account, 0), account

    @invariant()
    def weights_follow_ghost(self) -> None:
        for model, book in self.books.items():
            assert [str(a) for a in self.staking.agentsForModel(model)] == book.eligible()
            assert self.staking.totalWeight(model) == sum(book.weight.values())
            assert self.staking.totalWeightAt(model, self.epoch) == sum(
                w for _, w in book.draw_leaves(self.epoch)
            )
        for owner in self.dirty:
            a = self.agents[owner]
            assert self.staking.statusOf(owner) == a.status
            assert self.staking.unbondAt(owner) == a.unbond_at
            assert self.staking.pendingUnstakeOf(owner) == a.pending
            for model, book in self.books.items():
                assert self.staking.weightOf(owner, model) == book.weight_now(owner)
        self.dirty = set()

    @invariant()
    def phases_follow_ghost(self) -> None:
        for t in self.tasks.values():
            if not t.final:
                assert self.market.taskPhase(t.task_id) == self.phase(t), t.task_id
        members = {m for t in self.tasks.values() if t.start and not t.final for m in t.members}
        for m in members:
            assert self.market.openTasks(m) == self.open_tasks(m)

    @invariant()
    def no_task_outlives_its_grace_period(self) -> None:
        """Past reveal_end + grace_period, anyone ends any started task with
        `finalize(task_id, b"")` (tried, then rolled back)."""
        for t in self.tasks.values():
            if t.start and not t.final and self.now >= t.reveal_end + self.grace:
                with boa.env.anchor():
                    self.market.finalize(t.task_id, b"")
                    assert self.market.taskPhase(t.task_id) in (SUCCEEDED, FAILED)
                    for m in t.members:
                        assert self.market.openTasks(m) == self.open_tasks(m) - 1

    @invariant()
    def open_counts_drain(self) -> None:
        """Once every seated task is finalized, no agent has an open task."""
        if all(t.final or not t.start for t in self.tasks.values()):
            for a in self.agents:
                assert self.market.openTasks(a) == 0


# Deep runs take hours: lift the suite-wide pytest-timeout for them.
@pytest.mark.timeout(0 if LONG else 900)
def test_protocol_state_machine(world: World) -> None:
    ProtocolMachine.world = world
    run_state_machine_as_test(ProtocolMachine, settings=settings(parent=PROFILE))
