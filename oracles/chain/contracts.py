"""Deployment records and provider-less contract bindings.

A record ``deployments/<chain_id>.json`` has the shape
``{"chain_id", "block", "contracts": {"<Name>": {"address", "abi"}, ...}}``; any contract
names work. A :class:`Contract` gives the address, the ABI, the event topics, a log
decoder, and calldata encoders (a web3 contract object that has no provider).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_abi.abi import decode
from eth_utils.abi import collapse_if_tuple
from eth_utils.address import to_checksum_address
from web3 import Web3
from web3.contract import Contract as Web3Contract

from oracles.chain.abi import DecodedEvent, EventDecoder, event_topics
from oracles.chain.errors import ChainError
from oracles.chain.follower import Log
from oracles.chain.rpc import AsyncRpcClient, SyncRpcClient

DEPLOYMENTS_DIR = Path(__file__).resolve().parents[2] / "deployments"

_W3 = Web3()


@dataclass
class Contract:
    """One deployed contract: ``name``, checksummed ``address`` and ``abi``."""

    name: str
    address: str
    abi: list[dict[str, Any]]
    _decoder: EventDecoder = field(init=False, repr=False)
    _web3: type[Web3Contract] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.address = to_checksum_address(self.address)
        self._decoder = EventDecoder(self.abi)
        self._web3 = _W3.eth.contract(abi=self.abi)

    @property
    def topics(self) -> dict[str, bytes]:
        """Event name -> topic0."""
        return event_topics(self.abi)

    def topic(self, event: str) -> str:
        """topic0 of ``event`` as ``0x`` hex (for log filters)."""
        try:
            return "0x" + self.topics[event].hex()
        except KeyError as exc:
            raise ChainError(f"{self.name} has no event {event}") from exc

    def decode_log(self, log: Log) -> DecodedEvent | None:
        """Decode one of this contract's logs; ``None`` for an unknown event."""
        return self._decoder.decode(log)

    def encode(self, function: str, *args: Any) -> bytes:
        """Calldata for ``function(*args)``."""
        return bytes.fromhex(self._web3.encode_abi(function, list(args))[2:])

    def call(self, rpc: SyncRpcClient, function: str, *args: Any, block: str = "latest") -> Any:
        """``eth_call`` ``function(*args)`` through a blocking client and decode the result."""
        data = "0x" + self.encode(function, *args).hex()
        return self.decode_output(
            function, rpc.call("eth_call", [{"to": self.address, "data": data}, block])
        )

    async def acall(
        self, rpc: AsyncRpcClient, function: str, *args: Any, block: str = "latest"
    ) -> Any:
        """``eth_call`` ``function(*args)`` through an asyncio client and decode the result.

        The one async read path: the worker, the API's preparer and its indexer use it.
        """
        data = "0x" + self.encode(function, *args).hex()
        raw = await rpc.call("eth_call", [{"to": self.address, "data": data}, block])
        return self.decode_output(function, raw)

    def logs(
        self, rpc: SyncRpcClient, event: str, *indexed: str | None, from_block: int = 0
    ) -> list[DecodedEvent]:
        """Decoded ``event`` logs of this contract, filtered by indexed topics (0x hex)."""
        raw = rpc.call(
            "eth_getLogs",
            [
                {
                    "address": self.address,
                    "fromBlock": hex(from_block),
                    "toBlock": "latest",
                    "topics": [self.topic(event), *indexed],
                }
            ],
        )
        decoded = (self.decode_log(Log.from_rpc(entry)) for entry in raw)
        return [e for e in decoded if e is not None]

    def receipt_events(self, receipt: dict[str, Any]) -> list[DecodedEvent]:
        """Decoded events this contract emitted in a transaction receipt (RPC form)."""
        decoded = (
            self.decode_log(Log.from_rpc(raw))
            for raw in receipt.get("logs", [])
            if to_checksum_address(raw["address"]) == self.address
        )
        return [e for e in decoded if e is not None]

    def decode_output(self, function: str, data: bytes | str) -> Any:
        """Decode the return data of ``function``: one value, or a tuple for several."""
        raw = bytes.fromhex(data[2:]) if isinstance(data, str) else data
        abi = next(
            (i for i in self.abi if i.get("type") == "function" and i.get("name") == function),
            None,
        )
        if abi is None:
            raise ChainError(f"{self.name} has no function {function}")
        types = [collapse_if_tuple(o) for o in abi.get("outputs", [])]
        values = decode(types, raw)
        return values[0] if len(values) == 1 else values


@dataclass
class Deployment:
    """A deployment record: chain id, deployment block, contracts by name."""

    chain_id: int
    block: int
    contracts: dict[str, Contract]

    def __getitem__(self, name: str) -> Contract:
        try:
            return self.contracts[name]
        except KeyError as exc:
            raise ChainError(f"deployment on chain {self.chain_id} has no {name}") from exc

    @property
    def addresses(self) -> list[str]:
        """Addresses of every contract, for a log follower."""
        return [c.address for c in self.contracts.values()]

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> Deployment:
        """Build from the parsed JSON record."""
        try:
            contracts = {
                name: Contract(name=name, address=entry["address"], abi=list(entry["abi"]))
                for name, entry in record["contracts"].items()
            }
            return cls(int(record["chain_id"]), int(record.get("block", 0)), contracts)
        except (KeyError, TypeError, ValueError) as exc:
            raise ChainError(f"malformed deployment record: {exc!r}") from exc

    @classmethod
    def load(cls, chain_id: int | None = None, path: str | Path | None = None) -> Deployment:
        """Load ``path``, or ``deployments/<chain_id>.json`` from the repository."""
        if path is None:
            if chain_id is None:
                raise ValueError("give a chain_id or a path")
            path = DEPLOYMENTS_DIR / f"{chain_id}.json"
        try:
            record = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ChainError(f"no deployment record at {path}") from exc
        except (OSError, ValueError) as exc:
            raise ChainError(f"cannot read deployment record {path}: {exc}") from exc
        deployment = cls.from_dict(record)
        if chain_id is not None and deployment.chain_id != chain_id:
            raise ChainError(f"{path} is for chain {deployment.chain_id}, not {chain_id}")
        return deployment
