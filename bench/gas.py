"""Gas per call and per task life, measured on titanoboa's in-process EVM.

Every figure is what a transaction would pay: 21,000 + calldata (4 gas per
zero byte, 16 per non-zero byte) + execution, less the storage refund (capped
at a fifth of the total, EIP-3529). Each call starts as a fresh transaction:
cold accounts and slots, original storage values reset (EIP-2929/2200).

A task's life: `createTask` in block N; its committee is fixed once block N + 1 is
mined; the first member's commit seats it (activation by commit, what workers do)
or, in the "keeper" rows, a separate `activate`; commits, reveals, `finalize`.
The measured tasks have one member per seat (the draw block is chosen so), the
most storage a committee of that size can take. Figures are steady state: the
committee agents have finished a task before, so their ledger word is not zero.

The tolerance table measures tasks of a model registered with an agreement
rule of one int8 step (`registerModelWithTolerance`): finalize with all hashes
equal (the common path: the same gas as an exact model), finalize with one member
whose slash is deferred, `proveAgreement` (two 384-d embedding outputs one step
apart) and `settleDeferred` after the dispute window.

    python bench/gas.py               # tables
    python bench/gas.py --json        # one JSON object
    python bench/gas.py --tolerance   # the tolerance table alone
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import boa  # noqa: E402
from eth_account import Account  # noqa: E402
from eth_utils import keccak  # noqa: E402

from deployments.boa_chain import install_block_hashes, mine, to_next_epoch  # noqa: E402
from deployments.boa_deploy import deploy  # noqa: E402
from deployments.boa_gas import measure  # noqa: E402
from deployments.params import Params  # noqa: E402
from oracles.protocol import commitment  # noqa: E402
from tests.contracts.utils.draws import distinct, move_to_draw  # noqa: E402
from tests.contracts.utils.embeddings import embedding_output  # noqa: E402
from tests.contracts.utils.protocol import sign_commit, sign_reveal  # noqa: E402

ETHER = 10**18
OUTPUT = b'{"dim":384,"i8":"' + b"A" * 512 + b'"}'  # a 384-d int8 embedding, base64
INPUT = b'{"text":"The quick brown fox jumps over the lazy dog."}'
# OUTPUT with one coordinate one int8 step away, and two steps away.
ONE_STEP = embedding_output([1] + [0] * 383)
TWO_STEPS = embedding_output([2] + [0] * 383)

# Published figures of similar systems, for comparison.
REFERENCES = {
    "Ritual Infernet create+deliver (1 unverified response)": 352_544,
    "Chainlink Functions sendRequest + fulfill": 286_243 + 334_643,
}
V1_COMMITTEE_3_BATCHED = 540_553  # protocol v1, bench/RESULTS.md: the ceiling
AIM_COMMITTEE_3_BATCHED = 450_000


class Network:
    """A deployed protocol with `n_agents` agents serving one model, drawable."""

    def __init__(self, n_agents: int, params: Params | None = None, tolerance: int = 0) -> None:
        install_block_hashes()
        self.params = params or Params()
        self.protocol = deploy(self.params)
        self.market = self.protocol.market
        self.staking = self.protocol.staking
        self.model_id = keccak(b"bench model")
        registry = self.protocol.registry
        if tolerance:
            registry.registerModelWithTolerance(
                self.model_id, 0, "file://bench/manifest.json", tolerance
            )
        else:
            registry.registerModel(self.model_id, 0, "file://bench/manifest.json")
        self.signers: dict[str, Any] = {}
        self.register_gas: list[int] = []
        for i in range(n_agents):
            self.add_agent(ETHER + i * 10**16)
        to_next_epoch()
        self.requester = boa.env.generate_address()
        boa.env.set_balance(self.requester, 10_000 * ETHER)
        self.relayer = boa.env.generate_address()
        boa.env.set_balance(self.relayer, ETHER)

    def add_agent(self, stake: int) -> str:
        owner = boa.env.generate_address()
        signer = Account.create()
        boa.env.set_balance(owner, stake + ETHER)
        _, gas = measure(
            self.staking.register,
            signer.address,
            [self.model_id],
            "http://127.0.0.1:9000",
            sender=owner,
            value=stake,
        )
        self.register_gas.append(gas)
        self.signers[str(owner)] = signer
        return str(owner)

    def create(self, size: int, one_member_per_seat: bool = True) -> tuple[int, int]:
        """A task whose committee (once block N + 1 is mined) has `size` distinct
        members; returns (task id, createTask gas)."""
        if one_member_per_seat and size > 1:
            move_to_draw(self.staking, self.model_id, size, self.market.task_count() + 1, distinct)
        fee = self.params.min_fee_per_agent * size * 10
        task_id, gas = measure(
            self.market.createTask,
            self.model_id,
            INPUT,
            size,
            size // 2 + 1,
            [],
            sender=self.requester,
            value=fee,
        )
        return task_id, gas

    def _signed_commits(self, task_id: int, members: list[str]) -> tuple[list, list]:
        result_hash = keccak(OUTPUT)
        salts = {m: os.urandom(32) for m in members}
        commits = [commitment(task_id, m, result_hash, salts[m]) for m in members]
        address = self.market.address
        csigs = [
            sign_commit(self.signers[m], address, task_id, m, c)
            for m, c in zip(members, commits, strict=True)
        ]
        rsigs = [
            sign_reveal(self.signers[m], address, task_id, m, result_hash, salts[m])
            for m in members
        ]
        return [commits, csigs], [[salts[m] for m in members], rsigs]

    def life(self, size: int, batched: bool, keeper: bool = False) -> dict[str, int]:
        """One task's whole life; returns gas per step."""
        gas: dict[str, int] = {}
        task_id, gas["createTask"] = self.create(size)
        mine(2)
        if keeper:
            _, gas["activate"] = measure(self.market.activate, task_id, sender=self.relayer)
        members = list(dict.fromkeys(str(a) for a in self.market.previewCommittee(task_id)))
        (commits, csigs), (salts, rsigs) = self._signed_commits(task_id, members)
        result_hash = keccak(OUTPUT)
        if batched:
            _, gas["commitBatch"] = measure(
                self.market.commitBatch,
                [task_id] * len(members),
                members,
                commits,
                csigs,
                sender=self.relayer,
            )
            _, gas["revealBatch"] = measure(
                self.market.revealBatch,
                [task_id] * len(members),
                members,
                [result_hash] * len(members),
                salts,
                rsigs,
                sender=self.relayer,
            )
        else:
            gas["commit"] = 0
            for m, c in zip(members, commits, strict=True):
                _, g = measure(self.market.commit, task_id, c, sender=self.signers[m].address)
                gas["commit"] += g
            gas["reveal"] = 0
            for m, salt in zip(members, salts, strict=True):
                _, g = measure(
                    self.market.reveal, task_id, result_hash, salt, sender=self.signers[m].address
                )
                gas["reveal"] += g
        _, gas["finalize"] = measure(self.market.finalize, task_id, OUTPUT, sender=members[0])
        assert self.market.taskPhase(task_id) == 5
        gas["total"] = sum(v for k, v in gas.items() if k != "total")
        _, gas["withdraw (per agent)"] = measure(self.market.withdraw, sender=members[0])
        return gas

    def dissent(self, outputs: list[bytes]) -> tuple[int, list[str], int]:
        """A task whose distinct members reveal `outputs` (direct calls), the first
        output winning; returns (task id, members, finalize gas)."""
        task_id, _ = self.create(len(outputs))
        mine(2)
        members = list(dict.fromkeys(str(a) for a in self.market.previewCommittee(task_id)))
        salts = [os.urandom(32) for _ in members]
        for m, out, salt in zip(members, outputs, salts, strict=True):
            c = commitment(task_id, m, keccak(out), salt)
            measure(self.market.commit, task_id, c, sender=self.signers[m].address)
        for m, out, salt in zip(members, outputs, salts, strict=True):
            measure(self.market.reveal, task_id, keccak(out), salt, sender=self.signers[m].address)
        _, gas = measure(self.market.finalize, task_id, outputs[0], sender=members[0])
        assert self.market.taskPhase(task_id) == 5
        return task_id, members, gas

    def warm_up(self, size: int) -> None:
        """Run tasks until every agent has a non-zero ledger word (steady state)."""
        for _ in range(200):
            if all(self.market.reputation(o)[0] for o in self.signers):
                return
            self.life(size, batched=False)

    def batched_across_tasks(self, size: int, tasks: int) -> dict[str, int]:
        """`tasks` tasks created in one block, whose commits and reveals go in one
        batch each (the first item of each task seats it); gas per task."""
        create = 0
        ids = []
        for _ in range(tasks):
            task_id, g = self.create(size, one_member_per_seat=False)
            create += g
            ids.append(task_id)
        mine(2)
        rows: list[tuple[int, str, bytes, bytes, bytes, bytes]] = []
        for task_id in ids:
            members = list(dict.fromkeys(str(a) for a in self.market.previewCommittee(task_id)))
            (commits, csigs), (salts, rsigs) = self._signed_commits(task_id, members)
            rows += list(
                zip([task_id] * len(members), members, commits, csigs, salts, rsigs, strict=True)
            )
        result_hash = keccak(OUTPUT)
        _, commit_gas = measure(
            self.market.commitBatch,
            [r[0] for r in rows],
            [r[1] for r in rows],
            [r[2] for r in rows],
            [r[3] for r in rows],
            sender=self.relayer,
        )
        _, reveal_gas = measure(
            self.market.revealBatch,
            [r[0] for r in rows],
            [r[1] for r in rows],
            [result_hash] * len(rows),
            [r[4] for r in rows],
            [r[5] for r in rows],
            sender=self.relayer,
        )
        finalize = 0
        for task_id in ids:
            _, g = measure(self.market.finalize, task_id, OUTPUT, sender=self.relayer)
            finalize += g
        per_task = {
            "createTask": create // tasks,
            "commitBatch": commit_gas // tasks,
            "revealBatch": reveal_gas // tasks,
            "finalize": finalize // tasks,
        }
        per_task["total"] = sum(per_task.values())
        per_task["members, all tasks"] = len(rows)
        return per_task


