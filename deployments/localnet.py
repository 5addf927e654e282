"""A local network on a real anvil: deploy, models, agents with keystores, workers, tasks.

Used by the worker's end-to-end tests, the benchmarks and `agentnet devnet`, so that
all of them run the very code paths a user runs: the deploy code, the CLI's
registration transactions, and workers as separate `agentnet worker` processes.

Protocol v2 draws committees with the stake weights of an earlier epoch (256 blocks):
an agent registered now can be drawn once an epoch boundary has passed, so after
registering agents call :meth:`LocalNet.cross_epoch` (anvil mines to the boundary).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from deployments.deploy import deploy
from deployments.params import Params
from oracles.chain.anvil import Anvil
from oracles.chain.contracts import Deployment
from oracles.chain.keys import TEST_SCRYPT_N, create_keystore
from oracles.chain.rpc import SyncRpcClient
from oracles.chain.sender import send_sync
from oracles.engine.compare import package_tolerance
from oracles.package import load_package

ETHER = 10**18


@dataclass
class AgentSetup:
    owner: LocalAccount
    signer: LocalAccount
    owner_keystore: Path
    signer_keystore: Path
    stake: int


@dataclass
class LocalNet:
    """A deployed protocol on a running anvil, plus helpers to drive it."""

    anvil: Anvil
    workdir: Path
    params: Params = field(default_factory=Params)
    password: str = "agentnet-local"
    deployment_path: Path = field(init=False)
    deployment: Deployment = field(init=False)
    deployer: LocalAccount = field(init=False)
    requester: LocalAccount = field(init=False)
    agents: list[AgentSetup] = field(default_factory=list)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    worker_logs: dict[Path, subprocess.Popen[bytes]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        keys = self.anvil.private_keys
        self.deployer = Account.from_key(keys[0])
        self.requester = Account.from_key(keys[1])
        self._funders = [Account.from_key(k) for k in keys[2:]]
        result = deploy(self.anvil.url, self.deployer, self.params, out_dir=self.workdir)
        self.deployment_path = result.path
        self.deployment = Deployment.load(path=result.path)
        self.rpc = SyncRpcClient(self.anvil.url)
        (self.workdir / "password").write_text(self.password)

    # --- chain helpers -------------------------------------------------------------
    @property
    def url(self) -> str:
        return self.anvil.url

    def call(self, contract: str, function: str, *args: Any) -> Any:
        return self.deployment[contract].call(self.rpc, function, *args)

    def send(
        self, account: LocalAccount, contract: str, function: str, *args: Any, value: int = 0
    ) -> dict[str, Any]:
        c = self.deployment[contract]
        return send_sync(self.url, account, c.address, c.encode(function, *args), value)

    def events(self, receipt: dict[str, Any], contract: str = "TaskMarket") -> list[Any]:
        return self.deployment[contract].receipt_events(receipt)

    # --- setup ----------------------------------------------------------------------
    def register_model(
        self, package_dir: str | Path, kind: int | None = None, tolerance: int | None = None
    ) -> bytes:
        """Register a package; ``tolerance`` (int8 steps) defaults to its manifest's rule."""
        package = load_package(package_dir)
        model_id = bytes.fromhex(package.model_id[2:])
        if not self.call("ModelRegistry", "isActive", model_id):
            if tolerance is None:
                tolerance = package_tolerance(package.manifest)
            args: tuple[Any, ...] = (
                model_id,
                package.kind_code if kind is None else kind,
                f"file://{Path(package_dir).resolve()}/manifest.json",
            )
            if tolerance:
                self.send(
                    self.deployer, "ModelRegistry", "registerModelWithTolerance", *args, tolerance
                )
            else:
                self.send(self.deployer, "ModelRegistry", "registerModel", *args)
        return model_id

    def add_agent(self, stake: int, models: list[bytes], gas_money: int = 10 * ETHER) -> AgentSetup:
        index = len(self.agents)
        owner = Account.create()
        signer = Account.create()
        owner_ks = self.workdir / f"agent{index}-owner.json"
        signer_ks = self.workdir / f"agent{index}-signer.json"
        for account, path in ((owner, owner_ks), (signer, signer_ks)):
            create_keystore(
                path, self.password, private_key=account.key.hex(), scrypt_n=TEST_SCRYPT_N
            )
        funder = self._funders[index % len(self._funders)]
        send_sync(self.url, funder, owner.address, b"", stake + gas_money)
        send_sync(self.url, funder, signer.address, b"", gas_money)
        self.send(owner, "AgentStaking", "register", signer.address, models, "", value=stake)
        agent = AgentSetup(owner, signer, owner_ks, signer_ks, stake)
        self.agents.append(agent)
        return agent

    def cross_epoch(self) -> int:
        """Mine up to the next stake epoch, so that the agents registered so far can be
        drawn (``anvil_mine``); the number of blocks mined (0 for v1 contracts)."""
        staking = self.deployment["AgentStaking"]
        if not any(i.get("name") == "epochBlocks" for i in staking.abi):
            return 0
        epoch_blocks = int(self.call("AgentStaking", "epochBlocks"))
        head = int(self.rpc.call("eth_blockNumber", []), 16)
        blocks = epoch_blocks - head % epoch_blocks
        self.rpc.call("anvil_mine", [hex(blocks)])
        return blocks

    # --- workers --------------------------------------------------------------------
    def worker_command(
        self,
        agent: AgentSetup,
        packages: list[Path],
        db: Path,
        *extra: str,
        rpc: list[str] | None = None,
    ) -> list[str]:
        """The `agentnet worker` command line; ``rpc`` replaces the anvil URL."""
        cmd = [sys.executable, "-m", "oracles.cli", "worker"]
        for url in rpc or [self.url]:
            cmd += ["--rpc", url]
        cmd += [
            "--deployment",
            str(self.deployment_path),
            "--signer-keystore",
            str(agent.signer_keystore),
            "--password-file",
            str(self.workdir / "password"),
            "--db",
            str(db),
            "--confirmations",
            "0",
            "--poll-interval",
            "0.25",
            "--metrics-port",
            "0",
            "--threads",
            "1",
            "--log-format",
            "json",
        ]
        for package in packages:
            cmd += ["--model", str(package)]
        return cmd + list(extra)

    def start_worker(
        self,
        agent: AgentSetup,
        packages: list[Path],
        *extra: str,
        name: str | None = None,
        rpc: list[str] | None = None,
    ) -> subprocess.Popen[bytes]:
        index = self.agents.index(agent)
        name = name or f"worker{index}"
        log_file = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen(
            self.worker_command(agent, packages, self.workdir / f"{name}.sqlite", *extra, rpc=rpc),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=str(Path(__file__).resolve().parent.parent),
        )
        log_file.close()
        self.processes.append(proc)
        self.worker_logs[self.workdir / f"{name}.log"] = proc
        return proc

    def wait_workers(self, timeout: float = 300.0) -> None:
        """Until every worker started here is following the chain (``worker.started``)."""
        deadline = time.time() + timeout
        waiting = dict(self.worker_logs)
        while waiting:
            for path, proc in list(waiting.items()):
                if path.exists() and '"worker.started"' in path.read_text(errors="replace"):
                    del waiting[path]
                elif proc.poll() is not None:
                    raise RuntimeError(f"worker exited with {proc.returncode}: see {path}")
            if waiting and time.time() > deadline:
                raise TimeoutError(f"workers not started in {timeout:.0f}s: {sorted(waiting)}")
            time.sleep(0.2)

    def stop_workers(self, timeout: float = 15.0) -> None:
        for proc in self.processes:
            if proc.poll() is None:
                proc.terminate()
        deadline = time.time() + timeout
        for proc in self.processes:
            try:
                proc.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.processes.clear()

    # --- tasks ----------------------------------------------------------------------
    def create_task(
        self,
        model_id: bytes,
        task_input: dict[str, Any] | bytes,
        size: int = 3,
        quorum: int = 2,
        parents: list[int] | None = None,
        fee: int | None = None,
        requester: LocalAccount | None = None,
    ) -> int:
        data = task_input if isinstance(task_input, bytes) else json.dumps(task_input).encode()
        fee = self.params.min_fee_per_agent * size * 10 if fee is None else fee
        receipt = self.send(
            requester or self.requester,
            "TaskMarket",
            "createTask",
            model_id,
            data,
            size,
            quorum,
            parents or [],
            value=fee,
        )
        created = [e for e in self.events(receipt) if e.name == "TaskCreated"]
        return int(created[0].args["task_id"])

    def phase(self, task_id: int) -> int:
        return int(self.call("TaskMarket", "taskPhase", task_id))

    def wait_phases(
        self, task_ids: list[int], phases: tuple[int, ...] = (5, 6), timeout: float = 180.0
    ) -> dict[int, int]:
        """Wait until every task is in one of ``phases``; return task -> phase."""
        deadline = time.time() + timeout
        current: dict[int, int] = {}
        while time.time() < deadline:
            current = {t: self.phase(t) for t in task_ids}
            if all(p in phases for p in current.values()):
                return current
            for proc in self.processes:
                if proc.poll() is not None and proc.returncode not in (0, -15):
                    raise RuntimeError(f"a worker exited with {proc.returncode}")
            time.sleep(0.5)
        raise TimeoutError(f"tasks not done in {timeout:.0f}s: {current}")

    def finalized_output(self, task_id: int) -> tuple[int, bytes]:
        """(status, output) from the task's TaskFinalized event."""
        market = self.deployment["TaskMarket"]
        topic = "0x" + task_id.to_bytes(32, "big").hex()
        events = market.logs(self.rpc, "TaskFinalized", topic, from_block=self.deployment.block)
        if not events:
            raise LookupError(f"task {task_id} is not finalized")
        event = events[-1]
        return int(event.args["status"]), bytes(event.args["output"])
