"""The aiohttp application and a server with a clean async start/stop.

``ApiServer(rpc_urls, deployment_path, db_path, host, port)``: ``await start()`` opens
the DB, starts the indexer and serves on ``host:port`` (0 picks a free port, which
``start`` returns); ``await stop()`` stops serving, then indexing, then closes the RPC
client and the DB. ``agentnet api``, the devnet and the tests all use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import structlog
from aiohttp import web

from frontend_api.db import open_reader, open_writer
from frontend_api.indexer import Indexer
from frontend_api.prepare import Preparer
from frontend_api.routes import STATE, ApiState, add_routes, errors_middleware
from oracles.chain.contracts import Deployment
from oracles.chain.errors import ChainError
from oracles.chain.rpc import AsyncRpcClient

log = structlog.get_logger(__name__)


def create_app(state: ApiState) -> web.Application:
    """The application serving ``state`` (see :class:`ApiState`)."""
    app = web.Application(middlewares=[errors_middleware], client_max_size=64 * 1024)
    app[STATE] = state
    add_routes(app)
    return app


def read_only_app(db_path: str | Path, chain_id: int = 0) -> web.Application:
    """An app over an existing index without a chain (benchmarks, inspection)."""
    open_writer(db_path).close()  # create the schema if missing
    return create_app(ApiState(reader=open_reader(db_path), chain_id=chain_id))


class ApiServer:
    """The API with its indexer, started and stopped from a running event loop."""

    def __init__(
        self,
        rpc_urls: Sequence[str] | str,
        deployment_path: str | Path,
        db_path: str | Path,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        poll_interval: float = 0.5,
        confirmations: int = 0,
    ) -> None:
        self.rpc_urls = [rpc_urls] if isinstance(rpc_urls, str) else list(rpc_urls)
        self.deployment = Deployment.load(path=deployment_path)
        self.db_path = Path(db_path)
        self.host = host
        self.port = port
        self.poll_interval = poll_interval
        self.confirmations = confirmations
        self.rpc: AsyncRpcClient | None = None
        self.indexer: Indexer | None = None
        self.state: ApiState | None = None
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> int:
        """Check the chain, start indexing and serving; returns the port."""
        self.rpc = AsyncRpcClient(self.rpc_urls)
        try:
            chain_id = await self.rpc.chain_id()
            if chain_id != self.deployment.chain_id:
                raise ChainError(
                    f"the RPC serves chain {chain_id}, the deployment is for "
                    f"{self.deployment.chain_id}"
                )
            self.db_path.parent.mkdir(parents=True, exist_ok=True)
            self.indexer = Indexer(
                self.rpc,
                self.deployment,
                self.db_path,
                poll_interval=self.poll_interval,
                confirmations=self.confirmations,
            )
            self.state = ApiState(
                reader=open_reader(self.db_path),
                chain_id=chain_id,
                indexer=self.indexer,
                preparer=Preparer(self.rpc, self.deployment),
            )
            self.indexer.start()
            self._runner = web.AppRunner(create_app(self.state), shutdown_timeout=2.0)
            await self._runner.setup()
            site = web.TCPSite(self._runner, self.host, self.port)
            await site.start()
            # The port the OS chose when asked for 0.
            self.port = int(self._runner.addresses[0][1])
        except BaseException:
            await self.stop()
            raise
        log.info("api.started", url=self.url, chain_id=chain_id)
        return self.port

    async def stop(self) -> None:
        """Stop serving and indexing; idempotent."""
        if self.indexer is not None:
            for listener in list(self.indexer.listeners):
                listener(None)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.indexer is not None:
            await self.indexer.stop()
            self.indexer = None
        if self.state is not None:
            self.state.reader.close()
            self.state = None
        if self.rpc is not None:
            await self.rpc.close()
            self.rpc = None
