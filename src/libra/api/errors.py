"""The errors of :mod:`libra.api`: one hierarchy, each carrying the values involved.

:class:`JsonRpcError` is what a JSON-RPC method raises to answer with an error object; its
``code`` is one of Diem's codes (below) and its ``message`` the text Diem's server would send.
:class:`DataNotFound` is what a :class:`~libra.api.interfaces.LedgerReader` raises when asked
for something the ledger does not hold (a version after the ledger, data never written);
:class:`StateNotHeld`, a kind of it, for the state at a version this node no longer (or never)
holds: pruned, or before the state snapshot it was restored from.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "DEFAULT_SERVER_ERROR",
    "INVALID_FORMAT",
    "INVALID_PARAMS",
    "INVALID_REQUEST",
    "METHOD_NOT_FOUND",
    "PARSE_ERROR",
    "ApiError",
    "ConfigError",
    "DataNotFound",
    "FaucetError",
    "JsonRpcError",
    "StateNotHeld",
]

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INVALID_FORMAT = -32604
"""Diem's code for a request object whose fields have the wrong form (an ``id`` that is not a
string, a number or null)."""
DEFAULT_SERVER_ERROR = -32000
"""Diem's generic server error; -32001..-32006 are VM statuses, -32007..-32012 mempool ones."""


class ApiError(Exception):
    """Base of every error raised by :mod:`libra.api`."""


class ConfigError(ApiError, ValueError):
    """An impossible API configuration (non-positive limits...)."""

    def __init__(self, field: str, value: object, why: str) -> None:
        super().__init__(f"api config {field}={value!r}: {why}")
        self.field = field
        self.value = value


class DataNotFound(ApiError, LookupError):
    """The ledger does not hold ``what`` (never written, pruned, or after the ledger)."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class StateNotHeld(DataNotFound):
    """This node does not hold the state at ``version`` (pruned, or before the state snapshot
    it was restored from); ``oldest`` is the oldest version whose state it holds."""

    def __init__(self, version: int, oldest: int) -> None:
        super().__init__(
            f"this node does not hold the state at version {version} (pruned, or before the "
            f"state snapshot it was restored from); its oldest state version is {oldest}"
        )
        self.version = version
        self.oldest = oldest


class JsonRpcError(ApiError):
    """A JSON-RPC error object: ``code``, ``message`` and optional ``data``."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.data = data

    def to_json(self) -> dict[str, Any]:
        """The error object as Diem's server writes it (``data`` is always present)."""
        return {"code": self.code, "message": self.message, "data": self.data}

    @classmethod
    def invalid_request(cls, why: str = "") -> JsonRpcError:
        return cls(INVALID_REQUEST, f"Invalid Request{': ' + why if why else ''}")

    @classmethod
    def invalid_format(cls, why: str = "") -> JsonRpcError:
        return cls(INVALID_FORMAT, f"Invalid request format{': ' + why if why else ''}")

    @classmethod
    def method_not_found(cls, method: object) -> JsonRpcError:
        return cls(METHOD_NOT_FOUND, f"Method not found: {method!s:.100}")

    @classmethod
    def invalid_params(cls, why: str) -> JsonRpcError:
        return cls(INVALID_PARAMS, f"Invalid params: {why}")

    @classmethod
    def parse_error(cls, why: str) -> JsonRpcError:
        return cls(PARSE_ERROR, f"Parse error: {why}")

    @classmethod
    def server_error(cls, why: str) -> JsonRpcError:
        return cls(DEFAULT_SERVER_ERROR, f"Server error: {why}")


class FaucetError(ApiError):
    """The faucet could not fund ``auth_key``: ``why`` says what failed."""

    def __init__(self, auth_key: str, why: str) -> None:
        super().__init__(f"faucet could not fund {auth_key}: {why}")
        self.auth_key = auth_key
        self.why = why
