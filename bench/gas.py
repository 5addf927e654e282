"""Gas per call and per task life, measured on titanoboa's in-process EVM.

Every figure is what a transaction would pay: 21,000 + calldata (4 gas per
zero byte, 16 per non-zero byte) + execution, less the storage refund (capped
at a fifth of the total, EIP-3529). Each call starts as a fresh transaction:
cold accounts and slots, original storage values reset (EIP-2929/2200).

Figures are steady state: the committee agents have finished a task before, so
their claimable word is not zero (a first task costs 17,100 more per member).

    python bench/gas.py          # tables
    python bench/gas.py --json   # one JSON object
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

from deployments.boa_deploy import deploy  # noqa: E402
from deployments.boa_gas import measure  # noqa: E402
from deployments.params import Params  # noqa: E402
from oracles.protocol import commitment  # noqa: E402
from tests.contracts.utils.protocol import sign_commit, sign_reveal  # noqa: E402

ETHER = 10**18
OUTPUT = b'{"dim":384,"i8":"' + b"A" * 512 + b'"}'  # a 384-d int8 embedding, base64
INPUT = b'{"text":"The quick brown fox jumps over the lazy dog."}'

# Published figures of similar systems, for comparison.
REFERENCES = {
    "Ritual Infernet create+deliver (1 unverified response)": 352_544,
    "Chainlink Functions sendRequest + fulfill": 286_243 + 334_643,
}
AIM_COMMITTEE_3_BATCHED = 450_000


class Network:
    """A deployed protocol with `n_agents` agents serving one model."""

    def __init__(self, n_agents: int, params: Params | None = None) -> None:
        self.params = params or Params()
        self.protocol = deploy(self.params)
        self.market = self.protocol.market
        self.staking = self.protocol.staking
        self.model_id = keccak(b"bench model")
        self.protocol.registry.registerModel(self.model_id, 0, "file://bench/manifest.json")
        self.signers: dict[str, Any] = {}
        self.register_gas: list[int] = []
        for i in range(n_agents):
            self.add_agent(ETHER + i * 10**16)
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

    def life(self, size: int, batched: bool) -> dict[str, int]:
        """One task's whole life; returns gas per step."""
        quorum = size // 2 + 1
        fee = self.params.min_fee_per_agent * size * 10
        gas: dict[str, int] = {}
        task_id, gas["createTask"] = measure(
            self.market.createTask,
            self.model_id,
            INPUT,
            size,
            quorum,
            [],
            sender=self.requester,
            value=fee,
        )
        committee = [str(a) for a in self.market.committeeOf(task_id)]
        result_hash = keccak(OUTPUT)
        salts = {m: os.urandom(32) for m in committee}
        commits = {m: commitment(task_id, m, result_hash, salts[m]) for m in committee}
        address = self.market.address
        if batched:
            sigs = [
                sign_commit(self.signers[m], address, task_id, m, commits[m]) for m in committee
            ]
            _, gas["commitBatch"] = measure(
                self.market.commitBatch,
                [task_id] * size,
                committee,
                [commits[m] for m in committee],
                sigs,
                sender=self.relayer,
            )
            sigs = [
                sign_reveal(self.signers[m], address, task_id, m, result_hash, salts[m])
                for m in committee
            ]
            _, gas["revealBatch"] = measure(
                self.market.revealBatch,
                [task_id] * size,
                committee,
                [result_hash] * size,
                [salts[m] for m in committee],
                sigs,
                sender=self.relayer,
            )
        else:
            gas["commit"] = 0
            for m in committee:
                _, g = measure(
                    self.market.commit, task_id, commits[m], sender=self.signers[m].address
                )
                gas["commit"] += g
            gas["reveal"] = 0
            for m in committee:
                _, g = measure(
                    self.market.reveal,
                    task_id,
                    result_hash,
                    salts[m],
                    sender=self.signers[m].address,
                )
                gas["reveal"] += g
        _, gas["finalize"] = measure(self.market.finalize, task_id, OUTPUT, sender=committee[0])
        assert self.market.taskPhase(task_id) == 5
        gas["total"] = sum(v for k, v in gas.items() if k != "total")
        _, gas["withdraw (per agent)"] = measure(self.market.withdraw, sender=committee[0])
        return gas

    def warm_up(self, size: int) -> None:
        """Run tasks until every agent has a non-zero claimable word (steady state)."""
        for _ in range(200):
            if all(self.market.reputation(o)[0] for o in self.signers):
                return
            self.life(size, batched=False)

    def batched_across_tasks(self, size: int, tasks: int) -> dict[str, int]:
        """`tasks` tasks whose commits and reveals go in one batch each; gas per task."""
        quorum = size // 2 + 1
        fee = self.params.min_fee_per_agent * size * 10
        create = 0
        items: list[tuple[int, str, bytes, bytes]] = []
        result_hash = keccak(OUTPUT)
        for _ in range(tasks):
            task_id, g = measure(
                self.market.createTask,
                self.model_id,
                INPUT,
                size,
                quorum,
                [],
                sender=self.requester,
                value=fee,
            )
            create += g
            for m in self.market.committeeOf(task_id):
                salt = os.urandom(32)
                c = commitment(task_id, str(m), result_hash, salt)
                items.append((task_id, str(m), salt, c))
        address = self.market.address
        _, commit_gas = measure(
            self.market.commitBatch,
            [i[0] for i in items],
            [i[1] for i in items],
            [i[3] for i in items],
            [sign_commit(self.signers[m], address, t, m, c) for t, m, _, c in items],
            sender=self.relayer,
        )
        _, reveal_gas = measure(
            self.market.revealBatch,
            [i[0] for i in items],
            [i[1] for i in items],
            [result_hash] * len(items),
            [i[2] for i in items],
            [sign_reveal(self.signers[m], address, t, m, result_hash, s) for t, m, s, _ in items],
            sender=self.relayer,
        )
        finalize = 0
        for task_id in sorted({i[0] for i in items}):
            _, g = measure(self.market.finalize, task_id, OUTPUT, sender=self.relayer)
            finalize += g
        per_task = {
            "createTask": create // tasks,
            "commitBatch": commit_gas // tasks,
            "revealBatch": reveal_gas // tasks,
            "finalize": finalize // tasks,
        }
        per_task["total"] = sum(per_task.values())
        return per_task


