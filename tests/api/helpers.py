"""Helpers of the API tests: the server in a thread, HTTP calls, waiting, chain views."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from eth_utils.address import to_checksum_address

from deployments.localnet import LocalNet
from frontend_api.app import ApiServer

T = TypeVar("T")


class ThreadedApi:
    """An :class:`ApiServer` on its own event loop in a daemon thread."""

    def __init__(self, rpc_url: str, deployment: Path, db: Path) -> None:
        self.server = ApiServer(rpc_url, deployment, db, poll_interval=0.25)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.port = self._run(self.server.start())
        self.url = f"http://127.0.0.1:{self.port}"

    def _run(self, coro: Any, timeout: float = 60.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        try:
            self._run(self.server.stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)
            self.loop.close()


def http(method: str, url: str, body: Any = None, raw: bytes | None = None) -> tuple[int, Any]:
    """(status, parsed JSON body) of one request; errors are returned, not raised."""
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    req = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            status, payload = resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        status, payload = exc.code, exc.read()
    try:
        return status, json.loads(payload)
    except ValueError:
        return status, payload.decode(errors="replace")


def get(url: str) -> Any:
    status, body = http("GET", url)
    assert status == 200, (url, status, body)
    return body


def wait_for(check: Callable[[], T | None], timeout: float = 90.0, what: str = "") -> T:
    """Poll ``check`` until it returns something truthy."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise TimeoutError(f"timed out waiting for {what or check}")


def chain_task(net: LocalNet, task_id: int) -> dict[str, Any]:
    """``TaskMarket.getTask`` as a dict named after the ABI's struct fields."""
    market = net.deployment["TaskMarket"]
    abi = next(i for i in market.abi if i.get("name") == "getTask")
    fields = [c["name"] for c in abi["outputs"][0]["components"]]
    out = dict(zip(fields, net.call("TaskMarket", "getTask", task_id), strict=True))
    out["members"] = [
        {"agent": to_checksum_address(m[0]), "seats": int(m[1]), "committed": m[2],
         "revealed": m[3], "result_hash": "0x" + bytes(m[4]).hex()}
        for m in out["members"]
    ]  # fmt: skip
    return out


def committee_of(net: LocalNet, task_id: int) -> list[str]:
    """``TaskMarket.committeeOf``: one checksummed address per seat."""
    return [to_checksum_address(a) for a in net.call("TaskMarket", "committeeOf", task_id)]


def task_if(url: str, task_id: int) -> dict[str, Any] | None:
    """The API's task, or ``None`` while it is not indexed."""
    status, body = http("GET", f"{url}/api/tasks/{task_id}")
    return body if status == 200 else None
