"""The ten-line example of docs/client.md runs and prints the network's answers.

The block is run as written, with two substitutions: the test network's URL for the
devnet's, and a folder laid out as `agentnet devnet` leaves `.agentnet/devnet/`
(requester keystore, password file, deployment record) for the devnet's.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np

from oracles.chain.keys import TEST_SCRYPT_N, create_keystore
from oracles.client.inputs import encode_input
from oracles.client.outputs import decode_classification, decode_embedding
from tests.client.conftest import ClientNet
from tests.worker.helpers import expected

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "client.md"


def example(path: Path = DOC) -> str:
    match = re.search(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), re.S)
    assert match is not None, f"{path.name} has no python example"
    return match.group(1)


def test_the_readme_shows_the_same_example() -> None:
    assert example(ROOT / "README.md") == example()


def test_the_docs_example_runs(network: ClientNet, tmp_path: Path) -> None:
    code = example()
    assert len(code.splitlines()) <= 10
    state = tmp_path / "devnet"
    state.mkdir()
    local = network.net.net
    shutil.copy(local.workdir / "password", state / "password")
    shutil.copy(local.deployment_path, state / "31337.json")
    create_keystore(
        state / "requester.json",
        local.password,
        private_key=local.requester.key.hex(),
        scrypt_n=TEST_SCRYPT_N,
    )
    assert "http://127.0.0.1:8545" in code and '".agentnet/devnet/"' in code
    code = code.replace("http://127.0.0.1:8545", network.url)
    code = code.replace('".agentnet/devnet/"', repr(f"{state}/"))

    printed: list[object] = []
    namespace: dict[str, object] = {"print": printed.append}
    exec(compile(code, str(DOC), "exec"), namespace)

    vector, chosen, text, final = printed
    embedded = encode_input({"text": "agentnet runs verifiable inference"})
    embedding = expected(network.package("embedding"), embedded)
    assert np.array_equal(vector, decode_embedding(embedding)[:8])  # type: ignore[arg-type]
    labels = ["sports", "politics", "cooking"]
    text_in = "The match ended 2-1 after extra time"
    classified = expected(
        network.package("classification"), encode_input({"text": text_in, "labels": labels})
    )
    assert chosen == decode_classification(classified)
    assert isinstance(text, str) and text
    generation = network.package("generation")
    notes = namespace["notes"]
    assert isinstance(notes, list)
    outputs = [expected(generation, encode_input(n)) for n in notes]
    reduce = {"prompt": "Notes:\n{parents}\n\nIn one sentence:", "max_new_tokens": 24}
    assert final == expected(generation, encode_input(reduce), outputs)
