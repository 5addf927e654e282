"""`agentnet devnet`: the whole network on this machine, in one command.

Starts anvil (1 s blocks) on loopback, deploys the contracts, exports the default
model packages once (cached under ``.agentnet/models``), registers them, creates
keystores for the agents with different stakes, mines up to the next stake epoch
(committees are drawn with the weights of an earlier epoch, 256 blocks), starts one
`agentnet worker` process per agent and the API, posts sample tasks (embeddings, a
zero-shot classification, a generation, an invalid input, and a map-reduce workflow
whose generation sub-tasks feed a final task through ``parents``), then shows live
progress until Ctrl-C, which stops every process it started. Once every sample has
ended it prints how many blocks each took from creation to finalization.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = ROOT / ".agentnet"
ETHER = 10**18

# alias -> (preset or tiny name, kind)
PACKAGES = {
    "minilm-embedding": ("minilm", "embedding"),
    "minilm-classification": ("minilm", "classification"),
    "smollm2": ("smollm2", "generation"),
}
TINY = {
    "minilm-embedding": "embedding",
    "minilm-classification": "classification",
    "smollm2": "generation",
}


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``devnet`` command to the CLI."""
    from oracles.cli_common import int_range

    devnet = subparsers.add_parser(
        "devnet",
        help="run the whole network locally: chain, contracts, models, workers, API, samples",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    devnet.add_argument(
        "--workers", type=int_range(1, 8), default=3, help="number of agents/workers (1-8)"
    )
    devnet.add_argument(
        "--rpc-port", type=int_range(0, 65535), default=8545, help="anvil port (0: any free port)"
    )
    devnet.add_argument(
        "--api-port", type=int_range(0, 65535), default=8000, help="API/dashboard port (0: any)"
    )
    devnet.add_argument("--no-samples", action="store_true", help="do not post the sample tasks")
    devnet.add_argument("--models-dir", default=str(STATE_DIR / "models"), help="package cache")
    devnet.add_argument("--workdir", default=str(STATE_DIR / "devnet"), help="keystores, DBs, logs")
    devnet.add_argument("--tiny", action="store_true", help="tiny random models (fast; for tests)")
    # seconds until a clean stop, for tests; hidden from --help
    devnet.add_argument("--exit-after", type=float, default=None, help=argparse.SUPPRESS)
    devnet.set_defaults(func=run)


def ensure_packages(models_dir: Path, tiny: bool) -> dict[str, Path]:
    """Export (once) and return alias -> package folder."""
    out: dict[str, Path] = {}
    models_dir.mkdir(parents=True, exist_ok=True)
    for alias, (preset, kind) in PACKAGES.items():
        folder = models_dir / (f"tiny-{alias}" if tiny else alias)
        if not (folder / "manifest.json").is_file():
            if folder.exists():
                shutil.rmtree(folder)
            if tiny:
                from model_export.tiny import tiny_package

                built = tiny_package(models_dir / "tiny-build", TINY[alias])
                shutil.copytree(built, folder)
            else:
                print(f"exporting {preset} ({kind}) to {folder} (once; cached)", flush=True)
                from model_export.export import export

                export(preset, kind, folder)
        out[alias] = folder
    return out


class Devnet:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.workdir = Path(args.workdir)
        self.api: subprocess.Popen[bytes] | None = None
        self.net: Any = None
        self.anvil: Any = None

    def start(self) -> None:
        from deployments.localnet import LocalNet
        from deployments.params import Params
        from oracles.chain.anvil import Anvil
        from oracles.chain.keys import TEST_SCRYPT_N, create_keystore

        a = self.args
        if not 1 <= a.workers <= 8:
            from oracles.errors import UsageError

            raise UsageError("--workers must be between 1 and 8")
        packages = ensure_packages(Path(a.models_dir), a.tiny)
        if self.workdir.exists():
            shutil.rmtree(self.workdir)
        self.workdir.mkdir(parents=True)
        self.anvil = Anvil(block_time=1, port=a.rpc_port, accounts=20).start()
        print(f"anvil       {self.anvil.url} (chain id {self.anvil.chain_id}, 1 s blocks)")
        params = Params()
        self.net = LocalNet(self.anvil, self.workdir, params=params)
        record = self.net.deployment_path
        if not a.tiny:  # the CLI's default record, so `--deployment` can be left out
            record = ROOT / "deployments" / f"{self.anvil.chain_id}.json"
            shutil.copy(self.net.deployment_path, record)
        print(f"contracts   {record}")
        for name in ("ModelRegistry", "AgentStaking", "TaskMarket"):
            print(f"  {name:<13} {self.net.deployment[name].address}")
        print(
            f"windows     commit {params.commit_window} s, reveal {params.reveal_window} s,"
            f" grace period {params.grace_period} s"
        )

        self.model_ids: dict[str, bytes] = {}
        for alias, folder in packages.items():
            self.model_ids[alias] = self.net.register_model(folder)
            print(f"model       {alias:<22} 0x{self.model_ids[alias].hex()}")
        aliases = {k: "0x" + v.hex() for k, v in self.model_ids.items()}
        aliases["minilm"] = aliases["minilm-embedding"]
        aliases_file = self.workdir / "models.json" if a.tiny else STATE_DIR / "models.json"
        aliases_file.write_text(json.dumps(aliases, indent=2) + "\n")

        ids = list(self.model_ids.values())
        for i in range(a.workers):
            agent = self.net.add_agent((i + 1) * ETHER, ids)
            self.net.start_worker(agent, list(packages.values()))
            print(f"agent {i}     {agent.owner.address} stake {i + 1} ETH, worker started")
        mined = self.net.cross_epoch()
        print(f"epoch       mined {mined} blocks to block {self._head()}: agents drawable")

        requester_ks = self.workdir / "requester.json"
        create_keystore(
            requester_ks,
            self.net.password,
            private_key=self.net.requester.key.hex(),
            scrypt_n=TEST_SCRYPT_N,
        )
        self._start_api()
        self.net.wait_workers()  # tasks posted before would wait for them, or miss them
        print("workers     following the chain")
        print()
        print(f"dashboard   http://127.0.0.1:{self.api_port}/")
        print(f"RPC         {self.anvil.url}")
        print(
            "post a task: agentnet task create --rpc "
            f"{self.anvil.url} --keystore {requester_ks} --password-file "
            f"{self.workdir / 'password'} --model minilm --text 'hello' --wait"
        )
        print()

    def _start_api(self) -> None:
        from oracles.chain.anvil import free_port

        self.api_port = self.args.api_port or free_port()
        log = open(self.workdir / "api.log", "ab")  # noqa: SIM115
        self.api = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "oracles.cli",
                "api",
                "--rpc",
                self.anvil.url,
                "--deployment",
                str(self.net.deployment_path),
                "--db",
                str(self.workdir / "api.sqlite"),
                "--port",
                str(self.api_port),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=str(ROOT),
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        log.close()

    def post_samples(self) -> list[int]:
        net, m = self.net, self.model_ids
        posted = []

        def post(label: str, model: str, data: Any, parents: list[int] | None = None) -> int:
            task_id = net.create_task(m[model], data, size=3, quorum=2, parents=parents)
            print(f"task {task_id:>3}    {label}")
            posted.append(task_id)
            return task_id

        post("embedding", "minilm-embedding", {"text": "agentnet runs verifiable inference"})
        post("embedding", "minilm-embedding", {"text": "Stake-weighted committees agree"})
        post(
            "classification",
            "minilm-classification",
            {
                "text": "The match ended 2-1 after extra time",
                "labels": ["sports", "politics", "cooking"],
            },
        )
        post("generation", "smollm2", {"prompt": "What is Ethereum?", "max_new_tokens": 24})
        post(
            "invalid input (fails on purpose: agents agree on a canonical error)",
            "minilm-embedding",
            b"this is not JSON",
        )
        topics = ["proof of stake", "commit-reveal schemes", "ONNX"]
        maps = [
            post(
                f"map: explain {t}",
                "smollm2",
                {"prompt": f"Question: what is {t}?\nAnswer:", "max_new_tokens": 24},
            )
            for t in topics
        ]
        post(
            "reduce: summary of the three map outputs",
            "smollm2",
            {
                "prompt": "Notes:\n{parents}\n\nIn one sentence, these notes are about",
                "max_new_tokens": 32,
            },
            parents=maps,
        )
        return posted

    def _head(self) -> int:
        return int(self.net.rpc.call("eth_blockNumber", []), 16)

    def latencies(self, task_ids: list[int]) -> dict[int, int] | None:
        """Blocks from creation to finalization of each task; ``None`` until all ended."""
        market = self.net.deployment["TaskMarket"]
        blocks: dict[str, dict[int, int]] = {"TaskCreated": {}, "TaskFinalized": {}}
        for event in blocks:
            for e in market.logs(self.net.rpc, event, from_block=self.net.deployment.block):
                blocks[event][int(e.args["task_id"])] = e.log.block_number
        if any(t not in blocks["TaskFinalized"] for t in task_ids):
            return None
        return {t: blocks["TaskFinalized"][t] - blocks["TaskCreated"][t] for t in task_ids}

    def progress(self) -> str:
        net = self.net
        count = int(net.call("TaskMarket", "task_count"))
        phases: dict[int, int] = {}
        for task_id in range(1, count + 1):
            p = int(net.call("TaskMarket", "taskPhase", task_id))
            phases[p] = phases.get(p, 0) + 1
        names = {1: "waiting", 2: "commit", 3: "reveal", 4: "ready", 5: "succeeded", 6: "failed"}
        parts = [f"{names[p]} {n}" for p, n in sorted(phases.items())]
        agents = []
        for i, agent in enumerate(net.agents):
            claimable = int(net.call("TaskMarket", "claimable", agent.owner.address))
            stake = int(net.call("AgentStaking", "stakeOf", agent.owner.address))
            agents.append(f"a{i} {claimable / ETHER:.4f}/{stake / ETHER:.2f}")
        return f"tasks {count}: {', '.join(parts) or '-'} | earned/stake ETH: {' '.join(agents)}"

    def stop(self) -> None:
        if self.api is not None and self.api.poll() is None:
            self.api.terminate()
            try:
                self.api.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.api.kill()
                self.api.wait()
        if self.net is not None:
            self.net.stop_workers()
        if self.anvil is not None:
            self.anvil.stop()


def run(args: argparse.Namespace) -> int:
    from oracles import logs

    logs.configure("console", "warning")  # the workers' own logs go to their files
    devnet = Devnet(args)
    stopping = {"flag": False}

    def _stop(*_: Any) -> None:
        stopping["flag"] = True

    old_int = signal.signal(signal.SIGINT, _stop)
    old_term = signal.signal(signal.SIGTERM, _stop)
    try:
        devnet.start()
        samples = [] if args.no_samples else devnet.post_samples()
        if samples:
            print()
        started = time.time()
        last = ""
        while not stopping["flag"]:
            if args.exit_after is not None and time.time() - started > args.exit_after:
                break
            line = devnet.progress()
            if line != last:
                print(time.strftime("%H:%M:%S"), line, flush=True)
                last = line
            if samples and (took := devnet.latencies(samples)) is not None:
                listed = ", ".join(f"task {t} {n}" for t, n in took.items())
                print(f"samples ended; blocks from creation to finalization: {listed}")
                samples = []
            for _ in range(20):
                if stopping["flag"]:
                    break
                time.sleep(0.1)
        print("\nstopping: workers, API, anvil")
    finally:
        devnet.stop()
        signal.signal(signal.SIGINT, old_int)
        signal.signal(signal.SIGTERM, old_term)
    print("stopped; nothing left running")
    return 0
