"""The two examples of docs/consumers.md compile as written and answer questions.

The Vyper block is compiled with agentnet's ``contracts/`` on the search path, the
Solidity block by solc-js with ``agentnet/contracts/solidity/`` mapped to
``contracts/solidity/``, as the page tells a dApp developer to do; both then ask the
protocol a question on the in-process chain and take delivery of the answer.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import boa
import pytest
from eth_abi import encode

from tests.consumer.evm import ETHER, Chain
from tests.consumer.solc import compile_solidity

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "consumers.md"
YES = b'{"index":0,"label":"yes"}'
NO = b'{"index":1,"label":"no"}'


def block(language: str) -> str:
    found = re.findall(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(found) == 1, f"docs/consumers.md should hold one {language} block"
    return str(found[0])


def deploy_vyper_example(chain: Chain) -> Any:
    boa.interpret.set_search_paths([str(ROOT / "contracts")])
    try:
        deployer = boa.loads_partial(block("vyper"), name="YesNo")
    finally:
        boa.interpret.set_search_paths(None)
    return deployer.deploy(chain.market.address, chain.model_id)


def deploy_solidity_example(chain: Chain) -> Any:
    artifact = compile_solidity((("doc/YesNo.sol", block("solidity")),))["YesNo"]
    args = encode(["address", "bytes32"], [str(chain.market.address), chain.model_id])
    address, _ = boa.env.deploy_code(bytecode=artifact.bytecode + args)
    return boa.loads_abi(json.dumps(artifact.abi), name="YesNo").at(address)


@pytest.mark.parametrize("deploy", [deploy_vyper_example, deploy_solidity_example])
def test_the_examples_ask_and_take_delivery(chain: Chain, deploy: Any) -> None:
    app = deploy(chain)
    asker = boa.env.generate_address()
    boa.env.set_balance(asker, ETHER)
    tasks = []
    for question in ("Is the sky blue?", "Is fire cold?"):
        with boa.env.prank(asker):
            app.ask(question, value=app.taskFee())
        (posted,) = [e for e in app.get_logs() if type(e).__name__ == "TaskPosted"]
        tasks.append(posted.task_id)
    for task_id, output in zip(tasks, (YES, NO), strict=True):
        assert app.answers(task_id) == 0
        chain.succeed(task_id, output)
        app.deliver(task_id, output)
    assert [app.answers(t) for t in tasks] == [1, 2]
    with boa.reverts("consumer: result already delivered"):
        app.deliver(tasks[0], YES)
    with boa.env.prank(asker), boa.reverts("yesno: quote, backslash or control character"):
        app.ask('say "yes"', value=app.taskFee())
