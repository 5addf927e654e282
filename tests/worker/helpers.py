"""Helpers of the worker tests: a LocalNet on its own anvil, logs, events, expectations.

Committees are drawn by stake, with replacement (protocol v2): which agents hold the
seats of a task is known once its draw block is mined, so tests read it from the
chain (:meth:`Net.seats`) and state what each member must see, or post tasks until
the agent they need is seated (:meth:`Net.post_seated`).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from eth_utils import function_signature_to_4byte_selector
from eth_utils.address import to_checksum_address

from deployments.localnet import AgentSetup, LocalNet
from deployments.params import Params
from oracles.chain.anvil import Anvil
from oracles.chain.follower import Log
from oracles.engine import Engine
from oracles.worker.compose import compose

ETHER = 10**18
PHASE_SUCCEEDED = 5
LIAR = "tests.worker.liar"  # module of the test-only worker whose engines lie
ROOT = Path(__file__).resolve().parents[2]


@cache
def engine(package: Path) -> Engine:
    """One in-process engine per package (the reference the workers must match)."""
    return Engine.load(package, threads=1)


def expected(package: Path, task_input: bytes, parent_outputs: list[bytes] | None = None) -> bytes:
    """The canonical output an honest worker must produce for ``task_input``."""
    return engine(package).run(compose(task_input, parent_outputs or []))


def as_bytes(task_input: dict[str, Any] | bytes) -> bytes:
    """Task input bytes exactly as ``LocalNet.create_task`` posts them."""
    return task_input if isinstance(task_input, bytes) else json.dumps(task_input).encode()


@dataclass
class Net:
    """A LocalNet on its own anvil, with the worker processes it started."""

    anvil: Anvil
    net: LocalNet
    packages: dict[str, Path]
    model_ids: dict[str, bytes] = field(default_factory=dict)
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    commands: list[list[str]] = field(default_factory=list)

    @property
    def workdir(self) -> Path:
        return self.net.workdir

    def rpc(self, method: str, params: list[Any]) -> Any:
        return self.net.rpc.call(method, params)

    def log_path(self, name: str) -> Path:
        return self.workdir / f"{name}.log"

    def db_path(self, name: str) -> Path:
        return self.workdir / f"{name}.sqlite"

    def start(
        self,
        index: int,
        *extra: str,
        name: str | None = None,
        rpc: list[str] | None = None,
        models: list[str] | None = None,
        module: str | None = None,
    ) -> subprocess.Popen[bytes]:
        """Start ``agentnet worker`` for agent ``index`` (name defaults to worker<index>).

        ``module`` runs ``python -m module`` with the same flags instead (e.g. :data:`LIAR`;
        words after the module name come first).
        """
        agent = self.net.agents[index]
        name = name or f"worker{index}"
        packages = [self.packages[m] for m in (models or list(self.packages))]
        command = self.net.worker_command(agent, packages, self.db_path(name), *extra, rpc=rpc)
        if module is None:
            self.commands.append(command)
            proc = self.net.start_worker(agent, packages, *extra, name=name, rpc=rpc)
        else:
            program = [sys.executable, "-m", "oracles.cli", "worker"]
            assert command[: len(program)] == program, command
            command = [sys.executable, "-m", *module.split(), *command[len(program) :]]
            self.commands.append(command)
            with open(self.log_path(name), "ab") as log_file:
                proc = subprocess.Popen(
                    command,
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                    env={**os.environ, "PYTHONUNBUFFERED": "1"},
                    cwd=str(ROOT),
                )
            self.net.processes.append(proc)
        self.workers[name] = proc
        return proc

    def kill(self, name: str) -> None:
        """SIGKILL a worker and reap it."""
        proc = self.workers[name]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        self.net.processes.remove(proc)

    def wait_started(self, name: str, offset: int = 0, timeout: float = 60.0) -> dict[str, Any]:
        """The worker's ``worker.started`` line (it is following the chain from then on)."""
        line, _ = wait_log(
            self.log_path(name),
            lambda e: e.get("event") == "worker.started",
            offset,
            timeout,
            proc=self.workers[name],
        )
        return line

    def agent(self, index: int) -> AgentSetup:
        return self.net.agents[index]

    def member_state(self, task_id: int, index: int) -> tuple[bool, bool, bool, bytes]:
        """(holds a seat, committed, revealed, revealed hash) of agent ``index``."""
        seats, c, r, h = self.net.call(
            "TaskMarket", "memberState", task_id, self.agent(index).owner.address
        )
        return bool(seats), bool(c), bool(r), bytes(h)

    def head(self) -> int:
        return int(self.rpc("eth_blockNumber", []), 16)

    def committee(self, task_id: int, pending: bool = False) -> list[str]:
        """One owner address per seat: ``committeeOf``, or ``previewCommittee`` as the
        next block sees it (``pending``: known once the draw block is mined)."""
        market = self.net.deployment["TaskMarket"]
        if pending:
            seats = market.call(self.net.rpc, "previewCommittee", task_id, block="pending")
        else:
            seats = market.call(self.net.rpc, "committeeOf", task_id)
        return [to_checksum_address(a) for a in seats]

    def seats(self, task_id: int) -> dict[str, int]:
        """Seats per agent (owner address) of a seated task."""
        return dict(Counter(self.committee(task_id)))

    def draw_block(self, task_id: int) -> int:
        (created, _) = self.logs("TaskCreated", task_id)[0]
        return int(created.args["draw_block"])

    def wait_draw_mined(self, task_id: int, timeout: float = 30.0) -> None:
        """Until the task's draw block is mined (its committee is known)."""
        draw = self.draw_block(task_id)
        deadline = time.time() + timeout
        while self.head() < draw:
            assert time.time() < deadline, f"draw block {draw} of task {task_id} never mined"
            time.sleep(0.02)

    def post_seated(
        self,
        model: bytes,
        task_input: dict[str, Any] | bytes,
        *needed: int,
        pause: bool = False,
        tries: int = 20,
        **options: Any,
    ) -> tuple[int, list[int]]:
        """Post the task until agents ``needed`` all hold a seat; (its id, the others).

        Each try waits for the draw block, then reads the committee the next block
        seats. With ``pause``, interval mining is paused as soon as the draw block is
        mined (and stays paused when the agents are seated): the members' commits wait
        in the pool.
        """
        others: list[int] = []
        wanted = {self.agent(i).owner.address for i in needed}
        for _ in range(tries):
            task_id = self.net.create_task(model, task_input, **options)
            self.wait_draw_mined(task_id)
            if pause:
                set_mining(self, False)
            if wanted <= set(self.committee(task_id, pending=True)):
                return task_id, others
            if pause:
                set_mining(self, True)
            others.append(task_id)
        raise AssertionError(f"agents {needed} were never all seated in {tries} tasks")

    def logs(
        self,
        event: str,
        task_id: int | None = None,
        agent: str | None = None,
        contract: str = "TaskMarket",
    ) -> list[tuple[Any, dict[str, Any]]]:
        """Decoded events (with their raw logs) on the current chain.

        ``task_id`` and ``agent`` filter on the first two indexed topics
        (``Committed``/``Revealed``: task, agent; ``Slashed``: agent, task).
        """
        market = self.net.deployment[contract]
        first, second = (agent, task_id) if event == "Slashed" else (task_id, agent)
        topics: list[Any] = [market.topic(event), topic_of(first), topic_of(second)]
        while topics[-1] is None:
            topics.pop()
        raw = self.rpc(
            "eth_getLogs",
            [
                {
                    "address": market.address,
                    "fromBlock": hex(self.net.deployment.block),
                    "toBlock": "latest",
                    "topics": topics,
                }
            ],
        )
        out = []
        for item in raw:
            decoded = market.decode_log(Log.from_rpc(item))
            assert decoded is not None
            out.append((decoded, item))
        return out

    def rows(self, name: str) -> dict[int, dict[str, Any]]:
        """The worker's ``worker_tasks`` rows by task id (read-only)."""
        conn = sqlite3.connect(f"file:{self.db_path(name)}?mode=ro", uri=True, timeout=10)
        conn.row_factory = sqlite3.Row
        try:
            return {
                r["task_id"]: dict(r) for r in conn.execute("SELECT * FROM worker_tasks").fetchall()
            }
        finally:
            conn.close()

    def settled_row(self, name: str, task_id: int, timeout: float = 30.0) -> dict[str, Any]:
        """The worker's row for a task, once the worker has seen the task end."""
        deadline = time.time() + timeout
        while (row := self.rows(name)[task_id])["state"] not in ("finalized", "failed"):
            assert time.time() < deadline, f"{name} never settled task {task_id}: {row['state']}"
            time.sleep(0.1)
        return row

    def stop(self) -> None:
        self.net.stop_workers()
        self.anvil.stop()


