"""The guestbook end to end: anvil, the protocol, three real workers serving the real
all-MiniLM-L6-v2 zero-shot classification package, both guestbooks (Vyper and Solidity),
the requester client delivering the verdicts, and the ``agentnet guestbook`` commands.

The committee's verdict is the model's: a thank-you note is "a genuine guestbook message",
an advertisement for pills is "spam" (the package gives these outputs on every CPU it was
checked on; the test compares with the package run here, in-process).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from deployments.localnet import ETHER, LocalNet
from deployments.params import Params
from oracles.chain.anvil import Anvil
from oracles.chain.contracts import Contract
from oracles.chain.keys import TEST_SCRYPT_N, create_keystore
from oracles.chain.sender import send_sync
from oracles.cli import main
from oracles.client import Client, Reverted, TaskFailed
from oracles.client.outputs import decode_classification
from oracles.guestbook import Guestbook, deploy_guestbook
from tests.consumer.evm import guestbook_input
from tests.consumer.solc import compile_solidity
from tests.worker.helpers import expected

ROOT = Path(__file__).resolve().parents[2]
MODELS_DIR = ROOT / ".agentnet" / "models"  # the devnet's package cache
GENUINE_TEXT = "Thanks for a lovely evening, the food was wonderful!"
SPAM_TEXT = "BUY CHEAP VIAGRA NOW!!! Click here for free money"
KIND_CLASSIFICATION = 1


@pytest.fixture(scope="module")
def minilm() -> Path:
    """The real MiniLM classification package: the devnet's cached export, else exported."""
    folder = MODELS_DIR / "minilm-classification"
    if not (folder / "manifest.json").is_file():
        from model_export.export import export

        export("minilm", "classification", folder)
    return folder


@dataclass
class Network:
    net: LocalNet
    model_id: bytes
    silent_model: bytes  # served by one agent without a worker: its tasks fail
    package: Path

    @property
    def url(self) -> str:
        return self.net.url

    def client(self) -> Client:
        return Client(
            self.url,
            self.net.deployment_path,
            self.net.requester,
            poll_interval=0.25,
            help_after=2.0,
            timeout=180.0,
        )


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory, minilm: Path) -> Iterator[Network]:
    anvil = Anvil(block_time=1).start()
    net: LocalNet | None = None
    try:
        net = LocalNet(
            anvil, tmp_path_factory.mktemp("guestbook"), Params(commit_window=8, reveal_window=8)
        )
        model_id = net.register_model(minilm)
        silent = bytes(range(32))
        net.send(
            net.deployer, "ModelRegistry", "registerModel", silent, KIND_CLASSIFICATION, "none://"
        )
        for stake in (ETHER, 2 * ETHER, 3 * ETHER):
            net.add_agent(stake, [model_id])
        net.add_agent(ETHER, [silent])  # its worker never starts
        net.cross_epoch()  # agents are drawn from the next stake epoch
        for agent in net.agents[:3]:
            net.start_worker(agent, [minilm])
        net.wait_workers()
        yield Network(net, model_id, silent, minilm)
    finally:
        if net is not None:
            net.stop_workers()
        anvil.stop()


def deploy_solidity_guestbook(network: Network) -> Guestbook:
    """The Solidity twin, compiled by solc-js, deployed next to the Vyper contracts."""
    from eth_abi import encode

    artifact = compile_solidity()["Guestbook"]
    market = network.net.deployment["TaskMarket"].address
    args = encode(["address", "bytes32", "uint8", "uint8"], [market, network.model_id, 3, 2])
    receipt = send_sync(network.url, network.net.deployer, None, artifact.bytecode + args)
    return Guestbook(network.url, Contract("Guestbook", receipt["contractAddress"], artifact.abi))


@pytest.fixture(scope="module")
def guestbooks(network: Network, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Guestbook]:
    record = deploy_guestbook(
        network.url,
        network.net.deployer,
        network.net.deployment,
        network.model_id,
        out=tmp_path_factory.mktemp("records") / "guestbook.json",
    )
    return {
        "vyper": Guestbook.load(network.url, network.net.deployment.chain_id, record),
        "solidity": deploy_solidity_guestbook(network),
    }


