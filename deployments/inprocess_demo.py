"""`agentnet demo`: tasks' whole lives on an in-process chain (titanoboa).

Deploys the three contracts, registers a model and three agents with different
stakes, then walks four tasks through their lives: created in one block, their
committee fixed once the next block is mined (seats drawn with replacement, by
stake), seated by the first member's commit, committed and revealed through
EIP-712 signatures relayed in one batch each, finalized, and paid out, printing
each step with the gas a transaction would pay. The other tasks show a lying
member slashed, a task without a quorum refunded, and a quorum that revealed a
hash nobody can back ended after the grace period.
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

    from deployments.boa_chain import install_block_hashes, mine, to_next_epoch
    from deployments.boa_deploy import deploy
    from deployments.boa_gas import measure
    from oracles.protocol import commitment, sign_commit, sign_reveal

    chain_id = boa.env.evm.patch.chain_id
    install_block_hashes()

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
    to_next_epoch()
    print("  (stakes count for draws from the next epoch, 256 blocks on: moved there)")

    requester = str(boa.env.generate_address("requester"))
    relayer = str(boa.env.generate_address("relayer"))
    boa.env.set_balance(requester, 10 * ETHER)
    boa.env.set_balance(relayer, ETHER)
    output = b'{"dim":384,"i8":"' + b"A" * 512 + b'"}'
    lie = b'{"dim":384,"i8":"BAD"}'

    def life(title: str, choose: Any) -> None:
        """One task's life; `choose(seats)` maps each member to the result hash it
        reveals (None: stays silent)."""
        print(f"\n{title}")
        fee = params.min_fee_per_agent * 3 * 10
        task_input = b'{"text":"agentnet runs verifiable inference"}'
        task_id, gas = measure(
            market.createTask, model_id, task_input, 3, 2, [], sender=requester, value=fee
        )
        step(f"createTask #{task_id} (fee {_eth(fee)})", gas, "3 seats, quorum 2")
        mine(2)
        seats = [str(a) for a in market.previewCommittee(task_id)]
        members = list(dict.fromkeys(seats))
        print(f"    draw block mined: seats {[m[:8] for m in seats]}")
        plan: dict[str, bytes | None] = choose(seats)
        salts = {m: os.urandom(32) for m in members}
        active = [m for m in members if plan[m] is not None]
        hashes: dict[str, bytes] = {m: h for m in active if (h := plan[m]) is not None}
        commits = {m: commitment(task_id, m, hashes[m], salts[m]) for m in active}
        if not active:
            _, gas = measure(market.activate, task_id, sender=relayer)
            step("activate (a worker of the model)", gas, "nobody commits")
            boa.env.time_travel(seconds=params.commit_window + params.reveal_window)
        else:
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
            step(f"commitBatch ({len(active)} signed commits)", gas, "the first one seats it")
            if market.taskPhase(task_id) == 2:
                boa.env.time_travel(seconds=params.commit_window)
            _, gas = measure(
                market.revealBatch,
                [task_id] * len(active),
                active,
                [hashes[m] for m in active],
                [salts[m] for m in active],
                [
                    sign_reveal(
                        signers[m], chain_id, market.address, task_id, m, hashes[m], salts[m]
                    )
                    for m in active
                ],
                sender=relayer,
            )
            step(f"revealBatch ({len(active)} signed reveals)", gas)
            if market.taskPhase(task_id) != 4:
                boa.env.time_travel(seconds=params.reveal_window)
        tally: dict[bytes, int] = {}
        for m in active:
            tally[hashes[m]] = tally.get(hashes[m], 0) + seats.count(m)
        winner = max(tally, key=lambda h: tally[h]) if tally else b""
        shown = output if winner == keccak(output) else lie if winner == keccak(lie) else b""
        if tally and tally[winner] >= 2 and not shown:
            print("    the quorum revealed a hash nobody has the output of: wait out the grace")
            grace_end = market.getTask(task_id).reveal_end + params.grace_period
            boa.env.time_travel(seconds=max(0, grace_end - boa.env.timestamp))
        stakes = {m: staking.stakeOf(m) for m in members}
        _, gas = measure(market.finalize, task_id, shown, sender=relayer)
        phase = {5: "succeeded", 6: "failed"}[market.taskPhase(task_id)]
        detail = f"output {shown.decode()[:40]}" if phase == "succeeded" else "no output"
        step(f"finalize -> {phase}", gas, detail)
        if phase == "failed":
            print(f"    requester refund claimable {_eth(market.claimable(requester))}")
        for m in members:
            slashed = stakes[m] - staking.stakeOf(m)
            held = seats.count(m)
            if slashed:
                note = f"slashed {_eth(slashed)}"
            elif market.claimable(m):
                note = "paid"
            else:
                note = "revealed, no quorum: neither paid nor slashed"
            print(f"    {m}  {held} seat(s)  claimable {_eth(market.claimable(m))}  {note}")
        for m in members:
            if market.claimable(m):
                _, gas = measure(market.withdraw, sender=m)
                step(f"withdraw by {m[:10]}...", gas)

    def honest(seats: list[str]) -> dict[str, bytes | None]:
        return {m: keccak(output) for m in seats}

    def one_liar(seats: list[str]) -> dict[str, bytes | None]:
        # The member with the fewest seats lies (it cannot outvote the others).
        liar = min(dict.fromkeys(seats), key=seats.count)
        return {m: keccak(lie if m == liar and len(set(seats)) > 1 else output) for m in seats}

    def majority_silent(seats: list[str]) -> dict[str, bytes | None]:
        # The member with the most seats stays silent: what is left holds no quorum.
        silent = max(dict.fromkeys(seats), key=seats.count)
        return {m: None if m == silent else keccak(output) for m in seats}

    def unbacked(seats: list[str]) -> dict[str, bytes | None]:
        return {m: keccak(b"an output nobody has") for m in seats}

    life("task 1: an honest committee", honest)
    life("task 2: one member lies", one_liar)
    life("task 3: the member with most seats stays silent (no quorum: refund)", majority_silent)
    life(
        "task 4: the quorum reveals a hash nobody can back (ends after the grace period)", unbacked
    )
    print(
        f"\ntreasury: market {_eth(market.treasury_balance())}, "
        f"staking {_eth(staking.treasury_balance())} (slashes)"
    )
    print("done: every step above ran on real compiled Vyper in titanoboa's EVM.")
    return 0