def function_of(net: Net, calldata: str) -> str:
    """Name of the TaskMarket function that ``calldata`` calls."""
    abi = net.net.deployment["TaskMarket"].abi
    for item in abi:
        if item.get("type") == "function":
            types = ",".join(i["type"] for i in item["inputs"])
            selector = function_signature_to_4byte_selector(f"{item['name']}({types})")
            if calldata[2:10] == selector.hex():
                return str(item["name"])
    return ""


def set_mining(net: Net, on: bool) -> None:
    net.rpc("evm_setIntervalMining", [1 if on else 0])


def topic_of(value: int | str | None) -> str | None:
    """A uint256 or address as a 32-byte log topic (``None`` matches anything)."""
    if value is None:
        return None
    number = value if isinstance(value, int) else int(value, 16)
    return "0x" + number.to_bytes(32, "big").hex()


def read_log(path: Path, offset: int = 0) -> list[tuple[dict[str, Any], int]]:
    """Complete JSON lines of a worker log after ``offset``, each with the offset after it."""
    if not path.exists():
        return []
    with open(path, "rb") as fh:
        fh.seek(offset)
        data = fh.read()
    out = []
    pos = offset
    for raw in data.splitlines(keepends=True):
        if not raw.endswith(b"\n"):
            break  # a line still being written
        pos += len(raw)
        try:
            item = json.loads(raw)
        except ValueError:
            continue
        if isinstance(item, dict):
            out.append((item, pos))
    return out