def test_the_network_publishes_genuine_posts_and_rejects_spam(
    network: Network, guestbooks: dict[str, Guestbook]
) -> None:
    requester = network.net.requester
    posted = {
        (language, text): book.post(requester, text)
        for language, book in guestbooks.items()
        for text in (GENUINE_TEXT, SPAM_TEXT)
    }
    with network.client() as client:
        for (language, text), (_, task_id) in posted.items():
            client.deliver(guestbooks[language].address, task_id)
            output = client.task(task_id).output()
            # The committee's output is what the package gives here, and the label says so.
            assert output == expected(network.package, guestbook_input(text))
            assert decode_classification(output)[1] == (
                "a genuine guestbook message" if text == GENUINE_TEXT else "spam"
            )
        for language, book in guestbooks.items():
            genuine_id, _ = posted[(language, GENUINE_TEXT)]
            spam_id, spam_task = posted[(language, SPAM_TEXT)]
            assert book.get(genuine_id).status == "published"
            assert book.get(spam_id).status == "rejected"
            assert [(p.post_id, p.text) for p in book.published()] == [(genuine_id, GENUINE_TEXT)]
            with pytest.raises(Reverted, match="consumer: result already delivered"):
                client.deliver(book.address, spam_task)


def test_a_failed_task_lets_the_poster_reclaim(
    network: Network, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Nobody serves the model: the client fails the task after its windows, the guestbook
    cannot deliver, and the poster takes the whole fee back."""
    record = deploy_guestbook(
        network.url,
        network.net.deployer,
        network.net.deployment,
        network.silent_model,
        out=tmp_path_factory.mktemp("silent") / "guestbook.json",
    )
    book = Guestbook.load(network.url, network.net.deployment.chain_id, record)
    poster = network.net.requester
    post_id, task_id = book.post(poster, "Is anyone there?")
    fee = book.fee_of(task_id)
    with network.client() as client, pytest.raises(TaskFailed):
        client.deliver(book.address, task_id)
    assert book.reclaim(poster, post_id) == fee
    assert book.get(post_id).status == "refunded"


def test_the_guestbook_commands(
    network: Network, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What docs/consumers.md tells a newcomer to run, against this network."""
    keystore = tmp_path / "me.json"
    password = network.net.workdir / "password"
    create_keystore(
        keystore,
        password.read_text(),
        private_key=network.net.requester.key.hex(),
        scrypt_n=TEST_SCRYPT_N,
    )
    record = tmp_path / "guestbook.json"
    chain = ["--rpc", network.url, "--deployment", str(network.net.deployment_path)]
    signer = ["--keystore", str(keystore), "--password-file", str(password)]
    model = "0x" + network.model_id.hex()
    assert (
        main(["guestbook", "deploy", *chain, *signer, "--model", model, "--out", str(record)]) == 0
    )
    assert f"record      {record}" in capsys.readouterr().out
    book = ["--guestbook", str(record)]

    assert main(["guestbook", "post", GENUINE_TEXT, *chain, *book, *signer]) == 0
    out = capsys.readouterr().out
    assert "post 1 submitted: task" in out
    assert "post 1 published: the committee found it a genuine message" in out
    assert main(["guestbook", "post", SPAM_TEXT, *chain, *book, *signer, "--no-wait"]) == 0
    assert "deliver its verdict later" in capsys.readouterr().out
    assert main(["guestbook", "deliver", *chain, *book, *signer]) == 0
    assert "post 2 rejected" in capsys.readouterr().out

    assert main(["guestbook", "list", *chain, *book]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed == [f"#1 {network.net.requester.address}: {GENUINE_TEXT}"]
    assert main(["guestbook", "list", "--all", *chain, *book]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split("[")[1].split("]")[0] for line in listed] == ["rejected", "published"]

    # Refusals: one line each, nothing sent.
    assert main(["guestbook", "post", 'say "hi"', *chain, *book, *signer]) == 2
    assert "double quote" in capsys.readouterr().err
    assert main(["guestbook", "reclaim", "1", *chain, *book, *signer]) == 2
    assert "consumer: task succeeded" in capsys.readouterr().err
    assert main(["guestbook", "list", *chain, "--guestbook", str(tmp_path / "none.json")]) == 2
    assert "agentnet guestbook deploy" in capsys.readouterr().err
    assert json.loads(record.read_text())["model_id"] == model
