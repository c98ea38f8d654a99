"""Turning typed values into JSON-able data and readable text."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

from libra import bcs
from libra.framework.scripts import SCRIPTS, decode_args
from libra.types import (
    CORE_CODE_ADDRESS,
    ScriptFunction,
    SignedTransaction,
    TypeTag,
)


def to_jsonable(value: Any) -> Any:
    """Structs become objects (enum variants gain a ``"type"`` naming the variant), byte
    strings become lowercase hex, integers stay integers."""
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, tuple | list):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {
            (k.hex() if isinstance(k, bytes) else str(k)): to_jsonable(v) for k, v in value.items()
        }
    if isinstance(value, TypeTag):
        return value.to_canonical_string()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        if isinstance(value, bcs.Enum):
            out["type"] = type(value).__name__
        for f in dataclasses.fields(value):
            out[f.name] = to_jsonable(getattr(value, f.name))
        return out
    raise TypeError(f"cannot render {type(value).__name__}")


def describe_signed_transaction(txn: SignedTransaction) -> dict[str, Any]:
    """The transaction as JSON-able data, with its hash and signature check."""
    data: dict[str, Any] = to_jsonable(txn)
    data["hash"] = txn.hash().hex()
    data["signature_valid"] = txn.verify_signature()
    data["authentication_key"] = txn.authenticator.sender_authentication_key().hex()
    payload = txn.raw_txn.payload
    inner = getattr(payload, "value", None)
    if isinstance(inner, ScriptFunction):
        data["script_function"] = (
            f"{inner.module.address.short_str()}::{inner.module.name}::{inner.function}"
        )
        arguments = script_function_arguments(inner)
        if arguments is not None:
            data["script_function_arguments"] = arguments
    return data


def script_function_arguments(call: ScriptFunction) -> dict[str, Any] | None:
    """The BCS arguments of a framework script function, decoded with the framework's own
    parameter kinds and named after its parameters (addresses and byte strings as hex,
    integers as numbers). None for a function the framework does not know, or arguments that
    do not decode as its parameters."""
    if call.module.address != CORE_CODE_ADDRESS:
        return None
    spec = SCRIPTS.get((call.module.name, call.function))
    if spec is None:
        return None
    try:
        values = decode_args(spec.params, call.args)
    except (bcs.DecodeError, ValueError):
        return None
    # A handler takes (ctx, signers, currencies, *arguments).
    names = list(inspect.signature(spec.handler).parameters)[3:]
    if len(names) != len(values):
        names = [f"arg{i}" for i in range(len(values))]
    return {name: to_jsonable(value) for name, value in zip(names, values, strict=True)}


def to_text(value: Any, indent: int = 0) -> str:
    """A readable, indented rendering of JSON-able data."""
    pad = "  " * indent
    if isinstance(value, dict):
        lines = []
        for k, v in value.items():
            if isinstance(v, dict | list) and v:
                lines.append(f"{pad}{k}:")
                lines.append(to_text(v, indent + 1))
            else:
                lines.append(f"{pad}{k}: {_scalar(v)}")
        return "\n".join(lines)
    if isinstance(value, list):
        lines = []
        for i, v in enumerate(value):
            if isinstance(v, dict | list) and v:
                lines.append(f"{pad}- [{i}]")
                lines.append(to_text(v, indent + 1))
            else:
                lines.append(f"{pad}- {_scalar(v)}")
        return "\n".join(lines)
    return pad + _scalar(value)


def _scalar(v: Any) -> str:
    if v is None:
        return "none"
    if isinstance(v, dict):
        return "{}"
    if isinstance(v, list):
        return "[]"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)
