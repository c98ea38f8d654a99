"""Diem's streaming JSON-RPC over a websocket (``/v1/stream/ws``).

A client sends ``{"jsonrpc": "2.0", "id": ID, "method": "subscribe_to_transactions", "params":
{"starting_version": V, "include_events": true}}`` or ``"subscribe_to_events"`` with
``{"event_key": KEY, "event_seq_num": N}``. The server acknowledges with
``{"jsonrpc": "2.0", "id": ID, "result": {"status": "OK", "transaction_version": LATEST}}`` and
then sends every committed transaction (Diem's transaction view) or event (event view) from the
starting point on, each as ``{"jsonrpc": "2.0", "id": ID, "result": VIEW}``, following the
ledger as it grows. Malformed messages get ``-32604`` (invalid format), unknown methods
``-32601``, bad parameters ``-32602``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocket, WebSocketDisconnect

from libra.api import views
from libra.api.errors import INVALID_PARAMS, METHOD_NOT_FOUND, JsonRpcError
from libra.api.interfaces import LedgerReader
from libra.types import EventKey

__all__ = ["INVALID_FORMAT", "StreamConfig", "StreamService"]

INVALID_FORMAT = -32604
MAX_U64 = (1 << 64) - 1


@dataclass(frozen=True, slots=True)
class StreamConfig:
    """Limits of the event stream."""

    poll_interval_secs: float = 0.2
    """How often a subscription looks for newly committed data."""
    batch: int = 100
    """Most items one poll sends."""
    max_subscriptions: int = 10
    """Subscriptions one connection may hold."""


class StreamService:
    """Serves websocket subscriptions from ``reader``; ``sleep`` waits between polls."""

    def __init__(
        self,
        reader: LedgerReader,
        config: StreamConfig | None = None,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        self.reader = reader
        self.config = config or StreamConfig()
        self.sleep = sleep

    async def serve(self, ws: WebSocket) -> None:
        """Runs one connection until the client leaves."""
        await ws.accept()
        tasks: list[asyncio.Task[None]] = []
        send_lock = asyncio.Lock()

        async def send(message: dict[str, Any]) -> None:
            async with send_lock:
                await ws.send_text(json.dumps(message))

        try:
            while True:
                message = await ws.receive()
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text")
                if text is None:
                    text = (message.get("bytes") or b"").decode("utf-8", "replace")
                reply, runner = self._parse(text)
                if runner is None:
                    await send(reply)
                    continue
                if len(tasks) >= self.config.max_subscriptions:
                    err = JsonRpcError(
                        INVALID_PARAMS,
                        f"at most {self.config.max_subscriptions} subscriptions per connection",
                    )
                    await send(_response(reply.get("id"), error=err))
                    continue
                latest = await run_in_threadpool(self.reader.latest)
                await send(
                    _response(
                        reply.get("id"),
                        {"status": "OK", "transaction_version": latest.version},
                    )
                )
                tasks.append(asyncio.create_task(runner(send)))
        except WebSocketDisconnect:
            pass
        finally:
            for t in tasks:
                t.cancel()
            for t in tasks:
                with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                    await t

    def _parse(
        self, text: str
    ) -> tuple[dict[str, Any], Callable[[Callable[[dict[str, Any]], Any]], Any] | None]:
        try:
            request = json.loads(text)
        except ValueError:
            request = None
        if not isinstance(request, dict) or "id" not in request or "method" not in request:
            err = JsonRpcError(INVALID_FORMAT, "Invalid format")
            return _response(None, error=err), None
        rid = request["id"]
        if not isinstance(rid, (str, int)):
            return _response(None, error=JsonRpcError(INVALID_FORMAT, "Invalid format")), None
        if request.get("jsonrpc") != "2.0":
            return _response(rid, error=JsonRpcError.invalid_request()), None
        method = request["method"]
        params = request.get("params")
        if not isinstance(params, dict):
            params = None
        if method == "subscribe_to_transactions":
            start = params.get("starting_version") if params else None
            include = params.get("include_events", False) if params else None
            if type(start) is not int or not 0 <= start <= MAX_U64 or type(include) is not bool:
                err = JsonRpcError(INVALID_PARAMS, f"Invalid params for method '{method}'")
                return _response(rid, error=err), None
            return {"id": rid}, lambda send: self._transactions(rid, start, include, send)
        if method == "subscribe_to_events":
            key_text = params.get("event_key") if params else None
            seq = params.get("event_seq_num") if params else None
            try:
                key = EventKey.from_hex(key_text) if isinstance(key_text, str) else None
            except ValueError:
                key = None
            if key is None or type(seq) is not int or not 0 <= seq <= MAX_U64:
                err = JsonRpcError(INVALID_PARAMS, f"Invalid params for method '{method}'")
                return _response(rid, error=err), None
            return {"id": rid}, lambda send: self._events(rid, key, seq, send)
        return _response(rid, error=JsonRpcError(METHOD_NOT_FOUND, "Method not found")), None

    async def _transactions(
        self, rid: Any, start: int, include_events: bool, send: Callable[[dict[str, Any]], Any]
    ) -> None:
        next_version = start
        reader = self.reader
        while True:
            latest = (await run_in_threadpool(reader.latest)).version
            end = min(latest + 1, next_version + self.config.batch)
            for v in range(next_version, end):

                def view(version: int = v) -> views.Json:
                    events = reader.get_events(version) if include_events else None
                    return views.transaction_view(
                        version,
                        reader.get_transaction(version),
                        reader.get_transaction_info(version),
                        events,
                    )

                await send(_response(rid, await run_in_threadpool(view)))
            next_version = max(next_version, end)
            if next_version > latest:
                await self.sleep(self.config.poll_interval_secs)

    async def _events(
        self, rid: Any, key: EventKey, seq: int, send: Callable[[dict[str, Any]], Any]
    ) -> None:
        reader = self.reader
        while True:
            latest = (await run_in_threadpool(reader.latest)).version
            found = await run_in_threadpool(
                reader.get_events_by_key, key, seq, self.config.batch, latest
            )
            for e in found:
                await send(_response(rid, views.event_view(e.transaction_version, e.event)))
            seq += len(found)
            if len(found) < self.config.batch:
                await self.sleep(self.config.poll_interval_secs)


def _response(rid: Any, result: Any = None, error: JsonRpcError | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"jsonrpc": "2.0"}
    if rid is not None:
        out["id"] = rid
    if error is not None:
        out["error"] = error.to_json()
    else:
        out["result"] = result
    return out
