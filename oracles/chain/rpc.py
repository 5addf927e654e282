"""JSON-RPC clients with failover across several URLs.

Transport failures (connection errors, timeouts, HTTP 429 and 5xx, bodies that are not
JSON-RPC) are retried with exponential backoff, moving to the next URL each time; the
URL that last answered is tried first next time. A JSON-RPC error object is the node's
answer, not a transport failure: it is raised at once as :class:`RpcError`.

:class:`AsyncRpcClient` (aiohttp) serves the worker and the indexer; :class:`SyncRpcClient`
(urllib) serves the CLI.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import aiohttp
import structlog

from oracles.chain.errors import RpcError, RpcUnavailable
from oracles.chain.metrics import ChainMetrics

log = structlog.get_logger(__name__)

BlockId = int | str


def block_param(block: BlockId) -> str:
    """A block number or tag as JSON-RPC wants it (``0x``-hex or ``latest``...)."""
    return hex(block) if isinstance(block, int) else block


@dataclass
class RetryPolicy:
    """How transport failures are retried: ``attempts`` in all, across the URLs."""

    attempts: int = 6
    backoff_base: float = 0.05
    backoff_max: float = 2.0
    timeout: float = 10.0

    def delay(self, attempt: int) -> float:
        """Backoff before retry number ``attempt`` (1-based), with full jitter."""
        cap = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
        return random.uniform(cap / 2, cap)


@dataclass
class RpcStats:
    """Counters a service can export as metrics."""

    requests: int = 0
    transport_errors: int = 0
    rpc_errors: int = 0
    failovers: int = 0


class _Transient(Exception):
    """A failure worth retrying on another URL."""


def _parse(method: str, status: int, body: bytes) -> Any:
    if status == 429 or status >= 500:
        raise _Transient(f"HTTP {status}")
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise _Transient(f"HTTP {status}: body is not JSON") from exc
    if not isinstance(payload, dict) or ("result" not in payload and "error" not in payload):
        raise _Transient(f"HTTP {status}: not a JSON-RPC response")
    if "error" in payload and payload["error"] is not None:
        err = payload["error"]
        code, message = int(err.get("code", 0)), str(err.get("message", ""))
        raise RpcError(method, code, message, err.get("data"))
    return payload["result"]


class _Base:
    """URL rotation, request ids and counters shared by both clients."""

    def __init__(
        self,
        urls: Sequence[str] | str,
        retry: RetryPolicy | None = None,
        stats: RpcStats | None = None,
        metrics: ChainMetrics | None = None,
    ) -> None:
        self.metrics = metrics
        self.urls = [urls] if isinstance(urls, str) else list(urls)
        if not self.urls:
            raise ValueError("at least one RPC URL is needed")
        self.retry = retry or RetryPolicy()
        self.stats = stats or RpcStats()
        self._preferred = 0
        self._ids = itertools.count(1)

    def _body(self, method: str, params: Sequence[Any]) -> bytes:
        msg = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": list(params)}
        return json.dumps(msg).encode()

    def _url_for(self, attempt: int) -> tuple[int, str]:
        index = (self._preferred + attempt) % len(self.urls)
        return index, self.urls[index]

    def _count(self, method: str, outcome: str) -> None:
        if outcome == "transport_error":
            self.stats.transport_errors += 1
        elif outcome == "rpc_error":
            self.stats.rpc_errors += 1
        if self.metrics is not None:
            self.metrics.rpc_requests.labels(method, outcome).inc()

    def _succeeded(self, index: int) -> None:
        if index != self._preferred:
            self.stats.failovers += 1
            if self.metrics is not None:
                self.metrics.rpc_failovers.inc()
            self._preferred = index

    def _give_up(self, method: str, last: str) -> RpcUnavailable:
        return RpcUnavailable(
            f"{method}: no RPC endpoint answered after {self.retry.attempts} attempts ({last})"
        )


class AsyncRpcClient(_Base):
    """asyncio JSON-RPC client; use ``async with`` or call :meth:`close`."""

    def __init__(
        self,
        urls: Sequence[str] | str,
        retry: RetryPolicy | None = None,
        stats: RpcStats | None = None,
        metrics: ChainMetrics | None = None,
    ) -> None:
        super().__init__(urls, retry, stats, metrics)
        self._session: aiohttp.ClientSession | None = None

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                headers={"Content-Type": "application/json"},
                connector=aiohttp.TCPConnector(limit=32),
            )
        return self._session

    async def call(
        self,
        method: str,
        params: Sequence[Any] = (),
        timeout: float | None = None,  # noqa: ASYNC109 (per HTTP request, not a caller deadline)
    ) -> Any:
        """Send one request; retry transport failures across URLs; return ``result``."""
        body = self._body(method, params)
        per_request = aiohttp.ClientTimeout(total=timeout or self.retry.timeout)
        last = ""
        for attempt in range(self.retry.attempts):
            if attempt:
                await asyncio.sleep(self.retry.delay(attempt))
            index, url = self._url_for(attempt)
            self.stats.requests += 1
            try:
                async with self._get_session().post(url, data=body, timeout=per_request) as resp:
                    raw = await resp.read()
                    result = _parse(method, resp.status, raw)
            except RpcError:
                self._count(method, "rpc_error")
                self._succeeded(index)
                raise
            except (_Transient, aiohttp.ClientError, TimeoutError, ConnectionError) as exc:
                self._count(method, "transport_error")
                last = f"{url}: {type(exc).__name__}: {exc}"
                log.debug("rpc.retry", method=method, url=url, attempt=attempt, error=str(exc))
                continue
            self._count(method, "ok")
            self._succeeded(index)
            return result
        raise self._give_up(method, last)

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> AsyncRpcClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # Thin helpers for the calls the chain layer makes most.
    async def chain_id(self) -> int:
        """``eth_chainId`` as an int."""
        return int(await self.call("eth_chainId"), 16)

    async def block_number(self) -> int:
        """``eth_blockNumber`` as an int."""
        return int(await self.call("eth_blockNumber"), 16)

    async def get_block(self, block: BlockId, full: bool = False) -> dict[str, Any] | None:
        """``eth_getBlockByNumber``; ``None`` when the block does not exist."""
        result: dict[str, Any] | None = await self.call(
            "eth_getBlockByNumber", [block_param(block), full]
        )
        return result

    async def get_logs(self, flt: dict[str, Any]) -> list[dict[str, Any]]:
        """``eth_getLogs`` with the filter as given."""
        result: list[dict[str, Any]] = await self.call("eth_getLogs", [flt])
        return result


class SyncRpcClient(_Base):
    """Blocking JSON-RPC client (urllib) with the same retry rules, for the CLI."""

    def call(self, method: str, params: Sequence[Any] = (), timeout: float | None = None) -> Any:
        """Send one request; retry transport failures across URLs; return ``result``."""
        body = self._body(method, params)
        last = ""
        for attempt in range(self.retry.attempts):
            if attempt:
                time.sleep(self.retry.delay(attempt))
            index, url = self._url_for(attempt)
            self.stats.requests += 1
            req = urllib.request.Request(
                url, data=body, headers={"Content-Type": "application/json"}
            )
            try:
                try:
                    with urllib.request.urlopen(req, timeout=timeout or self.retry.timeout) as r:
                        status, raw = r.status, r.read()
                except urllib.error.HTTPError as exc:
                    status, raw = exc.code, exc.read()
                result = _parse(method, status, raw)
            except RpcError:
                self._count(method, "rpc_error")
                self._succeeded(index)
                raise
            except (_Transient, OSError) as exc:
                self._count(method, "transport_error")
                last = f"{url}: {type(exc).__name__}: {exc}"
                continue
            self._count(method, "ok")
            self._succeeded(index)
            return result
        raise self._give_up(method, last)
