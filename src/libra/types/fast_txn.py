"""A fast decoder for the common shape of a :class:`SignedTransaction`.

Most transactions are script function calls signed by one Ed25519 key (peer-to-peer payments),
and every validator decodes each of them several times. The compiled BCS decoder spends most
of its time in per-field Python calls; this one reads such a transaction in one function with
``struct.unpack_from``, slicing and small caches:

- the payload's module, function name and type arguments (the same few for most
  transactions) are decoded once per distinct byte string and the decoded objects are reused;
- the Ed25519 public keys are validated once per distinct key;
- the gas currency codes are decoded from UTF-8 once per distinct byte string.

Every cache entry is made as the compiled decoders make it (the heads by those decoders
themselves, checked to end where they were delimited; the keys by their constructor; the codes
by the same strict UTF-8 decoding), so it holds what they give for those bytes. The sender and
the signature are built with ``bytes.__new__`` once the checks of their constructors are known
to pass (an address is any 16 bytes; a signature with S below 2**252 is canonical), and the
structs by setting their slots, as the compiled decoders do. Other payloads and authenticators
are decoded by the compiled decoders in place (with the nesting depth they would have). On
anything else, invalid input included, the decoder returns None and :mod:`libra.bcs` runs the
compiled decoder from the same position, so the errors (offsets and field paths) are exactly
the compiled decoder's.

:func:`make_decoder` is registered with :func:`libra.bcs.register_fast_decoder` by
:mod:`libra.types.transaction`.
"""

from __future__ import annotations

import struct
from typing import Any

from libra import bcs
from libra.crypto import Ed25519PublicKey, Ed25519Signature
from libra.types.account_address import AccountAddress
from libra.types.move import ModuleId, TypeTag
from libra.types.transaction import (
    Ed25519Authenticator,
    PayloadScriptFunction,
    RawTransaction,
    ScriptFunction,
    SignedTransaction,
    TransactionAuthenticator,
    TransactionPayload,
)

__all__ = ["make_decoder"]

_MAX_TAG_NESTING = 8
"""Type arguments nested deeper than this (``vector<vector<...>>``) go to the compiled
decoder."""
_DEPTH_MARGIN = 5 + 2 * _MAX_TAG_NESTING + 4
"""More than the deepest nesting the fast path reaches on its own below its start depth; it
runs only when all of it is within :data:`libra.bcs.MAX_CONTAINER_DEPTH`, so that no depth
error can be missed (the cached parts were decoded at other depths)."""
_CACHE_SIZE = 4096
"""Entries per cache; a full cache is emptied (distinct values are few in practice)."""

_ED25519_AUTH_SIZE = 1 + 1 + 32 + 1 + 64


def _tag_end(data: bytes, p: int, nesting: int) -> int:
    """Where the type tag at ``p`` ends, for the simple shapes (one-byte tags and lengths,
    nesting at most ``nesting``), else -1. It only delimits the bytes: the compiled decoder
    checks them before they are cached. May raise IndexError at the end of the input."""
    t = data[p]
    if t < 6:  # bool, u8, u64, u128, address, signer
        return p + 1
    if nesting == 0:
        return -1
    if t == 6:  # vector<T>
        return _tag_end(data, p + 1, nesting - 1)
    if t != 7:  # a struct: address, module, name, type parameters
        return -1
    q = p + 17
    n = data[q]
    if n >= 0x80:
        return -1
    q += 1 + n
    n = data[q]
    if n >= 0x80:
        return -1
    q += 1 + n
    n = data[q]
    if n >= 0x80:
        return -1
    q += 1
    for _ in range(n):
        q = _tag_end(data, q, nesting - 1)
        if q < 0:
            return -1
    return q


