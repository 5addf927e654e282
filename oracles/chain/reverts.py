"""Revert reasons out of JSON-RPC errors (``Error(string)`` and ``Panic(uint256)``)."""

from __future__ import annotations

from eth_abi.abi import decode

from oracles.chain.errors import RpcError

_ERROR_SELECTOR = bytes.fromhex("08c379a0")
_PANIC_SELECTOR = bytes.fromhex("4e487b71")


def revert_reason(exc: RpcError) -> str | None:
    """The revert reason of an ``eth_call``/``eth_estimateGas`` error, when there is one."""
    data = exc.data
    if isinstance(data, dict):
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x") and len(data) >= 10:
        raw = bytes.fromhex(data[2:])
        try:
            if raw[:4] == _ERROR_SELECTOR:
                return str(decode(["string"], raw[4:])[0])
            if raw[:4] == _PANIC_SELECTOR:
                return f"panic 0x{decode(['uint256'], raw[4:])[0]:02x}"
        except Exception:
            pass
    message = exc.rpc_message
    if ":" in message and "revert" in message.lower():
        return message.split(":", 1)[1].strip()
    return None


def is_revert(exc: RpcError) -> bool:
    """Whether an ``eth_call``/``eth_estimateGas`` error is a revert (not a node fault)."""
    return exc.code == 3 or "revert" in exc.rpc_message.lower()
