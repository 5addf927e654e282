"""The dashboard in a real headless Chromium, with a fake EIP-1193 wallet.

The wallet shim forwards JSON-RPC to anvil (which signs ``eth_sendTransaction`` for its
dev accounts) and answers the account and chain-switch requests itself, as a browser
wallet would. The page must show finalized tasks and the agents, a waiting task with
its draw block, create a task of four seats through the wallet (three agents: one of
them holds two seats at least), and show that task finalized with its members' seats.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from tests.api.conftest import Network
from tests.api.helpers import chain_task, task_if, wait_for

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]

WALLET = """
window.ethereum = {
  isFakeWallet: true,
  async request({ method, params }) {
    if (method === "eth_requestAccounts" || method === "eth_accounts") return [ACCOUNT];
    if (method === "wallet_switchEthereumChain") return null;
    const answer = JSON.parse(await window.__rpc(JSON.stringify({ method, params: params || [] })));
    if (answer.error) {
      const err = new Error(answer.error.message);
      err.code = answer.error.code;
      throw err;
    }
    return answer.result;
  },
};
"""


def _forwarder(url: str) -> Any:
    def forward(payload: str) -> str:
        msg = json.loads(payload)
        body = json.dumps({"jsonrpc": "2.0", "id": 1, **msg}).encode()
        req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.read().decode()

    return forward


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")
def test_dashboard_shows_network_and_creates_a_task(network: Network, artifacts: Path) -> None:
    account = Account.from_key(network.anvil.private_keys[5]).address
    # A task on the silent model: nobody activates it, so it waits for its draw block.
    waiting_id = network.net.create_task(network.silent_model, {"text": "wait"}, 3, 2)
    draw_block = chain_task(network.net, waiting_id)["draw_block"]
    wait_for(lambda: task_if(network.url, waiting_id), what="waiting task indexed")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            ctx = browser.new_context(viewport={"width": 1400, "height": 1100})
            ctx.expose_function("__rpc", _forwarder(network.anvil.url))
            ctx.add_init_script(f"const ACCOUNT = {json.dumps(account)};\n{WALLET}")
            page = ctx.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda msg: print("console:", msg.text))
            page.goto(network.url + "/")
            page.locator("#tasks td.state-succeeded").first.wait_for(timeout=30_000)
            page.locator("#agents tbody tr").nth(2).wait_for(timeout=30_000)
            assert page.locator("#agents tbody tr").count() == len(network.net.agents)

            waiting = page.locator(f'#tasks tbody tr[data-id="{waiting_id}"]')
            assert waiting.locator("td.state").inner_text() == "waiting"
            assert waiting.locator("td.progress").inner_text() == f"draw block {draw_block}"
            waiting.click()
            page.locator("#detail-id", has_text=str(waiting_id)).wait_for(timeout=10_000)
            assert page.locator("#detail-fee").inner_text().endswith("quorum 2 of 3 seats")
            assert page.locator("#detail-draw").inner_text() == (
                f"block {draw_block}, waiting for it"
            )
            assert "not drawn yet: 3 seats" in page.locator("#detail-members").inner_text()

            form = page.locator("#create")
            form.locator("select[name=model]").select_option(network.model_ids["embedding"])
            form.locator("textarea[name=input]").fill('{"text": "from the browser wallet"}')
            form.locator("input[name=committee_size]").fill("4")
            form.locator("input[name=quorum]").fill("3")
            form.locator("button[type=submit]").click()
            page.locator("#new-task, #create-result .error").first.wait_for(timeout=90_000)
            assert page.locator("#new-task").count() == 1, page.locator(
                "#create-result"
            ).inner_text()
            tx_hash = page.locator("#tx-hash").inner_text()
            task_id = int(page.locator("#new-task").inner_text())
            receipt = network.net.rpc.call("eth_getTransactionReceipt", [tx_hash])
            assert receipt["from"].lower() == account.lower()

            row = page.locator(f'#tasks tbody tr[data-id="{task_id}"] td.state')
            row.filter(has_text="succeeded").wait_for(timeout=120_000)
            page.locator("#detail-state", has_text="succeeded").wait_for(timeout=30_000)
            assert "embedding dim" in page.locator("#detail-output").inner_text()
            assert page.locator("#detail-fee").inner_text().endswith("quorum 3 of 4 seats")
            # Four seats, three agents: the members and their seats are the chain's.
            items = page.locator("#detail-members li")
            shown = [
                (
                    items.nth(i).get_attribute("data-agent"),
                    int(items.nth(i).get_attribute("data-seats") or 0),
                )
                for i in range(items.count())
            ]
            members = chain_task(network.net, task_id)["members"]
            assert shown == [(m["agent"], m["seats"]) for m in members]
            assert sum(seats for _, seats in shown) == 4 and max(s for _, s in shown) >= 2
            most = max(range(len(shown)), key=lambda i: shown[i][1])
            assert f"{shown[most][1]} seats" in items.nth(most).inner_text()
            assert "agreed" in items.nth(most).inner_text()
            page.wait_for_timeout(1_500)  # let the plots catch up
            shot = artifacts / "dashboard.png"
            page.screenshot(path=str(shot), full_page=True)
            assert errors == []
        finally:
            browser.close()