BATCH_TASKS = 8


def tolerance_table() -> dict[str, int]:
    """Committee 3 (three members), direct calls, steady state: the common path of
    an exact and of a tolerant model (K = 1), and the dispute path."""
    out: dict[str, int] = {}
    exact = Network(n_agents=5)
    exact.warm_up(3)
    out["exact model: finalize, all hashes equal"] = exact.life(3, batched=False)["finalize"]
    _, _, out["exact model: finalize, one member slashed"] = exact.dissent(
        [OUTPUT, OUTPUT, ONE_STEP]
    )
    tolerant = Network(n_agents=5, tolerance=1)
    tolerant.warm_up(3)
    out["tolerant model: finalize, all hashes equal"] = tolerant.life(3, batched=False)["finalize"]
    task_id, members, out["tolerant model: finalize, one member held"] = tolerant.dissent(
        [OUTPUT, OUTPUT, ONE_STEP]
    )
    _, out["proveAgreement (384-d, one step)"] = measure(
        tolerant.market.proveAgreement,
        task_id,
        members[2],
        OUTPUT,
        ONE_STEP,
        sender=tolerant.relayer,
    )
    task_id, members, _ = tolerant.dissent([OUTPUT, OUTPUT, TWO_STEPS])
    boa.env.time_travel(seconds=tolerant.market.grace_period())
    _, out["settleDeferred (after the window)"] = measure(
        tolerant.market.settleDeferred, task_id, members[2], sender=tolerant.relayer
    )
    return out


