"""A client from an encrypted keystore, its password found as the CLI finds it."""

from __future__ import annotations

import io
import json
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from oracles.chain import ChainError, PasswordUnavailable, WrongPassword
from oracles.chain.keys import PASSWORD_ENV, TEST_SCRYPT_N, create_keystore
from oracles.client import Client
from oracles.client.outputs import decode_embedding
from tests.client.conftest import ClientNet
from tests.worker.helpers import expected

PASSWORD = "correct horse battery staple"


def loop_threads() -> int:
    return sum(t.name == "agentnet-client" for t in threading.enumerate())


@pytest.fixture
def keystore(network: ClientNet, tmp_path: Path) -> Path:
    path = tmp_path / "requester.json"
    requester = network.net.net.requester
    create_keystore(path, PASSWORD, private_key=requester.key.hex(), scrypt_n=TEST_SCRYPT_N)
    return path


def test_keystore_client_signs_tasks(network: ClientNet, keystore: Path) -> None:
    with Client.from_keystore(
        network.url, keystore, PASSWORD, deployment=network.deployment_path, poll_interval=0.25
    ) as client:
        assert client.address == network.net.net.requester.address
        vector = client.embed("hello chain", model=network.model("embedding"))
    want = expected(network.package("embedding"), b'{"text":"hello chain"}')
    assert np.array_equal(vector, decode_embedding(want))


def test_password_from_the_environment_or_nowhere(
    network: ClientNet, keystore: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    with Client.from_keystore(network.url, keystore, deployment=network.deployment_path) as c:
        assert c.address == network.net.net.requester.address

    monkeypatch.setenv(PASSWORD_ENV, "not the password")
    with pytest.raises(WrongPassword):
        Client.from_keystore(network.url, keystore, deployment=network.deployment_path)

    monkeypatch.delenv(PASSWORD_ENV)
    monkeypatch.setattr(sys, "stdin", io.StringIO())  # no terminal to prompt on
    with pytest.raises(PasswordUnavailable):
        Client.from_keystore(network.url, keystore, deployment=network.deployment_path)


def test_deployment_of_another_chain_is_refused(network: ClientNet, tmp_path: Path) -> None:
    threads = loop_threads()
    record = json.loads(network.deployment_path.read_text())
    record["chain_id"] = 1
    with pytest.raises(ChainError, match="for chain 1, but the RPC serves chain 31337"):
        Client(network.url, record)
    with pytest.raises(ChainError, match="no deployment record"):
        Client(network.url, tmp_path / "missing.json")
    assert loop_threads() == threads  # a client that failed to connect leaves no thread