def wait_log(
    path: Path,
    match: Callable[[dict[str, Any]], bool],
    offset: int = 0,
    timeout: float = 60.0,
    proc: subprocess.Popen[bytes] | None = None,
    give_up: Callable[[], bool] | None = None,
    poll: float = 0.02,
) -> tuple[dict[str, Any], int]:
    """Wait for a log line matching ``match`` after ``offset``.

    Returns the line and the offset just after it, or ``({}, offset)`` once
    ``give_up()`` says the line is no longer worth waiting for.
    """
    deadline = time.time() + timeout
    while time.time() < deadline:
        for line, end in read_log(path, offset):
            if match(line):
                return line, end
            offset = end
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{path.name}: worker exited with {proc.returncode}")
        if give_up is not None and give_up():
            return {}, offset
        time.sleep(poll)
    raise TimeoutError(f"{path.name}: no matching log line in {timeout:.0f}s")


@dataclass
class NetFactory:
    """Makes Nets and stops every one of them at teardown."""

    root: Path
    packages: dict[str, Path]
    made: list[Net] = field(default_factory=list)

    def __call__(
        self,
        params: Params,
        stakes: tuple[int, ...] = (1 * ETHER, 2 * ETHER, 3 * ETHER),
        models: tuple[str, ...] = ("embedding",),
        block_time: float = 1,
        tolerant: bool = False,
    ) -> Net:
        """A net whose models are registered exact, or (``tolerant``) with their
        packages' agreement rules (embeddings: within one int8 step, proven on dispute)."""
        anvil = Anvil(block_time=block_time).start()
        try:
            workdir = self.root / f"net{len(self.made)}"
            local = LocalNet(anvil, workdir, params=params)
            net = Net(anvil, local, {m: self.packages[m] for m in models})
            self.made.append(net)
        except BaseException:
            anvil.stop()
            raise
        for m in models:
            tolerance = None if tolerant else 0  # None: the manifest's rule
            net.model_ids[m] = local.register_model(self.packages[m], tolerance=tolerance)
        for stake in stakes:
            local.add_agent(stake, list(net.model_ids.values()))
        local.cross_epoch()  # the agents can be drawn from the next epoch on
        return net

    def stop(self) -> None:
        for net in self.made:
            net.stop()


def iter_children() -> Iterator[tuple[int, str]]:
    """(pid, command line) of this process's live children."""
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            state = stat.rsplit(")", 1)[1].split()[0]
            if ppid != me or state == "Z":
                continue
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError, ValueError):
            continue
        yield int(entry.name), cmd
