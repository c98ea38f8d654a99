"""Operations support: configuration, Prometheus metrics, JSON logs, and the ASGI middleware
that enforces body size and request rate limits with clear JSON errors."""

from __future__ import annotations

import json
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from libra.api.errors import ConfigError

__all__ = [
    "ApiConfig",
    "ApiMetrics",
    "JsonLogFormatter",
    "LimitsMiddleware",
    "RateLimiter",
    "configure_json_logging",
]

log = logging.getLogger("libra.api")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ApiConfig:
    """Limits and switches of the API server."""

    max_body_bytes: int = 256 * 1024
    """Largest request body accepted (413 beyond)."""
    rate_limit_per_second: float | None = None
    """Sustained requests per second per client IP (None: unlimited)."""
    rate_limit_burst: int = 100
    """Requests a client may send at once before the rate applies."""
    rate_limit_max_clients: int = 10_000
    """Client IPs tracked by the limiter (least recently seen forgotten first)."""
    batch_size_limit: int = 20
    """Most JSON-RPC requests in one batch (Diem: 20)."""
    page_size_limit: int = 1000
    """Most transactions or events one call returns (Diem: 1000)."""
    rest_page_size: int = 100
    """Default page size of the REST API."""
    stream_poll_interval_secs: float = 0.2
    """How often websocket subscriptions look for new commits."""
    extra_gauges: Mapping[str, Callable[[], float]] = field(default_factory=dict)
    """More Prometheus gauges, read at scrape time: name to callback (the node adds consensus
    round, timeouts, mempool size...)."""

    def __post_init__(self) -> None:
        for name in ("max_body_bytes", "rate_limit_burst", "rate_limit_max_clients"):
            if getattr(self, name) <= 0:
                raise ConfigError(name, getattr(self, name), "must be positive")
        for name in ("batch_size_limit", "page_size_limit", "rest_page_size"):
            if getattr(self, name) <= 0:
                raise ConfigError(name, getattr(self, name), "must be positive")
        if not 0 < self.stream_poll_interval_secs <= 60:
            raise ConfigError(
                "stream_poll_interval_secs", self.stream_poll_interval_secs, "must be in (0, 60]"
            )
        rate = self.rate_limit_per_second
        if rate is not None and (not math.isfinite(rate) or rate <= 0):
            raise ConfigError("rate_limit_per_second", rate, "must be positive or None")


class ApiMetrics:
    """The API's Prometheus metrics, in their own registry (exposed at ``/metrics``)."""

    def __init__(
        self,
        committed_version: Callable[[], float],
        extra_gauges: Mapping[str, Callable[[], float]] | None = None,
    ) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "libra_api_requests",
            "API requests by API, method and result (ok or the error code)",
            ["api", "method", "result"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "libra_api_latency_seconds",
            "API call latency by API and method",
            ["api", "method"],
            registry=self.registry,
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
        )
        self.rejected = Counter(
            "libra_api_rejected_requests",
            "Requests refused before reaching a handler, by reason",
            ["reason"],
            registry=self.registry,
        )
        version = Gauge(
            "libra_committed_version", "Latest committed ledger version", registry=self.registry
        )
        version.set_function(_safe(committed_version))
        for name, fn in (extra_gauges or {}).items():
            Gauge(name, f"{name} (reported by the node)", registry=self.registry).set_function(
                _safe(fn)
            )

    def observe(self, api: str, method: str, seconds: float, error_code: int | None) -> None:
        """Records one call."""
        self.requests.labels(api, method, "ok" if error_code is None else str(error_code)).inc()
        self.latency.labels(api, method).observe(seconds)


def _safe(fn: Callable[[], float]) -> Callable[[], float]:
    def read() -> float:
        try:
            return float(fn())
        except Exception:
            return math.nan

    return read


