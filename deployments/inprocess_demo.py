"""`agentnet demo`: one task's whole life on an in-process chain (titanoboa).

Deploys the three contracts, registers a model and three agents with different
stakes, posts a task, has every committee member commit and reveal through
EIP-712 signatures relayed in one batch each, finalizes it, and lets the agents
withdraw their pay, printing each step with the gas a transaction would pay.
A second task shows a failing member being slashed.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

ETHER = 10**18


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``demo`` command to the CLI."""
    parser = subparsers.add_parser(
        "demo",
        help="walk tasks through their life on an in-process chain",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(func=run)


def _eth(wei: int) -> str:
    return f"{wei / ETHER:.6f} ETH"


def run(args: argparse.Namespace) -> int:
    import boa
    from eth_account import Account
    from eth_utils import keccak

    from deployments.boa_deploy import deploy
    from deployments.boa_gas import measure
    from oracles.protocol import commitment, sign_commit, sign_reveal

    chain_id = boa.env.evm.patch.chain_id

    def step(label: str, gas: int, detail: str = "") -> None:
        print(f"  {label:<44} {gas:>9,} gas  {detail}")

    print("agentnet in-process demo (titanoboa EVM)\n")
    protocol = deploy()
    market, staking, registry = protocol.market, protocol.staking, protocol.registry
    params = protocol.params
    print(f"deployed ModelRegistry {registry.address}")
    print(f"         AgentStaking  {staking.address}")
    print(f"         TaskMarket    {market.address}\n")

    publisher = boa.env.generate_address("publisher")
    model_id = keccak(b"demo: all-MiniLM-L6-v2 package")
    _, gas = measure(
        registry.registerModel, model_id, 0, "file://models/minilm/manifest.json", sender=publisher
    )
    step("registerModel (embedding)", gas, f"model_id 0x{model_id.hex()[:16]}...")

    signers: dict[str, Any] = {}
    for i, stake in enumerate((1 * ETHER, 2 * ETHER, 3 * ETHER)):
        owner = str(boa.env.generate_address(f"agent{i}"))
        signer = Account.create()
        boa.env.set_balance(owner, stake + ETHER)
        _, gas = measure(
            staking.register,
            signer.address,
            [model_id],
            f"http://127.0.0.1:{9100 + i}",
            sender=owner,
            value=stake,
        )
        signers[owner] = signer
        step(f"register agent {i} (stake {_eth(stake)})", gas, owner)

    requester = str(boa.env.generate_address("requester"))
    relayer = str(boa.env.generate_address("relayer"))
    boa.env.set_balance(requester, 10 * ETHER)
    boa.env.set_balance(relayer, ETHER)

    def life(title: str, outputs: list[bytes | None]) -> None:
        print(f"\n{title}")
        fee = params.min_fee_per_agent * 3 * 10
        task_input = b'{"text":"agentnet runs verifiable inference"}'
        task_id, gas = measure(
            market.createTask, model_id, task_input, 3, 2, [], sender=requester, value=fee
        )
        committee = [str(a) for a in market.committeeOf(task_id)]
        step(f"createTask #{task_id} (fee {_eth(fee)})", gas, "committee of 3, quorum 2")
        plan = dict(zip(committee, outputs, strict=True))
        salts = {m: os.urandom(32) for m in committee}
        active = [m for m in committee if plan[m] is not None]
        commits = {m: commitment(task_id, m, keccak(plan[m]), salts[m]) for m in active}
        _, gas = measure(
            market.commitBatch,
            [task_id] * len(active),
            active,
            [commits[m] for m in active],
            [
                sign_commit(signers[m], chain_id, market.address, task_id, m, commits[m])
                for m in active
            ],
            sender=relayer,
        )
        step(f"commitBatch ({len(active)} signed commits)", gas)
        if market.taskPhase(task_id) == 2:
            boa.env.time_travel(seconds=params.commit_window)
        _, gas = measure(
            market.revealBatch,
            [task_id] * len(active),
            active,
            [keccak(plan[m]) for m in active],
            [salts[m] for m in active],
            [
                sign_reveal(
                    signers[m], chain_id, market.address, task_id, m, keccak(plan[m]), salts[m]
                )
                for m in active
            ],
            sender=relayer,
        )
        step(f"revealBatch ({len(active)} signed reveals)", gas)
        if market.taskPhase(task_id) != 4:
            boa.env.time_travel(seconds=params.reveal_window)
        counts: dict[bytes, int] = {}
        for revealed in (plan[m] for m in active):
            if revealed is not None:  # always: active members are those with an output
                counts[revealed] = counts.get(revealed, 0) + 1
        winner = max(counts, key=lambda k: counts[k]) if counts else b""
        stakes = {m: staking.stakeOf(m) for m in committee}
        _, gas = measure(market.finalize, task_id, winner, sender=relayer)
        phase = {5: "succeeded", 6: "failed"}[market.taskPhase(task_id)]
        shown = f"output {winner.decode()[:40]}" if phase == "succeeded" else "no output"
        step(f"finalize -> {phase}", gas, shown)
        if phase == "failed":
            print(f"    requester refund claimable {_eth(market.claimable(requester))}")
        for m in committee:
            slashed = stakes[m] - staking.stakeOf(m)
            if slashed:
                note = f"slashed {_eth(slashed)}"
            elif market.claimable(m):
                note = "paid"
            else:
                note = "revealed, no quorum: neither paid nor slashed"
            print(f"    {m}  claimable {_eth(market.claimable(m))}  {note}")
        for m in committee:
            if market.claimable(m):
                _, gas = measure(market.withdraw, sender=m)
                step(f"withdraw by {m[:10]}...", gas)

    output = b'{"dim":384,"i8":"' + b"A" * 512 + b'"}'
    life("task 1: an honest committee", [output, output, output])
    life("task 2: one member lies", [output, output, b'{"dim":384,"i8":"BAD"}'])
    life("task 3: two members stay silent (no quorum: refund)", [output, None, None])
    print(
        f"\ntreasury: market {_eth(market.treasury_balance())}, "
        f"staking {_eth(staking.treasury_balance())} (slashes)"
    )
    print("done: every step above ran on real compiled Vyper in titanoboa's EVM.")
    return 0
