"""The gas schedule: Diem's bounds plus a simple, documented cost model.

``gas_used = intrinsic_gas(size) + EXECUTION_COST[function]`` where the intrinsic part is
Diem's: ``MIN_TRANSACTION_GAS_UNITS`` for any transaction, plus ``INTRINSIC_GAS_PER_BYTE`` for
each byte beyond ``LARGE_TRANSACTION_CUTOFF``. The fee is ``gas_used * gas_unit_price`` minor
units of the gas currency, collected per currency by Treasury Compliance.
"""

from __future__ import annotations

from libra import bcs
from libra.types import (
    Ed25519Authenticator,
    PayloadScriptFunction,
    SignedTransaction,
    TypeTag,
    TypeTagStruct,
)

MIN_TRANSACTION_GAS_UNITS = 600
MAX_TRANSACTION_SIZE_IN_BYTES = 4096
LARGE_TRANSACTION_CUTOFF = 600
INTRINSIC_GAS_PER_BYTE = 8
MAXIMUM_NUMBER_OF_GAS_UNITS = 4_000_000
MIN_PRICE_PER_GAS_UNIT = 0
MAX_PRICE_PER_GAS_UNIT = 10_000

DEFAULT_EXECUTION_COST = 200
"""Gas units charged for running any script function not listed in EXECUTION_COST."""

EXECUTION_COST: dict[str, int] = {
    "peer_to_peer_with_metadata": 100,
    "peer_to_peer_by_signers": 120,
    "create_child_vasp_account": 300,
    "create_parent_vasp_account": 300,
    "create_designated_dealer": 300,
    "tiered_mint": 250,
}
"""Gas units per function name (the same for its legacy script form)."""


def intrinsic_gas(size: int) -> int:
    """Diem's intrinsic cost of a transaction of ``size`` bytes."""
    if size > LARGE_TRANSACTION_CUTOFF:
        return (
            MIN_TRANSACTION_GAS_UNITS + (size - LARGE_TRANSACTION_CUTOFF) * INTRINSIC_GAS_PER_BYTE
        )
    return MIN_TRANSACTION_GAS_UNITS


def execution_cost(function: str) -> int:
    return EXECUTION_COST.get(function, DEFAULT_EXECUTION_COST)


def _uleb_len(n: int) -> int:
    size = 1
    while n >= 0x80:
        n >>= 7
        size += 1
    return size


def tag_size(tag: TypeTag) -> int:
    """The length of ``bcs.encode(tag)`` (struct tags computed, others encoded)."""
    if type(tag) is TypeTagStruct:
        st = tag.value
        m, n = st.module, st.name
        if m.isascii() and n.isascii() and len(m) < 128 and len(n) < 128:
            size = 1 + 16 + 1 + len(m) + 1 + len(n) + _uleb_len(len(st.type_params))
            for t in st.type_params:
                size += tag_size(t)
            return size
    return len(bcs.encode(tag))


_ED25519_AUTH_SIZE = 1 + 1 + 32 + 1 + 64


def transaction_size(txn: SignedTransaction) -> int:
    """The length of ``bcs.encode(txn)``: the length of the BCS bytes the transaction keeps
    (:meth:`SignedTransaction.encoded`: the bytes it was decoded from or first encoded to),
    else computed without encoding for the common case (a script function signed by one
    Ed25519 key).

    This is the signed transaction's length, authenticator included (Diem's VM counts the raw
    transaction's bytes only, ``raw_txn_bytes_len``)."""
    kept = getattr(txn, "_bcs_encoding", None)
    if kept is not None:
        return len(kept)
    raw = txn.raw_txn
    payload = raw.payload
    if (
        type(txn.authenticator) is not Ed25519Authenticator
        or type(payload) is not PayloadScriptFunction
    ):
        return len(bcs.encode(txn))
    sf = payload.value
    module_name = sf.module.name
    function = sf.function
    code = raw.gas_currency_code
    if not (module_name.isascii() and function.isascii() and code.isascii()):
        return len(bcs.encode(txn))
    ty_args = sf.ty_args
    args = sf.args
    lc = len(code)
    lm = len(module_name)
    lf = len(function)
    nt = len(ty_args)
    na = len(args)
    # sender, seq, max gas, price, expiry, chain id (49); payload tag and module address (17)
    size = 66 + lc + lm + lf + _ED25519_AUTH_SIZE
    if lc < 0x80 and lm < 0x80 and lf < 0x80 and nt < 0x80 and na < 0x80:
        size += 5
    else:
        size += _uleb_len(lc) + _uleb_len(lm) + _uleb_len(lf) + _uleb_len(nt) + _uleb_len(na)
    for t in ty_args:
        if type(t) is TypeTagStruct:
            st = t.value
            m = st.module
            n = st.name
            if (
                not st.type_params
                and len(m) < 0x80
                and len(n) < 0x80
                and m.isascii()
                and n.isascii()
            ):
                size += 20 + len(m) + len(n)  # tag, address, module, name, no type parameters
                continue
        size += tag_size(t)
    for a in args:
        n_ = len(a)
        size += n_ + 1 if n_ < 0x80 else n_ + _uleb_len(n_)
    return size
