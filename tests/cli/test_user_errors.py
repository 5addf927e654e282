"""A user's mistake ends an `agentnet` command with one line on stderr that says what to do.

Each case runs the command as a user would (a separate process) against a real anvil
with a real deployment: missing or undecryptable keystores, a node that does not
answer, unknown models, tasks and deployment records, and malformed amounts. The
exit status is 2 and no traceback is printed.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account

from oracles.chain.anvil import Anvil, free_port
from oracles.chain.keys import TEST_SCRYPT_N, create_keystore
from oracles.chain.rpc import SyncRpcClient

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"
ZERO_MODEL = "0x" + "00" * 32


def agentnet(*args: str, password: str = PASSWORD) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oracles.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "AGENTNET_PASSWORD": password},
        cwd=ROOT,
        timeout=180,
    )


def error_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The one error line of a failed command; fails unless that is all it printed."""
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("agentnet: error: "), proc.stderr
    return lines[0]


def usage_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The error line of a command argparse refused (after its usage lines)."""
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.startswith("usage: agentnet")
    errors = [line for line in proc.stderr.splitlines() if ": error: " in line]
    assert len(errors) == 1, proc.stderr
    return errors[0]


@pytest.fixture(scope="module")
def chain() -> Iterator[Anvil]:
    with Anvil() as anvil:
        yield anvil


@pytest.fixture(scope="module")
def record(chain: Anvil, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The deployment record of ``chain``, written by the deploy code the CLI uses."""
    from deployments.deploy import deploy

    owner = Account.from_key(chain.private_keys[0])
    return deploy(chain.url, owner, out_dir=tmp_path_factory.mktemp("deployments")).path


