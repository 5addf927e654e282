"""HTTP handlers. Client mistakes are JSON 400/404/409 answers, never a 500."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog
from aiohttp import web

from frontend_api import agent_queries, task_queries, validate
from frontend_api.errors import BadRequest, NotFound
from frontend_api.indexer import Indexer
from frontend_api.openapi import allowed_methods, document
from frontend_api.prepare import Preparer
from frontend_api.stats import stats as network_stats
from oracles.chain.errors import ChainError

log = structlog.get_logger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
SSE_KEEPALIVE = 15.0
SSE_QUEUE = 1_000


@dataclass
class ApiState:
    """What the handlers read: the DB, and the indexer and preparer when live."""

    reader: sqlite3.Connection
    chain_id: int
    indexer: Indexer | None = None
    preparer: Preparer | None = None
    cache: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    def now(self) -> int:
        """The chain head's timestamp (the newest indexed one without an indexer)."""
        if self.indexer is not None and self.indexer.head_timestamp:
            return self.indexer.head_timestamp
        row = self.reader.execute(
            "SELECT timestamp FROM blocks ORDER BY number DESC LIMIT 1"
        ).fetchone()
        return 0 if row is None else int(row[0])

    def cached(self, name: str, make: Callable[[], Any]) -> Any:
        """``make()`` once per indexer change (and head second)."""
        gen = None if self.indexer is None else (self.indexer.generation, self.now())
        hit = self.cache.get(name)
        if hit is not None and hit[0] == gen and gen is not None:
            return hit[1]
        value = make()
        self.cache[name] = (gen, value)
        return value


STATE: web.AppKey[ApiState] = web.AppKey("state", ApiState)


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(
        data, status=status, dumps=lambda d: json.dumps(d, separators=(",", ":"))
    )


def _error(status: int, message: str, field: str | None = None) -> web.Response:
    body: dict[str, Any] = {"error": message}
    if field is not None:
        body["field"] = field
    return _json(body, status)


@web.middleware
async def errors_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except BadRequest as exc:
        return _error(exc.status, exc.message, exc.field)
    except NotFound as exc:
        return _error(404, str(exc))
    except web.HTTPException as exc:
        if exc.status >= 400 and request.path.startswith(("/api", "/healthz")):
            resp = _error(exc.status, exc.reason)
            if exc.status == 405:
                resp.headers["Allow"] = ",".join(allowed_methods(request.path))
            return resp
        raise
    except ChainError as exc:
        log.warning("api.chain_error", path=request.path, error=str(exc))
        return _error(503, "the chain node is unavailable")


def _state(request: web.Request) -> ApiState:
    return request.app[STATE]


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html")


async def healthz(request: web.Request) -> web.Response:
    state = _state(request)
    indexer = state.indexer
    indexed = head = 0
    if indexer is not None:
        head = indexer.head_number
        indexed = int(
            state.reader.execute(
                "SELECT last_block FROM chain_cursors WHERE name = 'api'"
            ).fetchone()[0]
        )
        if indexer.error is not None:
            return _error(503, f"indexer stopped: {indexer.error}")
    body = {"ok": True, "chain_id": state.chain_id, "indexed_block": indexed, "head_block": head}
    return _json(body)


async def tasks(request: web.Request) -> web.Response:
    state = _state(request)
    query = validate.only_known(
        request.query, ("state", "model", "requester", "agent", "limit", "cursor")
    )

    def optional(name: str, parse: Callable[[str, str], str]) -> str | None:
        return parse(name, query[name]) if name in query else None

    flt = task_queries.TaskFilter(
        state=optional("state", lambda f, raw: validate.choice(f, raw, task_queries.STATES)),
        model=optional("model", validate.bytes32),
        requester=optional("requester", validate.address),
        agent=optional("agent", validate.address),
    )
    limit = validate.int_param(
        "limit", query.get("limit", str(validate.DEFAULT_LIMIT)), 1, validate.MAX_LIMIT
    )
    cursor = None
    if "cursor" in query:
        cursor = validate.int_param("cursor", query["cursor"], 1, validate.INT64_MAX)
    items, next_cursor = task_queries.list_tasks(state.reader, flt, limit, cursor, state.now())
    return _json({"items": items, "next_cursor": next_cursor})


