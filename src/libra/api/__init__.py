"""The node's public APIs: Diem's JSON-RPC, the REST API with its OpenAPI document, the
faucet, health checks and Prometheus metrics.

The API reads the ledger through a :class:`LedgerReader` and submits transactions through a
:class:`TransactionSubmitter` (see :mod:`libra.api.interfaces`); :class:`LedgerDBReader` is the
reader over :class:`libra.storage.LedgerDB`. :func:`create_app` builds the ASGI app,
:func:`serve` runs it."""

from __future__ import annotations

from libra.api.adapter import LedgerDBReader
from libra.api.app import create_app, serve
from libra.api.errors import ApiError, ConfigError, DataNotFound, FaucetError, JsonRpcError
from libra.api.interfaces import LedgerReader, LedgerSummary, SubmitOutcome, TransactionSubmitter
from libra.api.jsonrpc import METHOD_NAMES, JsonRpcLimits, JsonRpcService
from libra.api.ops import ApiConfig, ApiMetrics, configure_json_logging

__all__ = [
    "METHOD_NAMES",
    "ApiConfig",
    "ApiError",
    "ApiMetrics",
    "ConfigError",
    "DataNotFound",
    "FaucetError",
    "JsonRpcError",
    "JsonRpcLimits",
    "JsonRpcService",
    "LedgerDBReader",
    "LedgerReader",
    "LedgerSummary",
    "SubmitOutcome",
    "TransactionSubmitter",
    "configure_json_logging",
    "create_app",
    "serve",
]