@pytest.fixture(scope="module")
def keystore(chain: Anvil, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A funded account's keystore, encrypted with ``PASSWORD``."""
    path = tmp_path_factory.mktemp("keys") / "me.json"
    create_keystore(path, PASSWORD, private_key=chain.private_keys[1], scrypt_n=TEST_SCRYPT_N)
    return path


@pytest.fixture
def on_chain(chain: Anvil, record: Path) -> list[str]:
    return ["--rpc", chain.url, "--deployment", str(record)]


def dead_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


# ---------------------------------------------------------------- keystores


def test_missing_keystore_file(tmp_path: Path, on_chain: list[str]) -> None:
    missing = tmp_path / "nope.json"
    line = error_line(agentnet("keys", "show", str(missing)))
    assert f"keystore {missing} does not exist" in line
    assert f"agentnet keys new --out {missing}" in line
    line = error_line(
        agentnet(
            "task", "create", *on_chain, "--keystore", str(missing),
            "--model", ZERO_MODEL, "--text", "hi",
        )
    )  # fmt: skip
    assert f"keystore {missing} does not exist" in line


def test_wrong_keystore_password_from_the_environment(keystore: Path, on_chain: list[str]) -> None:
    proc = agentnet(
        "agent", "withdraw", *on_chain, "--owner-keystore", str(keystore), password="wrong"
    )
    line = error_line(proc)
    assert f"wrong password for keystore {keystore}" in line
    assert "--password-file" in line and "AGENTNET_PASSWORD" in line


def test_wrong_keystore_password_from_a_file(
    keystore: Path, on_chain: list[str], tmp_path: Path
) -> None:
    password_file = tmp_path / "password"
    password_file.write_text("not it\n")
    proc = agentnet(
        "agent", "deregister", *on_chain,
        "--owner-keystore", str(keystore), "--password-file", str(password_file),
    )  # fmt: skip
    assert f"wrong password for keystore {keystore}" in error_line(proc)


def test_a_file_that_is_not_a_keystore(tmp_path: Path) -> None:
    not_keystore = tmp_path / "notes.json"
    not_keystore.write_text("{not json")
    assert "is not readable JSON" in error_line(agentnet("keys", "show", str(not_keystore)))


# ---------------------------------------------------------------- RPC


@pytest.mark.parametrize(
    "command",
    [
        ["task", "show", "1"],
        ["task", "list"],
        ["agent", "status", "--agent", "0x" + "11" * 20],
    ],
)
def test_unreachable_rpc_url(command: list[str], record: Path) -> None:
    url = dead_url()
    line = error_line(agentnet(*command, "--rpc", url, "--deployment", str(record)))
    assert f"no JSON-RPC node answers at {url}" in line
    assert "check --rpc" in line


def test_unreachable_rpc_url_when_deploying(keystore: Path, tmp_path: Path) -> None:
    url = dead_url()
    proc = agentnet("deploy", "--rpc", url, "--keystore", str(keystore), "--out", str(tmp_path))
    assert f"no JSON-RPC node answers at {url}" in error_line(proc)
    assert not list(tmp_path.iterdir()), "nothing is written when no node answers"


def test_unreachable_rpc_url_for_the_api(record: Path) -> None:
    url = dead_url()
    line = error_line(agentnet("api", "--rpc", url, "--deployment", str(record), "--port", "0"))
    assert f"no JSON-RPC node answers at {url}" in line


def test_an_rpc_url_that_is_not_a_url(record: Path) -> None:
    proc = agentnet("task", "list", "--rpc", "localhost:8545", "--deployment", str(record))
    line = error_line(proc)
    assert "'localhost:8545' is not an http(s) URL" in line and "http://" in line


def test_api_port_already_taken(chain: Anvil, record: Path, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = agentnet(
            "api", "--rpc", chain.url, "--deployment", str(record),
            "--port", str(port), "--db", str(tmp_path / "api.sqlite"),
        )  # fmt: skip
    line = error_line(proc)
    assert f"cannot serve on 127.0.0.1:{port}" in line and "another --port" in line


# ---------------------------------------------------------------- what the user names


def test_unknown_model_alias(keystore: Path, on_chain: list[str]) -> None:
    proc = agentnet(
        "task", "create", *on_chain, "--keystore", str(keystore),
        "--model", "no-such-model", "--text", "hi",
    )  # fmt: skip
    line = error_line(proc)
    assert "unknown model 'no-such-model'" in line
    assert "0x model id, a package folder, or an alias" in line


def test_task_that_does_not_exist(on_chain: list[str]) -> None:
    line = error_line(agentnet("task", "show", "4242", *on_chain))
    assert "task 4242 does not exist on chain 31337" in line
    assert "agentnet task list" in line


def test_deployment_record_that_is_missing(chain: Anvil, tmp_path: Path) -> None:
    missing = tmp_path / "31337.json"
    line = error_line(agentnet("task", "list", "--rpc", chain.url, "--deployment", str(missing)))
    assert f"no deployment record at {missing}" in line
    assert "agentnet deploy" in line and "--deployment FILE" in line


def test_default_deployment_record_that_is_missing(record: Path) -> None:
    """Without --deployment, the record of the RPC's chain id is looked up in deployments/."""
    with Anvil(chain_id=42_424_242) as other:
        proc = agentnet("task", "list", "--rpc", other.url)
        line = error_line(proc)
        assert "deployments/42424242.json" in line and "agentnet deploy" in line
        # and another chain's record is refused by name
        proc = agentnet("task", "list", "--rpc", other.url, "--deployment", str(record))
        line = error_line(proc)
        assert "is for chain 31337, but the RPC serves chain 42424242" in line


def test_deployment_record_that_is_not_one(chain: Anvil, tmp_path: Path) -> None:
    bogus = tmp_path / "record.json"
    bogus.write_text(json.dumps({"chain_id": 31337}))
    line = error_line(agentnet("task", "list", "--rpc", chain.url, "--deployment", str(bogus)))
    assert f"{bogus} is not a usable deployment record" in line


def test_task_input_file_that_is_missing(
    keystore: Path, on_chain: list[str], tmp_path: Path
) -> None:
    missing = tmp_path / "input.json"
    proc = agentnet(
        "task", "create", *on_chain, "--keystore", str(keystore),
        "--model", ZERO_MODEL, "--input", f"@{missing}",
    )  # fmt: skip
    assert f"input file {missing} does not exist" in error_line(proc)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (["--text", "hi", "--committee", "2", "--quorum", "3"],
         "--quorum 3 is larger than --committee 2"),
        (["--input", "x" * 5000], "task input is 5000 bytes; the contract takes at most 4096"),
        (["--text", "hi", "--prompt", "hello"], "give exactly one of --text, --prompt or --input"),
    ],
)  # fmt: skip
def test_task_checks_come_before_the_keystore(
    given: list[str], message: str, on_chain: list[str], tmp_path: Path
) -> None:
    never_read = tmp_path / "missing.json"
    proc = agentnet(
        "task", "create", *on_chain, "--keystore", str(never_read), "--model", ZERO_MODEL, *given
    )
    assert message in error_line(proc)