def render_tolerance(rows: dict[str, int]) -> str:
    return _table(
        "Tolerance and disputes (committee 3, three members, direct calls)",
        ["step", "gas"],
        [[k, v] for k, v in rows.items()],
    )


def lifecycle_tables() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for size in (1, 3, 5):
        net = Network(n_agents=max(5, size))
        net.warm_up(size)
        out[str(size)] = {
            "direct": net.life(size, batched=False),
            "batched": net.life(size, batched=True),
            "batched, keeper activates": net.life(size, batched=True, keeper=True),
            f"batched x{BATCH_TASKS} tasks (per task)": net.batched_across_tasks(size, BATCH_TASKS),
        }
    return out


def scaling_table() -> dict[str, Any]:
    """Cost as the eligible agents grow. Three of the n agents stake 1,000 ETH and
    finished a task before, and the measured task seats those three (one seat each),
    so that every row is steady state and only the tree's depth changes."""
    out: dict[str, Any] = {}
    for n in (3, 30, 300, 1_000):
        net = Network(n_agents=n - 3)
        heavy = {net.add_agent(1_000 * ETHER) for _ in range(3)}
        to_next_epoch()

        def seats_heavy(seats: list[str], heavy: set[str] = heavy) -> bool:
            return set(seats) == heavy and len(seats) == 3

        move_to_draw(net.staking, net.model_id, 3, net.market.task_count() + 1, seats_heavy)
        net.life(3, batched=True)  # their first task: ledger words no longer zero
        move_to_draw(net.staking, net.model_id, 3, net.market.task_count() + 1, seats_heavy)
        task_id, create = net.create(3, one_member_per_seat=False)
        mine(2)
        _, activate = measure(net.market.activate, task_id, sender=net.relayer)
        owner = next(iter(net.signers))
        _, add_stake = measure(net.staking.addStake, sender=owner, value=10**15)
        _, unstake = measure(net.staking.requestUnstake, 10**15, sender=owner)
        net.add_agent(2 * ETHER)
        out[str(n)] = {
            "createTask + activate (committee 3)": create + activate,
            "createTask": create,
            "activate": activate,
            "register (agent n+1)": net.register_gas[-1],
            "addStake": add_stake,
            "requestUnstake": unstake,
        }
    return out