class RateLimiter:
    """A token bucket per client: ``burst`` requests at once, ``rate`` per second sustained.
    ``clock`` gives seconds (monotonic)."""

    def __init__(
        self, rate: float, burst: int, max_clients: int, clock: Callable[[], float]
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.max_clients = max_clients
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, client: str) -> bool:
        """True when ``client`` may make one more request now (and counts it)."""
        now = self.clock()
        tokens, last = self._buckets.pop(client, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        self._buckets[client] = (tokens, now)
        while len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
        return allowed

    def retry_after(self, client: str) -> float:
        """Seconds until ``client`` has a token again."""
        tokens, _ = self._buckets.get(client, (float(self.burst), 0.0))
        return max(0.0, (1.0 - tokens) / self.rate)


def _json_rpc_error(code: int, message: str) -> dict[str, Any]:
    return {"id": None, "jsonrpc": "2.0", "error": {"code": code, "message": message, "data": None}}


class LimitsMiddleware:
    """Refuses oversized bodies (413) and clients over their rate (429) with a JSON error: a
    JSON-RPC response on ``/v1`` (built by ``json_rpc_error(code, message)``; by default a bare
    error object with a null id), ``{"detail": ...}`` elsewhere. Also logs one JSON line per
    request."""

    def __init__(
        self,
        app: ASGIApp,
        config: ApiConfig,
        metrics: ApiMetrics,
        clock: Callable[[], float] = time.monotonic,
        json_rpc_error: Callable[[int, str], dict[str, Any]] = _json_rpc_error,
    ) -> None:
        self.app = app
        self.config = config
        self.metrics = metrics
        self.clock = clock
        self.json_rpc_error = json_rpc_error
        rate = config.rate_limit_per_second
        self.limiter = (
            RateLimiter(rate, config.rate_limit_burst, config.rate_limit_max_clients, clock)
            if rate is not None
            else None
        )

    async def _reject(
        self, scope: Scope, send: Send, status: int, message: str, rpc_code: int, reason: str
    ) -> None:
        self.metrics.rejected.labels(reason).inc()
        path = scope.get("path", "")
        body: dict[str, Any] = (
            self.json_rpc_error(rpc_code, message)
            if path.rstrip("/") == "/v1"
            else {"detail": message}
        )
        data = json.dumps(body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(data)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": data})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        ip = client[0] if client else "unknown"
        limit = self.config.max_body_bytes
        if self.limiter is not None and not self.limiter.allow(ip):
            await self._reject(
                scope, send, 429, f"rate limit exceeded for {ip}", -32600, "rate_limit"
            )
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0 or declared > limit:
                    await self._reject(
                        scope,
                        send,
                        413,
                        f"request body of {value.decode(errors='replace')} bytes exceeds the "
                        f"limit of {limit} bytes",
                        -32600,
                        "body_size",
                    )
                    return
        body = bytearray()
        if scope.get("method") in ("POST", "PUT", "PATCH"):
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return
                body += message.get("body", b"")
                if len(body) > limit:
                    await self._reject(
                        scope,
                        send,
                        413,
                        f"request body exceeds the limit of {limit} bytes",
                        -32600,
                        "body_size",
                    )
                    return
                if not message.get("more_body", False):
                    break
        replayed = False

        async def replay_receive() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        started = self.clock()
        status_holder = [0]

        async def tracking_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder[0] = int(message["status"])
            await send(message)

        await self.app(scope, replay_receive, tracking_send)
        log.info(
            "request",
            extra={
                "fields": {
                    "client": ip,
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": status_holder[0],
                    "duration_ms": round((self.clock() - started) * 1000, 3),
                }
            },
        )


class JsonLogFormatter(logging.Formatter):
    """One JSON object per log line: time, level, logger, message and any ``extra={"fields":
    {...}}`` given to the logging call."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": round(record.created, 6),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            out.update(fields)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def configure_json_logging(level: int = logging.INFO) -> logging.Handler:
    """Sends the ``libra`` loggers' records to stderr as JSON lines; returns the handler."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLogFormatter())
    root = logging.getLogger("libra")
    root.addHandler(handler)
    root.setLevel(level)
    return handler