def test_task_the_chain_would_refuse_sends_nothing(
    chain: Anvil, keystore: Path, on_chain: list[str], registered_signer: Path,
    embedding_package: Path,
) -> None:  # fmt: skip
    address = Account.from_key(chain.private_keys[1]).address

    def nonce() -> int:
        return int(
            SyncRpcClient(chain.url).call("eth_getTransactionCount", [address, "latest"]), 16
        )

    before = nonce()
    create = ["task", "create", *on_chain, "--keystore", str(keystore), "--text", "hi"]
    line = error_line(agentnet(*create, "--model", ZERO_MODEL))
    assert f"no agent is eligible for model {ZERO_MODEL}" in line
    line = error_line(agentnet(*create, "--model", str(embedding_package), "--fee", "1wei"))
    assert "createTask reverted: " in line and "fee" in line and "nothing was sent" in line
    assert nonce() == before


# ---------------------------------------------------------------- amounts and numbers


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (["task", "create", "--model", ZERO_MODEL, "--text", "hi", "--fee", "1banana"],
         "unknown unit 'banana' in '1banana'"),
        (["task", "create", "--model", ZERO_MODEL, "--text", "hi", "--fee=-1ether"],
         "cannot read amount '-1ether'"),
        (["agent", "unstake", "--amount", "1.5wei"], "'1.5wei' is not a whole number of wei"),
        (["agent", "register", "--signer-keystore", "{keystore}", "--stake", "lots",
          "--model", "/nonexistent"], "cannot read amount 'lots'"),
    ],
)  # fmt: skip
def test_malformed_amounts(
    command: list[str], message: str, keystore: Path, on_chain: list[str]
) -> None:
    key = "--keystore" if command[0] == "task" else "--owner-keystore"
    args = [arg.format(keystore=keystore) for arg in command]
    line = error_line(agentnet(*args, *on_chain, key, str(keystore)))
    assert message in line and ("1ether" in line or "wei" in line)


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (["task", "create", "--model", ZERO_MODEL, "--text", "hi", "--committee", "0"],
         "argument --committee: give a whole number from 1 to 255, not 0"),
        (["task", "show", "0"], "argument task_id: give a whole number of at least 1, not 0"),
        (["agent", "status", "--agent", "0xbad"], "argument --agent: '0xbad' is not an address"),
    ],
)  # fmt: skip
def test_numbers_and_addresses_out_of_range_are_usage_errors(
    command: list[str], message: str, keystore: Path, on_chain: list[str]
) -> None:
    extra = ["--keystore", str(keystore)] if command[:2] == ["task", "create"] else []
    assert message in usage_error_line(agentnet(*command, *on_chain, *extra))


# ---------------------------------------------------------------- worker


@pytest.fixture(scope="module")
def registered_signer(chain: Anvil, record: Path, keystore: Path, embedding_package: Path) -> Path:
    """The signer keystore of an agent registered (with the tiny model) through the CLI."""
    signer = keystore.parent / "signer.json"
    create_keystore(signer, PASSWORD, scrypt_n=TEST_SCRYPT_N)
    on_chain = ["--rpc", chain.url, "--deployment", str(record)]
    for command in (
        ["model", "register", str(embedding_package), *on_chain, "--keystore", str(keystore)],
        ["agent", "register", *on_chain, "--owner-keystore", str(keystore),
         "--signer-keystore", str(signer), "--stake", "1ether",
         "--model", str(embedding_package)],
    ):  # fmt: skip
        proc = agentnet(*command)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return signer


def worker_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The worker logs to stderr before it stops; its last line is the one error."""
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("agentnet: error: ")]
    assert len(errors) == 1 and proc.stderr.strip().endswith(errors[0]), proc.stderr
    return errors[0]


def test_worker_state_file_that_cannot_be_opened(
    registered_signer: Path, on_chain: list[str], embedding_package: Path, tmp_path: Path
) -> None:
    proc = agentnet(
        "worker", *on_chain, "--signer-keystore", str(registered_signer),
        "--model", str(embedding_package), "--metrics-port", "0",
        "--db", str(tmp_path / "no-such-folder" / "worker.sqlite"),
    )  # fmt: skip
    line = worker_error_line(proc)
    assert "cannot use the worker's state file" in line and "give --db" in line


def test_worker_metrics_port_already_taken(
    registered_signer: Path, on_chain: list[str], embedding_package: Path, tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        proc = agentnet(
            "worker", *on_chain, "--signer-keystore", str(registered_signer),
            "--model", str(embedding_package), "--db", str(tmp_path / "worker.sqlite"),
            "--metrics-host", "127.0.0.1", "--metrics-port", str(taken.getsockname()[1]),
        )  # fmt: skip
    line = worker_error_line(proc)
    assert "cannot serve /metrics and /healthz" in line and "--metrics-port" in line