def _table(title: str, header: list[str], rows: list[list[Any]]) -> str:
    cells = [header] + [[f"{c:,}" if isinstance(c, int) else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = [title, ""]
    for j, r in enumerate(cells):
        lines.append(
            "| "
            + " | ".join(
                c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(r)
            )
            + " |"
        )
        if j == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def render(data: dict[str, Any]) -> str:
    parts = []
    life = data["lifecycle"]
    steps = [
        "createTask",
        "activate",
        "commit",
        "reveal",
        "commitBatch",
        "revealBatch",
        "finalize",
        "total",
    ]
    rows = []
    for size, modes in life.items():
        for mode, gas in modes.items():
            rows.append(
                [f"committee {size}, {mode}"]
                + [gas.get(s, "") for s in steps]
                + [gas.get("withdraw (per agent)", "")]
            )
    parts.append(
        _table(
            "Gas for one task's whole life (commit/reveal columns sum all members' txs)",
            ["scenario", *steps, "withdraw"],
            rows,
        )
    )
    batched3 = life["3"]["batched"]["total"]
    ref_rows = [["agentnet v2, committee 3, commit-reveal, batched", batched3, "1.00"]]
    ref_rows.append(
        [
            "agentnet v1 (the ceiling)",
            V1_COMMITTEE_3_BATCHED,
            f"{batched3 / V1_COMMITTEE_3_BATCHED:.2f}",
        ]
    )
    for name, ref in REFERENCES.items():
        ref_rows.append([name, ref, f"{batched3 / ref:.2f}"])
    ref_rows.append(
        [
            "aim (committee 3, batched)",
            AIM_COMMITTEE_3_BATCHED,
            f"{batched3 / AIM_COMMITTEE_3_BATCHED:.2f}",
        ]
    )
    parts.append(_table("Against published figures", ["system", "gas", "agentnet / it"], ref_rows))
    scale = data["scaling"]
    keys = list(next(iter(scale.values())).keys())
    parts.append(
        _table(
            "Cost as eligible agents grow (lagged Fenwick tree of stakes per model)",
            ["eligible agents", *keys],
            [[int(n), *(v[k] for k in keys)] for n, v in scale.items()],
        )
    )
    if "tolerance" in data:
        parts.append(render_tolerance(data["tolerance"]))
    return "\n\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--tolerance", action="store_true", help="the tolerance table alone")
    args = parser.parse_args(argv)
    if args.tolerance:
        rows = tolerance_table()
        print(json.dumps(rows, indent=2) if args.json else render_tolerance(rows))
        return 0
    data: dict[str, Any] = {"lifecycle": lifecycle_tables()}
    data["scaling"] = scaling_table()
    data["tolerance"] = tolerance_table()
    data["references"] = REFERENCES
    data["v1_committee_3_batched"] = V1_COMMITTEE_3_BATCHED
    data["aim_committee_3_batched"] = AIM_COMMITTEE_3_BATCHED
    if args.json:
        print(json.dumps(data, indent=2, sort_keys=True))
    else:
        print(render(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