async def task(request: web.Request) -> web.Response:
    state = _state(request)
    validate.only_known(request.query, ())
    if request.match_info["id"] == "prepare":  # POST-only sibling route
        raise web.HTTPMethodNotAllowed(request.method, ["POST"])
    task_id = validate.int_param("id", request.match_info["id"], 1, validate.INT64_MAX)
    found = task_queries.task_detail(state.reader, task_id, state.now())
    if found is None:
        raise NotFound(f"no task {task_id}")
    return _json(found)


async def agents(request: web.Request) -> web.Response:
    state = _state(request)
    validate.only_known(request.query, ())
    return _json({"items": state.cached("agents", lambda: agent_queries.list_agents(state.reader))})


async def agent(request: web.Request) -> web.Response:
    state = _state(request)
    validate.only_known(request.query, ())
    address = validate.address("address", request.match_info["address"])
    found = agent_queries.agent_detail(state.reader, address, state.now())
    if found is None:
        raise NotFound(f"no agent {address}")
    return _json(found)


async def models(request: web.Request) -> web.Response:
    state = _state(request)
    validate.only_known(request.query, ())
    return _json({"items": state.cached("models", lambda: agent_queries.list_models(state.reader))})


async def stats(request: web.Request) -> web.Response:
    state = _state(request)
    validate.only_known(request.query, ())
    now = state.now()
    return _json(state.cached("stats", lambda: network_stats(state.reader, now)))


async def openapi(request: web.Request) -> web.Response:
    return _json(document())


async def prepare(request: web.Request) -> web.Response:
    state = _state(request)
    validate.only_known(request.query, ())
    if state.preparer is None:
        return _error(503, "no chain connection to prepare transactions")
    try:
        body = json.loads(await request.read())
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("body", "must be JSON") from exc
    return _json(await state.preparer.prepare(validate.prepare_body(body)))


async def events(request: web.Request) -> web.StreamResponse:
    """SSE: ``event: chain`` with each stored event as JSON (``event: reorg`` on a reorg)."""
    state = _state(request)
    validate.only_known(request.query, ())
    resp = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    await resp.prepare(request)
    queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(SSE_QUEUE)

    def listener(event: dict[str, Any] | None) -> None:
        try:
            queue.put_nowait(event)
        except asyncio.QueueFull:
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(None)  # too slow a client: end its stream

    if state.indexer is not None:
        state.indexer.listeners.add(listener)
    try:
        await resp.write(b"retry: 2000\n: connected\n\n")
        while True:
            try:
                event = await asyncio.wait_for(queue.get(), timeout=SSE_KEEPALIVE)
            except TimeoutError:
                await resp.write(b": keepalive\n\n")
                continue
            if event is None:
                break
            kind = "reorg" if event.get("name") == "Reorg" else "chain"
            ident = f"id: {event['id']}\n" if "id" in event else ""
            data = json.dumps(event, separators=(",", ":"))
            await resp.write(f"{ident}event: {kind}\ndata: {data}\n\n".encode())
    except ConnectionResetError:
        pass
    finally:
        if state.indexer is not None:
            state.indexer.listeners.discard(listener)
    return resp


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_route("GET", "/", index)
    r.add_route("GET", "/healthz", healthz)
    r.add_route("GET", "/api/openapi.json", openapi)
    r.add_route("GET", "/api/tasks", tasks)
    r.add_route("POST", "/api/tasks/prepare", prepare)
    r.add_route("GET", "/api/tasks/{id}", task)
    r.add_route("GET", "/api/agents", agents)
    r.add_route("GET", "/api/agents/{address}", agent)
    r.add_route("GET", "/api/models", models)
    r.add_route("GET", "/api/stats", stats)
    r.add_route("GET", "/api/events", events)
    r.add_static("/static/", STATIC)
