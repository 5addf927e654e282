"""Helpers of the API tests: the server in a thread, HTTP calls, waiting."""

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