def make_decoder() -> bcs.FastDec:
    """The fast decoder of :class:`SignedTransaction` (see the module's docstring)."""
    for cls in (
        SignedTransaction,
        RawTransaction,
        PayloadScriptFunction,
        ScriptFunction,
        Ed25519Authenticator,
    ):
        # The compiled decoder would call it; this one builds objects without it.
        if hasattr(cls, "__post_init__"):
            raise TypeError(f"{cls.__name__} validates itself: the fast decoder would skip it")

    def setter(cls: type, name: str) -> Any:
        return cls.__dict__[name].__set__

    new = object.__new__
    bytes_new = bytes.__new__
    u64 = struct.Struct("<Q").unpack_from
    u64_u64 = struct.Struct("<QQ").unpack_from
    u64_u8 = struct.Struct("<QB").unpack_from
    struct_error = struct.error
    reader = bcs.Reader
    max_depth = bcs.MAX_CONTAINER_DEPTH - _DEPTH_MARGIN
    ed25519_size = _ED25519_AUTH_SIZE
    decode_prefix = bcs.decode_prefix
    head_type = tuple[ModuleId, str, tuple[TypeTag, ...]]

    set_st_raw = setter(SignedTransaction, "raw_txn")
    set_st_auth = setter(SignedTransaction, "authenticator")
    set_raw = [
        setter(RawTransaction, name)
        for name in (
            "sender",
            "sequence_number",
            "payload",
            "max_gas_amount",
            "gas_unit_price",
            "gas_currency_code",
            "expiration_timestamp_secs",
            "chain_id",
        )
    ]
    (
        set_sender,
        set_seq,
        set_payload,
        set_max_gas,
        set_price,
        set_code,
        set_expiration,
        set_chain,
    ) = set_raw
    set_pl_value = setter(PayloadScriptFunction, "value")
    set_sf_module = setter(ScriptFunction, "module")
    set_sf_function = setter(ScriptFunction, "function")
    set_sf_ty_args = setter(ScriptFunction, "ty_args")
    set_sf_args = setter(ScriptFunction, "args")
    set_auth_key = setter(Ed25519Authenticator, "public_key")
    set_auth_sig = setter(Ed25519Authenticator, "signature")

    heads: dict[bytes, tuple[ModuleId, str, tuple[TypeTag, ...]]] = {}
    public_keys: dict[bytes, Ed25519PublicKey] = {}
    codes: dict[bytes, str] = {}

    def script_function(data: bytes, p: int, depth: int) -> tuple[Any, int] | None:
        """The PayloadScriptFunction whose fields start at ``p``, and where it ends; None for
        a shape left to the compiled decoder. Past the end of the input: IndexError, or an end
        beyond it."""
        # The module (address, name), the function and the type arguments: delimited here,
        # decoded by the compiled decoders once per distinct byte string.
        q = p + 16
        n = data[q]
        if n >= 0x80:
            return None
        q += 1 + n
        n = data[q]
        if n >= 0x80:
            return None
        q += 1 + n
        n = data[q]
        if n >= 0x80:
            return None
        q += 1
        for _ in range(n):
            q = _tag_end(data, q, _MAX_TAG_NESTING)
            if q < 0:
                return None
        key = data[p:q]
        head = heads.get(key)
        if head is None:
            sub = reader(data, p)
            sub.depth = depth + 4  # in SignedTransaction, RawTransaction, the payload, the call
            head = decode_prefix(head_type, sub)
            if sub.pos != q:
                return None
            if len(heads) >= _CACHE_SIZE:
                heads.clear()
            heads[key] = head
        # The arguments: byte strings with one- or two-byte lengths.
        n = data[q]
        if n >= 0x80:
            return None
        q += 1
        args = []
        for _ in range(n):
            m = data[q]
            if m < 0x80:
                q += 1
            else:
                m2 = data[q + 1]
                if m2 == 0 or m2 >= 0x80:  # non-canonical, or too long for here
                    return None
                m = (m & 0x7F) | (m2 << 7)
                q += 2
            args.append(data[q : q + m])
            q += m
        call = new(ScriptFunction)
        set_sf_module(call, head[0])
        set_sf_function(call, head[1])
        set_sf_ty_args(call, head[2])
        set_sf_args(call, tuple(args))
        payload = new(PayloadScriptFunction)
        set_pl_value(payload, call)
        return payload, q

    def decode(r: bcs.Reader) -> Any:
        data = r.data
        start = r.pos
        end = r.end
        depth = r.depth
        if depth > max_depth or type(data) is not bytes or end != len(data):
            return None
        try:
            # RawTransaction: sender, sequence number, payload, ...
            p = start + 24
            sequence_number = u64(data, start + 16)[0]
            sender = bytes_new(AccountAddress, data[start : start + 16])
            found = script_function(data, p + 1, depth) if data[p] == 3 else None
            if found is None:
                sub = reader(data, p)
                sub.depth = depth + 2  # in SignedTransaction, RawTransaction
                payload = decode_prefix(TransactionPayload, sub)
                q = sub.pos
            else:
                payload, q = found
            # ... max gas amount, gas unit price, currency code, expiration, chain id.
            max_gas, price = u64_u64(data, q)
            q += 16
            n = data[q]
            if n >= 0x80:
                return None
            raw_code = data[q + 1 : q + 1 + n]
            code = codes.get(raw_code)
            if code is None:
                code = raw_code.decode("utf-8")  # as strict as the compiled decoder
                if len(codes) >= _CACHE_SIZE:
                    codes.clear()
                codes[raw_code] = code
            q += 1 + n
            expiration, chain_id = u64_u8(data, q)
            q += 9
            # The authenticator.
            if data[q] == 0 and data[q + 1] == 32 and data[q + 34] == 64:
                e = q + ed25519_size
                if e > end:
                    return None
                raw_key = data[q + 2 : q + 34]
                key = public_keys.get(raw_key)
                if key is None:
                    key = Ed25519PublicKey(raw_key)
                    if len(public_keys) >= _CACHE_SIZE:
                        public_keys.clear()
                    public_keys[raw_key] = key
                raw_sig = data[q + 35 : e]
                if data[e - 1] < 0x10:  # S < 2**252 < L: canonical
                    sig = bytes_new(Ed25519Signature, raw_sig)
                else:
                    sig = Ed25519Signature(raw_sig)
                auth: Any = new(Ed25519Authenticator)
                set_auth_key(auth, key)
                set_auth_sig(auth, sig)
            else:
                sub = reader(data, q)
                sub.depth = depth + 1  # in SignedTransaction
                auth = decode_prefix(TransactionAuthenticator, sub)
                e = sub.pos
        except (IndexError, ValueError, struct_error):  # DecodeError is a ValueError
            return None
        raw = new(RawTransaction)
        set_sender(raw, sender)
        set_seq(raw, sequence_number)
        set_payload(raw, payload)
        set_max_gas(raw, max_gas)
        set_price(raw, price)
        set_code(raw, code)
        set_expiration(raw, expiration)
        set_chain(raw, chain_id)
        txn = new(SignedTransaction)
        set_st_raw(txn, raw)
        set_st_auth(txn, auth)
        r.pos = e
        return txn

    return decode