BATCH_TASKS = 8


def lifecycle_tables() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for size in (1, 3, 5):
        net = Network(n_agents=max(5, size))
        net.warm_up(size)
        out[str(size)] = {
            "direct": net.life(size, batched=False),
            "batched": net.life(size, batched=True),
            f"batched x{BATCH_TASKS} tasks (per task)": net.batched_across_tasks(size, BATCH_TASKS),
        }
    return out


def scaling_table() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for n in (3, 30, 300, 1_000):
        net = Network(n_agents=n)
        net.warm_up(3)
        create = net.life(3, batched=True)["createTask"]
        _, add_stake = measure(net.staking.addStake, sender=next(iter(net.signers)), value=10**15)
        owner = next(iter(net.signers))
        _, unstake = measure(net.staking.requestUnstake, 10**15, sender=owner)
        net.add_agent(2 * ETHER)
        out[str(n)] = {
            "createTask (committee 3)": create,
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
    steps = ["createTask", "commit", "reveal", "commitBatch", "revealBatch", "finalize", "total"]
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
    ref_rows = [["agentnet, committee 3, commit-reveal, batched", batched3, "1.00"]]
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
            "Cost as eligible agents grow (Fenwick tree of stakes per model)",
            ["eligible agents", *keys],
            [[int(n), *(v[k] for k in keys)] for n, v in scale.items()],
        )
    )
    return "\n\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    data = {"lifecycle": lifecycle_tables()}
    data["scaling"] = scaling_table()
    data["references"] = REFERENCES
    data["aim_committee_3_batched"] = AIM_COMMITTEE_3_BATCHED
    if args.json:
        print(json.dumps(data, indent=2, sort_keys=True))
    else:
        print(render(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
