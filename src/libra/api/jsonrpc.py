"""Diem's JSON-RPC service: request parsing, batches, the 16 methods, errors and the envelope.

:class:`JsonRpcService` is transport-free: :meth:`JsonRpcService.handle` takes the raw body of
``POST /v1`` and returns the JSON value to send back (an object, or an array for a batch). Once
the ledger has a signed ledger info, every response object carries Diem's envelope
(``diem_chain_id``, ``diem_ledger_version``, ``diem_ledger_timestampusec``), errors included
(:meth:`JsonRpcService.error_response` gives it to the server's own refusals too); all the
methods of one request or batch read the same ledger version, the one the envelope reports, so
a client's stale-response check (versions and timestamps never going back) holds.

Errors follow Diem: -32700 parse error, -32600 invalid request (not a request object, wrong
``jsonrpc``, empty or oversized batch), -32604 invalid request format (an ``id`` that is not a
string, a number or null; such a request is not executed), -32601 unknown method, -32602
invalid parameters (count, types, hex, BCS, out-of-range versions and limits, a state version
this node does not hold: pruned or before its restored snapshot), -32000 server error (other
data the ledger does not hold), and for ``submit`` -32001..-32006 for a VM status (``Server
error: VM Validation error: SEQUENCE_NUMBER_TOO_OLD``) and -32007..-32012 for mempool statuses.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from libra import bcs
from libra.api import views
from libra.api.errors import JsonRpcError, StateNotHeld
from libra.api.interfaces import LedgerReader, LedgerSummary, SubmitOutcome, TransactionSubmitter
from libra.framework import state as st
from libra.storage.proof import TRANSACTION_ACCUMULATOR_HASHER as _TXN_ACC
from libra.storage.proof import EventWithProof, InMemoryAccumulator, TransactionInfoWithProof
from libra.types import (
    DIEM_ROOT_ADDRESS,
    AccountAddress,
    ContractEvent,
    EventKey,
    SignedTransaction,
    Transaction,
    TransactionInfo,
)

__all__ = [
    "MAX_U64",
    "JsonRpcLimits",
    "JsonRpcService",
    "TransactionWithProof",
    "vm_status_error",
]

log = logging.getLogger("libra.api.jsonrpc")

MAX_U64 = (1 << 64) - 1

Json = views.Json


@bcs.struct
class TransactionWithProof:
    """Diem's ``TransactionWithProof``: one transaction, its optional events and the proof of
    its transaction info (what ``get_account_transactions_with_proofs`` returns, BCS)."""

    version: bcs.U64
    transaction: Transaction
    events: tuple[ContractEvent, ...] | None
    proof: TransactionInfoWithProof


@dataclass(frozen=True, slots=True)
class JsonRpcLimits:
    """Diem's server limits."""

    batch_size: int = 20
    """Most requests in one batch."""
    page_size: int = 1000
    """Most transactions or events one call returns."""


# ---------------------------------------------------------------------------------------------
# Parameters


class _Params:
    """Typed access to a method's positional parameters; every failure is -32602."""

    __slots__ = ("method", "values")

    def __init__(self, method: str, values: list[Any]) -> None:
        self.method = method
        self.values = values

    def _get(self, i: int) -> Any:
        return self.values[i] if i < len(self.values) else None

    def _bad(self, i: int, name: str, want: str) -> JsonRpcError:
        got = json.dumps(self._get(i))[:80]
        return JsonRpcError.invalid_params(
            f"{self.method}: parameter {i} ({name}) must be {want}, got {got}"
        )

    def u64(self, i: int, name: str) -> int:
        v = self._get(i)
        if type(v) is not int or not 0 <= v <= MAX_U64:
            raise self._bad(i, name, "an unsigned 64-bit integer")
        return v

    def opt_u64(self, i: int, name: str) -> int | None:
        return None if self._get(i) is None else self.u64(i, name)

    def boolean(self, i: int, name: str) -> bool:
        v = self._get(i)
        if type(v) is not bool:
            raise self._bad(i, name, "a boolean")
        return v

    def opt_boolean(self, i: int, name: str, default: bool) -> bool:
        return default if self._get(i) is None else self.boolean(i, name)

    def string(self, i: int, name: str) -> str:
        v = self._get(i)
        if not isinstance(v, str):
            raise self._bad(i, name, "a string")
        return v

    def address(self, i: int, name: str) -> AccountAddress:
        text = self.string(i, name)
        try:
            return AccountAddress.from_hex(text)
        except ValueError:
            raise self._bad(i, name, "a hex-encoded 16-byte account address") from None

    def event_key(self, i: int, name: str) -> EventKey:
        text = self.string(i, name)
        try:
            return EventKey.from_hex(text)
        except ValueError:
            raise self._bad(i, name, "a hex-encoded 24-byte event key") from None

    def hex_bytes(self, i: int, name: str) -> bytes:
        text = self.string(i, name)
        try:
            return bytes.fromhex(text.removeprefix("0x"))
        except ValueError:
            raise self._bad(i, name, "a hex string") from None


