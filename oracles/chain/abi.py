"""Decode logs with an ABI: event name plus arguments as Python values.

The chain layer delivers raw logs; each consumer decodes the events it knows with
:class:`EventDecoder`. Indexed arguments of dynamic type (``string``, ``bytes``, arrays,
tuples) are only stored on chain as their keccak hash: they decode to those 32 bytes.
Addresses decode checksummed; arrays decode to tuples.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eth_abi.abi import decode
from eth_utils.abi import collapse_if_tuple, event_abi_to_log_topic
from eth_utils.address import to_checksum_address

if TYPE_CHECKING:
    from oracles.chain.follower import Log

_DYNAMIC_BASES = ("string", "bytes")


def _is_dynamic(abi_type: str) -> bool:
    return abi_type in _DYNAMIC_BASES or abi_type.endswith("]") or abi_type.startswith("(")


def _normalize(param: Mapping[str, Any], value: Any) -> Any:
    """Checksum addresses, also inside arrays and tuples."""
    abi_type = str(param["type"])
    if abi_type.endswith("]"):
        inner = {**param, "type": abi_type[: abi_type.rindex("[")]}
        return tuple(_normalize(inner, v) for v in value)
    if abi_type == "tuple":
        return tuple(
            _normalize(c, v) for c, v in zip(param.get("components", []), value, strict=True)
        )
    if abi_type == "address":
        return to_checksum_address(value)
    return value


@dataclass(frozen=True)
class DecodedEvent:
    """One decoded log: ``name``, ``args`` by parameter name, and the raw ``log``."""

    name: str
    args: dict[str, Any]
    log: Log


def event_topics(abi: Iterable[Mapping[str, Any]]) -> dict[str, bytes]:
    """Event name -> topic0 (keccak of the signature) for the non-anonymous events."""
    return {
        str(item["name"]): bytes(event_abi_to_log_topic(dict(item)))  # type: ignore[arg-type]
        for item in abi
        if item.get("type") == "event" and not item.get("anonymous", False)
    }


class EventDecoder:
    """Decodes the logs of the events found in an ABI list."""

    def __init__(self, abi: Iterable[Mapping[str, Any]]) -> None:
        self._events: dict[bytes, Mapping[str, Any]] = {}
        for item in abi:
            if item.get("type") == "event" and not item.get("anonymous", False):
                topic = bytes(event_abi_to_log_topic(dict(item)))  # type: ignore[arg-type]
                self._events[topic] = item

    @property
    def topics(self) -> dict[str, bytes]:
        """Event name -> topic0."""
        return {str(abi["name"]): topic for topic, abi in self._events.items()}

    def decode(self, log: Log) -> DecodedEvent | None:
        """Decode ``log``; ``None`` when its topic0 is not an event of this ABI."""
        if not log.topics or log.topics[0] not in self._events:
            return None
        abi = self._events[log.topics[0]]
        inputs = list(abi.get("inputs", []))
        indexed = [i for i in inputs if i.get("indexed")]
        plain = [i for i in inputs if not i.get("indexed")]
        if len(log.topics) - 1 != len(indexed):
            return None  # same signature, different indexing: not this event
        args: dict[str, Any] = {}
        for param, topic in zip(indexed, log.topics[1:], strict=True):
            abi_type = collapse_if_tuple(dict(param))
            if _is_dynamic(abi_type):
                args[param["name"]] = topic
            else:
                args[param["name"]] = _normalize(param, decode([abi_type], topic)[0])
        values = decode([collapse_if_tuple(dict(p)) for p in plain], log.data)
        for param, value in zip(plain, values, strict=True):
            args[param["name"]] = _normalize(param, value)
        ordered = {str(i["name"]): args[i["name"]] for i in inputs}
        return DecodedEvent(name=str(abi["name"]), args=ordered, log=log)
