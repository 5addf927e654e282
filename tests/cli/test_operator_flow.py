"""The whole operator and requester flow through the `agentnet` command line.

Keys, deploy, model registration, agent registration, a worker process, a task
created and awaited, inspection and withdrawal: every step is the command a user
types, against a real anvil, with encrypted keystores and the password from the
environment. Bad input ends in one line on stderr and exit status 2.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account

from oracles.chain.anvil import Anvil
from oracles.chain.rpc import SyncRpcClient
from oracles.chain.sender import send_sync

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"
ETHER = 10**18


def agentnet(*args: str, check: bool = True, timeout: float = 180) -> subprocess.CompletedProcess:
    env = {**os.environ, "AGENTNET_PASSWORD": PASSWORD}
    proc = subprocess.run(
        [sys.executable, "-m", "oracles.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=timeout,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"agentnet {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def chain() -> Iterator[Anvil]:
    with Anvil(block_time=1) as anvil:
        yield anvil


def new_key(path: Path, chain: Anvil, fund: int) -> str:
    out = agentnet("keys", "new", "--out", str(path), "--scrypt-n", "1024").stdout.strip()
    address = out.splitlines()[-1]
    funder = Account.from_key(chain.private_keys[0])
    send_sync(chain.url, funder, address, b"", fund)
    return address


def test_operator_and_requester_flow(chain: Anvil, tmp_path: Path, embedding_package: Path) -> None:
    rpc = ["--rpc", chain.url]
    owner = new_key(tmp_path / "owner.json", chain, 10 * ETHER)
    signer = new_key(tmp_path / "signer.json", chain, ETHER)
    requester = new_key(tmp_path / "requester.json", chain, ETHER)
    out_dir = tmp_path / "deployments"
    out_dir.mkdir()

    deployed = agentnet(
        "deploy", *rpc, "--keystore", str(tmp_path / "owner.json"), "--out", str(out_dir)
    )
    assert "deployed on chain 31337" in deployed.stdout
    record_path = out_dir / "31337.json"
    record = json.loads(record_path.read_text())
    assert set(record) == {"chain_id", "block", "contracts"}
    assert set(record["contracts"]) == {"ModelRegistry", "AgentStaking", "TaskMarket"}
    again = agentnet(
        "deploy", *rpc, "--keystore", str(tmp_path / "owner.json"), "--out", str(out_dir)
    )
    assert "already deployed" in again.stdout and "nothing sent" in again.stdout
    dep = ["--deployment", str(record_path)]

    model_id = agentnet("model", "id", str(embedding_package)).stdout.strip().splitlines()[-1]
    registered = agentnet(
        "model",
        "register",
        str(embedding_package),
        *rpc,
        *dep,
        "--keystore",
        str(tmp_path / "owner.json"),
    )
    assert model_id in registered.stdout
    assert (
        "already registered"
        in agentnet(
            "model",
            "register",
            str(embedding_package),
            *rpc,
            *dep,
            "--keystore",
            str(tmp_path / "owner.json"),
        ).stdout
    )

    agentnet(
        "agent",
        "register",
        *rpc,
        *dep,
        "--owner-keystore",
        str(tmp_path / "owner.json"),
        "--signer-keystore",
        str(tmp_path / "signer.json"),
        "--stake",
        "1ether",
        "--model",
        str(embedding_package),
    )
    status = agentnet("agent", "status", *rpc, *dep, "--agent", owner).stdout
    assert "active" in status and signer in status and "1 ETH" in status

    # Protocol v2 draws with the stakes of the epoch before (256 blocks): cross one, so
    # that the agent just registered can be drawn (nothing changes for v1).
    SyncRpcClient(chain.url).call("anvil_mine", [hex(256)])

    env = {**os.environ, "AGENTNET_PASSWORD": PASSWORD}
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "oracles.cli",
            "worker",
            *rpc,
            *dep,
            "--signer-keystore",
            str(tmp_path / "signer.json"),
            "--model",
            str(embedding_package),
            "--db",
            str(tmp_path / "worker.sqlite"),
            "--metrics-port",
            "0",
            "--confirmations",
            "0",
            "--poll-interval",
            "0.25",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=ROOT,
    )
    try:
        created = agentnet(
            "task",
            "create",
            *rpc,
            *dep,
            "--keystore",
            str(tmp_path / "requester.json"),
            "--model",
            model_id,
            "--text",
            "hello from the command line",
            "--committee",
            "1",
            "--wait",
            "--timeout",
            "120",
        ).stdout
        assert re.search(r"^task 1 created \(fee 0\.0001 ETH\), tx 0x[0-9a-f]{64}$", created, re.M)
        for line in (
            "phase        succeeded",
            f"requester    {requester}",
            f"model        {model_id}",
            'input        {"text":"hello from the command line"}',
            "quorum       1 of 1",
            f"  member     {owner}  revealed 0x",
            "result       0x",
            "output       embedding: dim 32, first values [",
        ):
            assert line in created, created

        shown = agentnet("task", "show", "1", *rpc, *dep).stdout
        assert shown == created[created.index("task         1") :]  # what --wait showed
        assert re.search(r"^windows      commit until \d+, reveal until \d+$", shown, re.M)
        listed = agentnet("task", "list", *rpc, *dep).stdout.splitlines()
        assert listed[0].split() == ["task", "phase", "model", "fee", "requester"]
        assert listed[1].split() == ["1", "succeeded", model_id[:18], "0.0001", "ETH", requester]

        status = agentnet("agent", "status", *rpc, *dep, "--agent", owner).stdout
        assert "agreed 1, disagreed 0, missed 0" in status
        agentnet("agent", "withdraw", *rpc, *dep, "--owner-keystore", str(tmp_path / "owner.json"))
        assert (
            "claimable    0 ETH" in agentnet("agent", "status", *rpc, *dep, "--agent", owner).stdout
        )

        # Without --committee, --quorum and --fee the chain decides: one eligible agent
        # is a committee of 1 with a quorum of 1, for the minimum fee. A --wait that
        # runs out is one line; the task goes on.
        waited = agentnet(
            "task", "create", *rpc, *dep, "--keystore", str(tmp_path / "requester.json"),
            "--model", model_id, "--prompt", "not for an embedding model",
            "--wait", "--timeout", "0.1", check=False,
        )  # fmt: skip
        assert waited.returncode == 2, waited.stdout + waited.stderr
        assert "task 2 created (fee 0.0001 ETH)" in waited.stdout
        assert waited.stderr.startswith("agentnet: error: task 2 not finalized after 0.1 s")
        assert len(waited.stderr.splitlines()) == 1, waited.stderr
        shown = agentnet("task", "show", "2", *rpc, *dep).stdout
        assert "quorum       1 of 1" in shown
        assert 'input        {"max_new_tokens":32,"prompt":"not for an embedding model"}' in shown
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        log.close()
    assert worker.returncode == 0, (tmp_path / "worker.log").read_text()[-2000:]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            [
                "task",
                "create",
                "--keystore",
                "k.json",
                "--model",
                "0x" + "00" * 32,
                "--text",
                "x",
                "--committee",
                "1",
                "--fee",
                "1banana",
            ],
            "unknown unit",
        ),
        (
            [
                "agent",
                "register",
                "--owner-keystore",
                "nope.json",
                "--signer-keystore",
                "nope.json",
                "--stake",
                "1ether",
                "--model",
                "/nonexistent",
            ],
            "error",
        ),
        (["model", "id", "/nonexistent/package"], "error"),
        (["task", "show", "999"], "does not exist"),
    ],
)
def test_bad_input_is_one_line_without_traceback(
    chain: Anvil, tmp_path: Path, args: list[str], message: str
) -> None:
    # A deployment record for this chain, so that commands get as far as their own checks.
    owner = Account.from_key(chain.private_keys[0])
    from deployments.deploy import deploy

    result = deploy(chain.url, owner, out_dir=tmp_path)
    if args[0] != "model":
        args = [*args, "--rpc", chain.url, "--deployment", str(result.path)]
    proc = agentnet(*args, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("agentnet: error:")]
    assert len(lines) == 1 and message in lines[0], proc.stderr