# ---------------------------------------------------------------------------------------------
# Submission status → error


class _StatusType:
    """Diem's ranges of ``StatusCode`` numbers and their JSON-RPC error codes."""

    RANGES = (
        (0, 1000, "Validation", -32001),
        (1000, 2000, "Verification", -32002),
        (2000, 3000, "Invariant violation", -32003),
        (3000, 4000, "Deserialization", -32004),
        (4000, 5000, "Execution", -32005),
    )


_MEMPOOL_ERRORS = {
    1: -32012,  # unknown
    2: -32008,  # mempool is full
    3: -32009,  # too many transactions from this sender
    4: -32007,  # invalid sequence number
    5: -32010,  # invalid update
    6: -32011,  # VM error without a status
}


def _status_code_of(vm_status: object) -> IntEnum | None:
    if isinstance(vm_status, IntEnum):
        return vm_status
    inner = getattr(vm_status, "status", None)
    if isinstance(inner, IntEnum):
        return inner
    return None


def vm_status_error(outcome: SubmitOutcome) -> JsonRpcError | None:
    """The JSON-RPC error for a rejected submission (None when accepted), as Diem reports it:
    a VM status as ``-3200x`` with ``Server error: VM <type> error: <NAME>`` and the status
    number as ``data``; any other mempool status as ``-32007..-32012``."""
    code = int(outcome.code)
    if code == 0:
        return None
    status = _status_code_of(outcome.vm_status) if outcome.vm_status is not None else None
    if status is not None:
        number = int(status)
        kind, rpc_code = "Unknown", -32006
        for low, high, name, c in _StatusType.RANGES:
            if low <= number < high:
                kind, rpc_code = name, c
                break
        return JsonRpcError(rpc_code, f"Server error: VM {kind} error: {status.name}", number)
    rpc_code = _MEMPOOL_ERRORS.get(code, -32012)
    return JsonRpcError(
        rpc_code, f"Server error: Mempool submission error: {outcome.detail!r}", None
    )


# ---------------------------------------------------------------------------------------------
# The service


_Handler = Callable[["_Call"], Any]


@dataclass(frozen=True, slots=True)
class _Method:
    handler: _Handler
    required: int
    optional: int


class _Call:
    """One method call inside a request: its parameters and the ledger snapshot."""

    __slots__ = ("ledger", "params", "service")

    def __init__(self, service: JsonRpcService, ledger: LedgerSummary, params: _Params) -> None:
        self.service = service
        self.ledger = ledger
        self.params = params


