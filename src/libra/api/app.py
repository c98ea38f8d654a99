"""The API server: one ASGI app with Diem's JSON-RPC at ``POST /v1``, the REST API under
``/api/v1`` (OpenAPI at ``/openapi.json``, interactive docs at ``/docs``), health and readiness
checks, Prometheus metrics at ``/metrics``, and the event stream at ``/v1/stream/ws``.

The node builds it with :func:`create_app` and serves it with :func:`serve` (uvicorn)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from libra.api.errors import JsonRpcError, StateNotHeld
from libra.api.interfaces import LedgerReader, TransactionSubmitter
from libra.api.jsonrpc import JsonRpcLimits, JsonRpcService
from libra.api.ops import ApiConfig, ApiMetrics, LimitsMiddleware
from libra.api.rest import build_router
from libra.api.stream import StreamConfig, StreamService

__all__ = ["create_app", "serve"]


class HealthModel(BaseModel):
    status: str


class ReadyModel(BaseModel):
    ready: bool
    version: int | None = None
    detail: str | None = None


def _committed_version(reader: LedgerReader) -> Callable[[], float]:
    def read() -> float:
        return float(reader.latest().version)

    return read


def create_app(
    reader: LedgerReader,
    submitter: TransactionSubmitter,
    config: ApiConfig | None = None,
    *,
    peer_count: Callable[[], int] | None = None,
    ready: Callable[[], bool] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Any:
    """The API's ASGI app over ``reader`` and ``submitter``.

    ``peer_count`` answers JSON-RPC ``get_network_status``; ``ready`` (default: the ledger has
    a certified version) answers ``/-/ready``; ``clock`` drives rate limiting."""
    cfg = config or ApiConfig()
    metrics = ApiMetrics(_committed_version(reader), cfg.extra_gauges)
    service = JsonRpcService(
        reader,
        submitter,
        limits=JsonRpcLimits(cfg.batch_size_limit, cfg.page_size_limit),
        peer_count=peer_count,
        observe=lambda m, s, e: metrics.observe("jsonrpc", m, s, e),
    )
    app = FastAPI(
        title="libra API",
        version="1",
        description="Diem JSON-RPC at POST /v1; REST under /api/v1; operations under /-/.",
    )
    app.state.metrics = metrics
    app.state.jsonrpc = service

    @app.post("/v1", tags=["json-rpc"], response_model=None)
    async def json_rpc(request: Request) -> Response:
        """Diem JSON-RPC 2.0 (single requests and batches of up to 20)."""
        body = await request.body()
        result = await run_in_threadpool(service.handle, body)
        return JSONResponse(result)

    stream = StreamService(reader, StreamConfig(poll_interval_secs=cfg.stream_poll_interval_secs))
    app.add_api_websocket_route("/v1/stream/ws", stream.serve)

    @app.get("/-/healthy", response_model=HealthModel, tags=["operations"])
    def healthy() -> HealthModel:
        """Liveness: the process serves requests."""
        return HealthModel(status="ok")

    @app.get(
        "/-/ready",
        response_model=ReadyModel,
        tags=["operations"],
        responses={503: {"model": ReadyModel}},
    )
    def readiness() -> Response:
        """Readiness: the ledger has a certified version (and the node says it is ready)."""
        try:
            version: int | None = reader.latest().version
        except LookupError:
            version = None
        ok = version is not None and (ready is None or ready())
        detail = None if ok else ("no ledger yet" if version is None else "node not ready")
        return JSONResponse(
            ReadyModel(ready=ok, version=version, detail=detail).model_dump(),
            status_code=200 if ok else 503,
        )

    @app.get("/metrics", tags=["operations"], response_class=Response)
    def prometheus() -> Response:
        """Prometheus metrics."""
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    app.include_router(build_router(reader, cfg.rest_page_size, cfg.page_size_limit))

    async def not_found(request: Request, exc: Exception) -> Response:
        return JSONResponse({"detail": f"not found: {exc}"}, status_code=404)

    async def state_not_held(request: Request, exc: Exception) -> Response:
        return JSONResponse({"detail": str(exc)}, status_code=410)

    app.add_exception_handler(LookupError, not_found)
    app.add_exception_handler(StateNotHeld, state_not_held)

    @app.middleware("http")
    async def rest_metrics(request: Request, call_next: Any) -> Any:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", None)
        if path is not None and path.startswith("/api/"):
            code = None if response.status_code < 400 else response.status_code
            metrics.observe("rest", path, time.perf_counter() - started, code)
        return response

    def refusal(code: int, message: str) -> dict[str, Any]:
        # Refusals of JSON-RPC requests (413, 429) carry Diem's envelope, as every other
        # JSON-RPC response does.
        return service.error_response(JsonRpcError(code, message))

    return LimitsMiddleware(app, cfg, metrics, clock, refusal)


def serve(app: Any, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Serves ``app`` with uvicorn until interrupted (blocking)."""
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
