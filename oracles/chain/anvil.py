"""Start and stop a real anvil on a free loopback port.

``anvil --port 0`` is not supported, so :class:`Anvil` picks a free port itself, starts
anvil on it and retries with a fresh port if another process took it in between. The
binary is the one ``npm install`` puts under ``node_modules`` (or ``$AGENTNET_ANVIL``).
Used as a context manager, it leaves no process behind, also when the caller fails;
an ``atexit`` hook and (on Linux) a parent-death signal cover the other exits.
"""

from __future__ import annotations

import atexit
import ctypes
import functools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from eth_account import Account

from oracles.chain.errors import AnvilError

REPO_ROOT = Path(__file__).resolve().parents[2]
ANVIL_RELATIVE = Path("node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil")
DEV_MNEMONIC = "test test test test test test test test test test test junk"

_LIVE: set[subprocess.Popen[bytes]] = set()


def anvil_binary() -> Path:
    """Path of the anvil binary: ``$AGENTNET_ANVIL`` or the npm-installed one."""
    override = os.environ.get("AGENTNET_ANVIL")
    path = Path(override) if override else REPO_ROOT / ANVIL_RELATIVE
    if not path.is_file():
        raise AnvilError(f"anvil not found at {path} (run `make setup` or set AGENTNET_ANVIL)")
    return path


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free on ``host`` a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@functools.cache
def _dev_key(mnemonic: str, index: int) -> str:
    Account.enable_unaudited_hdwallet_features()
    account = Account.from_mnemonic(mnemonic, account_path=f"m/44'/60'/0'/0/{index}")
    return "0x" + bytes(account.key).hex()


def dev_private_keys(count: int, mnemonic: str = DEV_MNEMONIC) -> list[str]:
    """The private keys anvil derives for its dev accounts (BIP-44 path m/44'/60'/0'/0/i).

    These keys are public knowledge: for local chains and tests only.
    """
    return [_dev_key(mnemonic, i) for i in range(count)]


def _die_with_parent() -> None:
    """In the child: ask Linux to SIGTERM it when the parent dies (even by SIGKILL)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


@dataclass
class Anvil:
    """A local anvil process.

    ``block_time=None`` mines one block per transaction (automine); ``no_mining=True``
    mines only on ``evm_mine``. ``extra_args`` are passed to anvil unchanged.
    """

    block_time: float | None = None
    chain_id: int = 31337
    accounts: int = 10
    balance_eth: int = 10_000
    no_mining: bool = False
    host: str = "127.0.0.1"
    extra_args: list[str] = field(default_factory=list)
    start_timeout: float = 30.0
    port: int = 0  # 0: pick a free port (and retry on a collision)
    _proc: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _log: tempfile._TemporaryFileWrapper[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        """HTTP JSON-RPC URL of the running node."""
        return f"http://{self.host}:{self.port}"

    @property
    def private_keys(self) -> list[str]:
        """Private keys of the funded dev accounts (test use only)."""
        return dev_private_keys(self.accounts)

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def _command(self, port: int) -> list[str]:
        cmd = [
            str(anvil_binary()),
            "--host",
            self.host,
            "--port",
            str(port),
            "--chain-id",
            str(self.chain_id),
            "--accounts",
            str(self.accounts),
            "--balance",
            str(self.balance_eth),
            "--mnemonic",
            DEV_MNEMONIC,
        ]
        if self.block_time is not None:
            cmd += ["--block-time", f"{self.block_time:g}"]
        if self.no_mining:
            cmd.append("--no-mining")
        return cmd + list(self.extra_args)

    def start(self, attempts: int = 5) -> Anvil:
        """Start anvil and wait until its RPC answers; retries on a port collision."""
        if self.running:
            return self
        last = ""
        requested = self.port
        for _ in range(attempts if not requested else 1):
            port = requested or free_port(self.host)
            log = tempfile.NamedTemporaryFile(prefix="anvil-", suffix=".log")  # noqa: SIM115
            # PDEATHSIG fires when the spawning *thread* ends, so only the main thread
            # (which lives as long as the process) asks for it.
            on_main = threading.current_thread() is threading.main_thread()
            proc = subprocess.Popen(
                self._command(port),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent if on_main and sys.platform == "linux" else None,
            )
            _LIVE.add(proc)
            self._proc, self._log, self.port = proc, log, port
            if self._wait_ready():
                return self
            last = self._read_log()
            self.stop()
            if "in use" not in last.lower():
                break
        where = f" on port {requested}" if requested else ""
        raise AnvilError(f"anvil did not start{where}: {last.strip()[-500:]}")

    def _read_log(self) -> str:
        if self._log is None:
            return ""
        with open(self._log.name, "rb") as fh:
            return fh.read().decode(errors="replace")

    def _wait_ready(self) -> bool:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []})
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                return False
            req = urllib.request.Request(
                self.url, data=body.encode(), headers={"Content-Type": "application/json"}
            )
            try:
                with urllib.request.urlopen(req, timeout=1) as resp:
                    if "result" in json.loads(resp.read()):
                        return True
            except (OSError, urllib.error.URLError, ValueError):
                pass
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        """Terminate the process (SIGTERM, then SIGKILL) and reap it."""
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)
            _LIVE.discard(proc)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Anvil:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


@atexit.register
def _kill_leftovers() -> None:
    for proc in list(_LIVE):
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
