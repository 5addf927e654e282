"""A fault-injecting JSON-RPC proxy, shared by the chain and worker tests."""

from __future__ import annotations

import asyncio
import random
import threading

import aiohttp
from aiohttp import web


class FaultProxy:
    """A loopback HTTP proxy in front of a node that fails a share of the requests.

    Faults, each drawn with probability ``rate / 4``: answer 502 without forwarding;
    forward, then answer 503 anyway (the node did the work); hang longer than the
    client's timeout; drop the connection. Runs its own event loop in a thread.
    """

    def __init__(self, upstream: str, rate: float = 0.3, delay: float = 1.0, seed: int = 7):
        self.upstream = upstream
        self.rate = rate
        self.delay = delay
        self.rng = random.Random(seed)
        self.counts: dict[str, int] = {"ok": 0, "error": 0, "error_after": 0, "delay": 0, "drop": 0}
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _pick(self) -> str:
        if self.rng.random() >= self.rate:
            return "ok"
        return self.rng.choice(["error", "error_after", "delay", "drop"])

    async def _forward(self, body: bytes) -> tuple[int, bytes]:
        assert self._session is not None
        async with self._session.post(
            self.upstream, data=body, headers={"Content-Type": "application/json"}
        ) as resp:
            return resp.status, await resp.read()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        fault = self._pick()
        self.counts[fault] += 1
        if fault == "error":
            return web.Response(status=502, text="bad gateway")
        if fault == "drop":
            assert request.transport is not None
            request.transport.abort()
            return web.Response(status=500)
        if fault == "delay":
            await asyncio.sleep(self.delay)
        status, payload = await self._forward(body)
        if fault == "error_after":
            return web.Response(status=503, text="unavailable")
        return web.Response(status=status, body=payload, content_type="application/json")

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def start() -> None:
            self._session = aiohttp.ClientSession()
            app = web.Application()
            app.router.add_post("/", self._handle)
            self._runner = web.AppRunner(app, handle_signals=False)
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            self._ready.set()

        self._loop.run_until_complete(start())
        self._loop.run_forever()

    def start(self) -> FaultProxy:
        self._thread.start()
        self._ready.wait(10)
        return self

    def stop(self) -> None:
        async def cleanup() -> None:
            if self._runner is not None:
                await self._runner.cleanup()
            if self._session is not None:
                await self._session.close()

        asyncio.run_coroutine_threadsafe(cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