class JsonRpcService:
    """Diem's JSON-RPC API over a :class:`LedgerReader` and a :class:`TransactionSubmitter`.

    ``peer_count`` answers ``get_network_status``; ``observe(method, seconds, error_code)`` is
    called once per method call (metrics)."""

    def __init__(
        self,
        reader: LedgerReader,
        submitter: TransactionSubmitter,
        *,
        limits: JsonRpcLimits | None = None,
        peer_count: Callable[[], int] | None = None,
        observe: Callable[[str, float, int | None], None] | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.reader = reader
        self.submitter = submitter
        self.limits = limits or JsonRpcLimits()
        self._peer_count = peer_count or (lambda: 0)
        self._observe = observe
        self._clock = clock

    # -- request level ----------------------------------------------------------------------

    def handle(self, body: bytes) -> Any:
        """The response to a raw request body: an object, or an array for a batch."""
        ledger = self._latest()
        try:
            request = json.loads(body, parse_float=_finite_float, parse_constant=_no_constant)
        except (ValueError, RecursionError) as e:
            return self._envelope(ledger, None, JsonRpcError.parse_error(str(e)[:200]))
        return self.handle_json(request, ledger)

    def handle_json(self, request: Any, ledger: LedgerSummary | None = None) -> Any:
        """The response to an already parsed request (object or batch array), answered at
        ``ledger`` (default: the latest)."""
        if ledger is None:
            ledger = self._latest()
        if isinstance(request, list):
            if not request:
                return self._envelope(ledger, None, JsonRpcError.invalid_request("empty batch"))
            if len(request) > self.limits.batch_size:
                return self._envelope(
                    ledger,
                    None,
                    JsonRpcError.invalid_request(
                        f"batch of {len(request)} requests exceeds the limit of "
                        f"{self.limits.batch_size}"
                    ),
                )
            return [self._one(ledger, r) for r in request]
        return self._one(ledger, request)

    def error_response(self, error: JsonRpcError) -> Json:
        """The response object for a request refused before it was read (too large, rate
        limited): ``error`` with a null id and the envelope of the latest ledger."""
        return self._envelope(self._latest(), None, error)

    def _latest(self) -> LedgerSummary | None:
        try:
            return self.reader.latest()
        except LookupError:
            return None

    def _envelope(
        self,
        ledger: LedgerSummary | None,
        request_id: Any,
        error: JsonRpcError | None,
        result: Any = None,
    ) -> Json:
        out: Json = {"id": request_id, "jsonrpc": "2.0"}
        if ledger is not None:
            out["diem_chain_id"] = ledger.chain_id
            out["diem_ledger_version"] = ledger.version
            out["diem_ledger_timestampusec"] = ledger.timestamp_usecs
        if error is not None:
            out["error"] = error.to_json()
        else:
            out["result"] = result
        return out

    def _one(self, ledger: LedgerSummary | None, request: Any) -> Json:
        if not isinstance(request, dict):
            return self._envelope(ledger, None, JsonRpcError.invalid_request("not an object"))
        request_id = request.get("id")
        if not _is_valid_id(request_id):
            return self._envelope(
                ledger,
                None,
                JsonRpcError.invalid_format('"id" must be a string, a number or null'),
            )
        if request.get("jsonrpc") != "2.0":
            return self._envelope(
                ledger, request_id, JsonRpcError.invalid_request('"jsonrpc" must be "2.0"')
            )
        method_name = request.get("method")
        if not isinstance(method_name, str):
            return self._envelope(
                ledger, request_id, JsonRpcError.invalid_request('"method" must be a string')
            )
        method = _METHODS.get(method_name)
        if method is None:
            return self._envelope(ledger, request_id, JsonRpcError.method_not_found(method_name))
        params = request.get("params", [])
        if params is None:
            params = []
        if not isinstance(params, list):
            return self._envelope(
                ledger,
                request_id,
                JsonRpcError.invalid_params(f"{method_name}: params must be an array"),
            )
        if not method.required <= len(params) <= method.required + method.optional:
            want = (
                f"{method.required}"
                if not method.optional
                else f"{method.required} to {method.required + method.optional}"
            )
            return self._envelope(
                ledger,
                request_id,
                JsonRpcError.invalid_params(
                    f"{method_name} takes {want} parameters, got {len(params)}"
                ),
            )
        started = self._clock()
        error: JsonRpcError | None = None
        result: Any = None
        try:
            if ledger is None:
                raise JsonRpcError.server_error("the ledger is empty (no genesis yet)")
            result = method.handler(_Call(self, ledger, _Params(method_name, params)))
        except JsonRpcError as e:
            error = e
        except StateNotHeld as e:
            error = JsonRpcError.invalid_params(f"{method_name}: {e.what}")
        except LookupError as e:
            error = JsonRpcError.server_error(f"not found: {e}")
        except Exception as e:
            log.exception("json-rpc %s failed", method_name)
            error = JsonRpcError.server_error(f"internal error ({type(e).__name__})")
        if self._observe is not None:
            self._observe(method_name, self._clock() - started, error.code if error else None)
        return self._envelope(ledger, request_id, error, result)


def _no_constant(name: str) -> Any:
    """Refuses ``NaN`` and ``Infinity``, which Python's parser takes but JSON does not."""
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    """A JSON number with a fraction or exponent; one beyond the float range is refused (it
    would come back as ``Infinity``, which no JSON response may hold)."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:40]} is out of range")
    return value


def _is_valid_id(request_id: object) -> bool:
    """JSON-RPC 2.0 ids are strings, numbers or null (not objects, arrays or booleans)."""
    if isinstance(request_id, bool):
        return False
    return request_id is None or isinstance(request_id, (str, int, float))


# ---------------------------------------------------------------------------------------------
# Helpers shared by methods


def _check_version(
    call: _Call, version: int, what: str = "version", ledger_version: int | None = None
) -> None:
    """-32602 when ``version`` is after ``ledger_version`` (default: the ledger's)."""
    limit = call.ledger.version if ledger_version is None else ledger_version
    if version > limit:
        raise JsonRpcError.invalid_params(
            f"{call.params.method}: {what} {version} is after the ledger version {limit}"
        )


def _check_limit(call: _Call, limit: int) -> None:
    page = call.service.limits.page_size
    if limit > page:
        raise JsonRpcError.invalid_params(
            f"{call.params.method}: limit {limit} exceeds the page size limit {page}"
        )


def _root(call: _Call, version: int) -> st.RootConfig:
    state = call.service.reader.get_account_state(DIEM_ROOT_ADDRESS, version)
    if state is None or state.details.root is None:
        raise JsonRpcError.server_error(f"no global configuration at version {version}")
    return state.details.root


def _txn_view(call: _Call, version: int, include_events: bool) -> Json:
    reader = call.service.reader
    events = reader.get_events(version) if include_events else None
    return views.transaction_view(
        version, reader.get_transaction(version), reader.get_transaction_info(version), events
    )


def _account_txn_versions(
    call: _Call, address: AccountAddress, start: int, limit: int, ledger_version: int
) -> list[int]:
    out: list[int] = []
    reader = call.service.reader
    for seq in range(start, min(start + limit, MAX_U64 + 1)):
        v = reader.get_account_transaction_version(address, seq)
        if v is None or v > ledger_version:
            break
        out.append(v)
    return out


# ---------------------------------------------------------------------------------------------
# The methods


def _submit(call: _Call) -> None:
    data = call.params.hex_bytes(0, "data")
    try:
        txn = bcs.decode(SignedTransaction, data)
    except bcs.DecodeError as e:
        raise JsonRpcError.invalid_params(f"submit: data is not a SignedTransaction: {e}") from e
    error = vm_status_error(call.service.submitter.submit(txn))
    if error is not None:
        raise error


def _get_metadata(call: _Call) -> Json:
    version = call.params.opt_u64(0, "version")
    ledger = call.ledger
    if version is None or version == ledger.version:
        root = _root(call, ledger.version)
        return {
            "version": ledger.version,
            "accumulator_root_hash": bytes(ledger.accumulator_root_hash).hex(),
            "timestamp": ledger.timestamp_usecs,
            "chain_id": ledger.chain_id,
            "script_hash_allow_list": [],
            "module_publishing_allowed": False,
            "diem_version": root.diem_version,
            "dual_attestation_limit": root.dual_attestation_limit,
        }
    _check_version(call, version)
    reader = call.service.reader
    subtrees = reader.get_accumulator_consistency_proof(None, version).subtrees
    root_hash = InMemoryAccumulator(_TXN_ACC, subtrees, version + 1).root_hash
    return {
        "version": version,
        "accumulator_root_hash": bytes(root_hash).hex(),
        "timestamp": _root(call, version).timestamp_usecs,
        "chain_id": ledger.chain_id,
    }


def _get_account(call: _Call) -> Json | None:
    address = call.params.address(0, "account")
    version = call.params.opt_u64(1, "version")
    if version is None:
        version = call.ledger.version
    _check_version(call, version)
    state = call.service.reader.get_account_state(address, version)
    if state is None:
        return None
    domain_key = None
    if state.role == st.ROLE_TREASURY_COMPLIANCE:
        domain_key = _root(call, version).diem_id_domain_events.key
    return views.account_view(address, state, version, domain_key)


def _get_transactions(call: _Call) -> list[Json]:
    start = call.params.u64(0, "start_version")
    limit = call.params.u64(1, "limit")
    include_events = call.params.boolean(2, "include_events")
    _check_limit(call, limit)
    end = min(call.ledger.version + 1, start + limit)
    return [_txn_view(call, v, include_events) for v in range(start, end)]


def _get_account_transaction(call: _Call) -> Json | None:
    address = call.params.address(0, "account")
    seq = call.params.u64(1, "sequence_number")
    include_events = call.params.boolean(2, "include_events")
    versions = _account_txn_versions(call, address, seq, 1, call.ledger.version)
    return _txn_view(call, versions[0], include_events) if versions else None


def _get_account_transactions(call: _Call) -> list[Json]:
    address = call.params.address(0, "account")
    start = call.params.u64(1, "start")
    limit = call.params.u64(2, "limit")
    include_events = call.params.boolean(3, "include_events")
    _check_limit(call, limit)
    versions = _account_txn_versions(call, address, start, limit, call.ledger.version)
    return [_txn_view(call, v, include_events) for v in versions]


def _events_with_proofs(call: _Call) -> list[EventWithProof]:
    key = call.params.event_key(0, "key")
    start = call.params.u64(1, "start")
    limit = call.params.u64(2, "limit")
    _check_limit(call, limit)
    if limit == 0:
        return []
    return call.service.reader.get_events_by_key(key, start, limit, call.ledger.version)


def _get_events(call: _Call) -> list[Json]:
    return [views.event_view(e.transaction_version, e.event) for e in _events_with_proofs(call)]


def _get_events_with_proofs(call: _Call) -> list[Json]:
    return [{"event_with_proof": bcs.encode(e).hex()} for e in _events_with_proofs(call)]


def _get_currencies(call: _Call) -> list[Json]:
    root = _root(call, call.ledger.version)
    return [views.currency_view(info) for info in root.currencies.values()]


def _get_network_status(call: _Call) -> int:
    return int(call.service._peer_count())


def _get_state_proof(call: _Call) -> Json:
    known = call.params.u64(0, "version")
    _check_version(call, known, "known version")
    reader = call.service.reader
    ledger = call.ledger
    known_epoch = reader.epoch_of_version(known)
    epoch_change = reader.get_epoch_change_proof(known_epoch, ledger.epoch)
    consistency = reader.get_accumulator_consistency_proof(known, ledger.version)
    return {
        "ledger_info_with_signatures": bcs.encode(ledger.ledger_info).hex(),
        "epoch_change_proof": bcs.encode(epoch_change).hex(),
        "ledger_consistency_proof": bcs.encode(consistency).hex(),
    }


def _get_accumulator_consistency_proof(call: _Call) -> Json:
    known = call.params.opt_u64(0, "client_known_version")
    ledger_version = call.params.opt_u64(1, "ledger_version")
    if ledger_version is None:
        ledger_version = call.ledger.version
    _check_version(call, ledger_version, "ledger version")
    if known is not None:
        _check_version(call, known, "client known version", ledger_version)
    proof = call.service.reader.get_accumulator_consistency_proof(known, ledger_version)
    return {"ledger_consistency_proof": bcs.encode(proof).hex()}


def _get_account_state_with_proof(call: _Call) -> Json:
    address = call.params.address(0, "account")
    version = call.params.opt_u64(1, "version")
    ledger_version = call.params.opt_u64(2, "ledger_version")
    if ledger_version is None:
        ledger_version = call.ledger.version
    _check_version(call, ledger_version, "ledger version")
    if version is None:
        version = ledger_version
    _check_version(call, version, ledger_version=ledger_version)
    asp = call.service.reader.get_account_state_with_proof(address, version, ledger_version)
    proof = asp.proof
    out: Json = {
        "version": asp.version,
        "proof": {
            "ledger_info_to_transaction_info_proof": bcs.encode(
                proof.transaction_info_with_proof.ledger_info_to_transaction_info_proof
            ).hex(),
            "transaction_info": bcs.encode(
                proof.transaction_info_with_proof.transaction_info
            ).hex(),
            "transaction_info_to_account_proof": bcs.encode(
                proof.transaction_info_to_account_proof
            ).hex(),
        },
    }
    if asp.blob is not None:
        out["blob"] = bcs.encode(asp.blob).hex()
    return out


def _get_transactions_with_proofs(call: _Call) -> Json | None:
    start = call.params.u64(0, "start_version")
    limit = call.params.u64(1, "limit")
    include_events = call.params.opt_boolean(2, "include_events", False)
    _check_limit(call, limit)
    if limit == 0 or start > call.ledger.version:
        return None
    lst = call.service.reader.get_transactions_with_proof(
        start, limit, call.ledger.version, include_events
    )
    if not lst.transactions:
        return None
    out: Json = {
        "serialized_transactions": [bcs.encode(t).hex() for t in lst.transactions],
        "proofs": {
            "ledger_info_to_transaction_infos_proof": bcs.encode(
                lst.proof.ledger_info_to_transaction_infos_proof
            ).hex(),
            "transaction_infos": bcs.encode_as(
                tuple[TransactionInfo, ...], lst.proof.transaction_infos
            ).hex(),
        },
    }
    if include_events and lst.events is not None:
        out["serialized_events"] = bcs.encode_as(
            tuple[tuple[ContractEvent, ...], ...], lst.events
        ).hex()
    return out


def _get_account_transactions_with_proofs(call: _Call) -> Json:
    address = call.params.address(0, "account")
    start = call.params.u64(1, "start")
    limit = call.params.u64(2, "limit")
    include_events = call.params.boolean(3, "include_events")
    ledger_version = call.params.opt_u64(4, "ledger_version")
    if ledger_version is None:
        ledger_version = call.ledger.version
    _check_version(call, ledger_version, "ledger version")
    _check_limit(call, limit)
    reader = call.service.reader
    out = []
    for v in _account_txn_versions(call, address, start, limit, ledger_version):
        twp = TransactionWithProof(
            v,
            reader.get_transaction(v),
            reader.get_events(v) if include_events else None,
            reader.get_transaction_info_with_proof(v, ledger_version),
        )
        out.append(bcs.encode(twp).hex())
    return {"serialized_txns_with_proofs": out}


def _count_events_at(reader: LedgerReader, key: EventKey, version: int) -> int:
    """How many events of stream ``key`` were emitted at or before ``version`` (exponential,
    then binary search over sequence numbers)."""

    def exists(seq: int) -> bool:
        return bool(reader.get_events_by_key(key, seq, 1, version))

    if not exists(0):
        return 0
    high = 1
    while high <= MAX_U64 and exists(high):
        high *= 2
    low = high // 2  # exists(low) holds, exists(high) does not
    while high - low > 1:
        mid = (low + high) // 2
        if exists(mid):
            low = mid
        else:
            high = mid
    return low + 1


def _get_event_by_version_with_proof(call: _Call) -> Json:
    key = call.params.event_key(0, "key")
    version = call.params.opt_u64(1, "version")
    if version is None:
        version = call.ledger.version
    _check_version(call, version)
    reader = call.service.reader
    count = _count_events_at(reader, key, version)
    out: Json = {}
    if count == 0:
        upper = reader.get_events_by_key(key, 0, 1, call.ledger.version)
        if upper:
            out["upper_bound_excl"] = {"event_with_proof": bcs.encode(upper[0]).hex()}
        return out
    found = reader.get_events_by_key(key, count - 1, 2, call.ledger.version)
    if found:
        out["lower_bound_incl"] = {"event_with_proof": bcs.encode(found[0]).hex()}
    if len(found) > 1:
        out["upper_bound_excl"] = {"event_with_proof": bcs.encode(found[1]).hex()}
    return out


_METHODS: dict[str, _Method] = {
    "submit": _Method(_submit, 1, 0),
    "get_metadata": _Method(_get_metadata, 0, 1),
    "get_account": _Method(_get_account, 1, 1),
    "get_transactions": _Method(_get_transactions, 3, 0),
    "get_account_transaction": _Method(_get_account_transaction, 3, 0),
    "get_account_transactions": _Method(_get_account_transactions, 4, 0),
    "get_events": _Method(_get_events, 3, 0),
    "get_currencies": _Method(_get_currencies, 0, 0),
    "get_network_status": _Method(_get_network_status, 0, 0),
    "get_state_proof": _Method(_get_state_proof, 1, 0),
    "get_accumulator_consistency_proof": _Method(_get_accumulator_consistency_proof, 0, 2),
    "get_account_state_with_proof": _Method(_get_account_state_with_proof, 1, 2),
    "get_transactions_with_proofs": _Method(_get_transactions_with_proofs, 2, 1),
    "get_account_transactions_with_proofs": _Method(_get_account_transactions_with_proofs, 4, 1),
    "get_events_with_proofs": _Method(_get_events_with_proofs, 3, 0),
    "get_event_by_version_with_proof": _Method(_get_event_by_version_with_proof, 1, 1),
}

METHOD_NAMES = tuple(_METHODS)
"""The 16 methods, in Diem's documentation order."""
