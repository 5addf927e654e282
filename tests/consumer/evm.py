"""The protocol on titanoboa's in-process EVM, driven the way its committee would drive it.

The contracts are deployed by the deploy code every test uses (:mod:`deployments.boa_deploy`),
block hashes answer as on a real chain (:mod:`deployments.boa_chain`), and a task lives as
on anvil: activated after its draw block, committed and revealed by its members (from
their owner addresses, which the market accepts), finalized with its output.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boa
from eth_abi import decode, encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from deployments.boa_chain import block_number, install_block_hashes, mine, to_next_epoch
from deployments.boa_deploy import Protocol, deploy
from deployments.params import Params
from oracles.protocol import Phase, commitment
from tests.consumer.solc import compile_solidity

ETHER = 10**18
ROOT = Path(__file__).resolve().parents[2]
VYPER_GUESTBOOK = ROOT / "contracts" / "consumer" / "examples" / "Guestbook.vy"
HARNESS_DIR = Path(__file__).resolve().parent / "contracts"
KIND_CLASSIFICATION = 1
GENUINE = b'{"index":1,"label":"a genuine guestbook message"}'
SPAM = b'{"index":0,"label":"spam"}'
LABELS = ["spam", "a genuine guestbook message"]


def revert_reason(output: bytes) -> str:
    """The reason of an ``Error(string)`` revert's data."""
    assert output[:4] == bytes.fromhex("08c379a0"), output
    (reason,) = decode(["string"], output[4:])
    return str(reason)


def guestbook_input(text: str) -> bytes:
    """The task input a guestbook posts for ``text`` (labels, then text, compact)."""
    return b'{"labels":["spam","a genuine guestbook message"],"text":"' + text.encode() + b'"}'


@dataclass
class Chain:
    """A deployed protocol with a classification model and three agents (owners)."""

    protocol: Protocol
    model_id: bytes
    agents: list[str]
    signers: dict[str, LocalAccount]  # agent (owner) -> its signer key

    @property
    def market(self) -> Any:
        return self.protocol.market

    def phase(self, task_id: int) -> Phase:
        return Phase(int(self.market.taskPhase(task_id)))

    def activate(self, task_id: int) -> list[str]:
        """Mine past the draw block and seat the committee; its distinct members."""
        draw_block = int(self.market.getTask(task_id).draw_block)
        mine(max(0, draw_block + 1 - block_number()))
        self.market.activate(task_id)
        return list(dict.fromkeys(str(a) for a in self.market.committeeOf(task_id)))

    def succeed(self, task_id: int, output: bytes) -> None:
        """Every member commits and reveals ``output``; then the task is finalized."""
        members = self.activate(task_id)
        salts = {m: os.urandom(32) for m in members}
        for m in members:
            with boa.env.prank(m):
                self.market.commit(task_id, commitment(task_id, m, keccak(output), salts[m]))
        for m in members:
            with boa.env.prank(m):
                self.market.reveal(task_id, keccak(output), salts[m])
        self.market.finalize(task_id, output)
        assert self.phase(task_id) == Phase.SUCCEEDED

    def fail(self, task_id: int) -> None:
        """Nobody answers: after the windows, the task fails and its fee is credited back."""
        self.activate(task_id)
        boa.env.time_travel(
            seconds=int(self.market.getTask(task_id).reveal_end) + 1 - boa.env.timestamp
        )
        self.market.finalize(task_id, b"")
        assert self.phase(task_id) == Phase.FAILED


def new_chain(params: Params | None = None) -> Chain:
    """Deploy the protocol, register a classification model, stake three agents."""
    install_block_hashes()
    protocol = deploy(params or Params())
    model_id = keccak(b"agentnet consumer tests: minilm classification")
    protocol.registry.registerModel(model_id, KIND_CLASSIFICATION, "file://minilm/manifest.json")
    agents, signers = [], {}
    for i in range(3):
        owner, signer = str(boa.env.generate_address()), Account.create()
        boa.env.set_balance(owner, 100 * ETHER)
        with boa.env.prank(owner):
            protocol.staking.register(signer.address, [model_id], "", value=(i + 1) * ETHER)
        agents.append(owner)
        signers[owner] = signer
    to_next_epoch()  # weights count for draws from the next epoch
    return Chain(protocol, model_id, agents, signers)


def deploy_vyper_guestbook(chain: Chain, size: int = 3, quorum: int = 2) -> Any:
    return boa.load_partial(str(VYPER_GUESTBOOK)).deploy(
        chain.market.address, chain.model_id, size, quorum
    )


def deploy_solidity(name: str, arg_types: list[str], args: list[Any]) -> Any:
    """Deploy a contract compiled by solc-js; a titanoboa ABI contract."""
    artifact = compile_solidity()[name]
    initcode = artifact.bytecode + encode(arg_types, args)
    address, _ = boa.env.deploy_code(bytecode=initcode)
    return boa.loads_abi(json.dumps(artifact.abi), name=name).at(address)


def deploy_solidity_guestbook(chain: Chain, size: int = 3, quorum: int = 2) -> Any:
    return deploy_solidity(
        "Guestbook",
        ["address", "bytes32", "uint8", "uint8"],
        [str(chain.market.address), chain.model_id, size, quorum],
    )


def deploy_harness(name: str, *args: Any) -> Any:
    """A test harness contract of tests/consumer/contracts/."""
    return boa.load_partial(str(HARNESS_DIR / f"{name}.vy")).deploy(*args)
