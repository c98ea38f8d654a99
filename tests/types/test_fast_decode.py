"""The fast SignedTransaction decoder (libra.types.fast_txn) gives exactly what the compiled BCS
decoder gives: equal objects of the same classes, the same kept bytes and hashes, and on any
invalid input the same DecodeError (it hands those to the compiled decoder). Also: the signing
message made from the kept bytes, and the one-shot transaction hash."""

from __future__ import annotations

import dataclasses
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from libra import bcs
from libra.api.faucet import peer_to_peer_with_metadata
from libra.crypto import (
    CryptoHasher,
    Ed25519PrivateKey,
    Ed25519Signature,
    MultiEd25519PublicKey,
    MultiEd25519Signature,
)
from libra.types import (
    CORE_CODE_ADDRESS,
    AccountAddress,
    AuthenticationKey,
    Ed25519Authenticator,
    ModuleId,
    MultiEd25519Authenticator,
    PayloadScript,
    PayloadScriptFunction,
    RawTransaction,
    Script,
    ScriptFunction,
    SignedTransaction,
    TransactionAuthenticator,
    TransactionPayload,
    TypeTag,
    TypeTagU8,
    TypeTagVector,
    UserTransaction,
)
from libra.types.fast_txn import make_decoder
from libra.types.move import currency_type_tag
from strategies import strategy_for

SETTINGS = settings(
    max_examples=150,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    deadline=None,
)

_KEYS = [Ed25519PrivateKey(bytes([i + 11]) * 32) for i in range(4)]
_ADDRS = [AuthenticationKey.ed25519(k.public_key).derived_address() for k in _KEYS]


def _same(a: Any, b: Any, where: str = "") -> None:
    """``a`` and ``b`` are equal and of the same classes all the way down."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            _same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


def _outcome(decode: Any, data: bytes) -> tuple[str, Any]:
    try:
        return "ok", decode(SignedTransaction, data)
    except bcs.DecodeError as e:
        return "error", (e.offset, str(e))


def _check_same_outcome(data: bytes) -> str:
    """Decodes ``data`` with and without the fast decoder; both fail alike or agree."""
    fast = _outcome(bcs.decode, data)
    generic = _outcome(bcs.decode_generic, data)
    assert fast[0] == generic[0], (fast, generic)
    if fast[0] == "error":
        assert fast[1] == generic[1]
        return "error"
    a, b = fast[1], generic[1]
    _same(a, b, "txn")
    assert a.encoded() == b.encoded() == data
    assert bcs.encode(a) == data
    assert a.hash() == b.hash()
    return "ok"


# ---------------------------------------------------------------------------------------------
# Transactions of every kind


def _p2p(
    sender: int, seq: int, payee: int, amount: int, currency: str = "LBR"
) -> SignedTransaction:
    call = peer_to_peer_with_metadata(currency, _ADDRS[payee], amount)
    raw = RawTransaction(
        _ADDRS[sender], seq, PayloadScriptFunction(call), 1_000_000, 0, currency, 1_900_000_000, 4
    )
    return raw.sign(_KEYS[sender])


_identifiers = st.one_of(
    st.sampled_from(["PaymentScripts", "peer_to_peer_with_metadata", "LBR", "XUS", "x", "_a"]),
    st.text(max_size=12),
    st.text(alphabet="abc", min_size=120, max_size=140),  # lengths around 128: two-byte ULEB128
)
_type_tags: st.SearchStrategy[TypeTag] = st.one_of(
    st.sampled_from([currency_type_tag("LBR"), currency_type_tag("XUS"), TypeTagU8()]),
    strategy_for(TypeTag),
    st.integers(1, 12).map(lambda n: _nested_vector(n)),  # beyond the fast path's nesting
)


def _nested_vector(n: int) -> TypeTag:
    tag: TypeTag = TypeTagU8()
    for _ in range(n):
        tag = TypeTagVector(tag)
    return tag


@st.composite
def script_functions(draw: st.DrawFn) -> TransactionPayload:
    module = ModuleId(
        draw(st.sampled_from([CORE_CODE_ADDRESS, _ADDRS[0]])),
        draw(_identifiers),
    )
    args = draw(
        st.lists(
            st.one_of(st.binary(max_size=20), st.binary(min_size=120, max_size=300)), max_size=6
        )
    )
    ty_args = draw(st.lists(_type_tags, max_size=3))
    return PayloadScriptFunction(
        ScriptFunction(module, draw(_identifiers), tuple(ty_args), tuple(args))
    )


_payloads = st.one_of(
    script_functions(),
    script_functions(),
    strategy_for(TransactionPayload),
    strategy_for(Script).map(PayloadScript),
)
_authenticators = st.one_of(
    strategy_for(Ed25519Authenticator),
    strategy_for(MultiEd25519Authenticator),
    strategy_for(TransactionAuthenticator),
)


@st.composite
def signed_transactions(draw: st.DrawFn) -> SignedTransaction:
    u64 = st.one_of(st.integers(0, 1000), st.integers(0, (1 << 64) - 1))
    raw = RawTransaction(
        draw(st.sampled_from(_ADDRS)),
        draw(u64),
        draw(_payloads),
        draw(u64),
        draw(u64),
        draw(st.one_of(st.sampled_from(["LBR", "XUS", "Coin1"]), st.text(max_size=8))),
        draw(u64),
        draw(st.integers(0, 255)),
    )
    return SignedTransaction(raw, draw(_authenticators))


@SETTINGS
@given(txn=signed_transactions())
def test_fast_decode_equals_generic(txn: SignedTransaction) -> None:
    data = bcs.encode(txn)
    assert _check_same_outcome(data) == "ok"
    _same(bcs.decode(SignedTransaction, data), txn, "txn")
    # Inside a sequence and inside a Transaction, as proposals and mempool batches hold them.
    many = bcs.decode_as(
        tuple[SignedTransaction, ...], bcs.encode_as(tuple[SignedTransaction, ...], (txn, txn))
    )
    for t in many:
        _same(t, txn, "txn")
        assert t.encoded() == data
    user = bcs.decode(UserTransaction, bcs.encode(UserTransaction(txn)))
    assert isinstance(user, UserTransaction)
    _same(user.value, txn, "txn")
    assert user.value.encoded() == data
    assert user.value.hash() == UserTransaction(txn).hash()


def test_the_common_shapes_take_the_fast_path() -> None:
    decode = make_decoder()
    multi_key = MultiEd25519PublicKey.create([k.public_key for k in _KEYS[:3]], 2)
    multi_sig = MultiEd25519Signature.create([(0, _KEYS[0].sign(b"m")), (2, _KEYS[2].sign(b"m"))])
    p2p = _p2p(0, 7, 1, 1234)
    script = RawTransaction(
        _ADDRS[1], 0, PayloadScript(Script(b"\x01\x02", (TypeTagU8(),), ())), 10, 1, "XUS", 5, 2
    ).sign(_KEYS[1])
    multi = SignedTransaction(p2p.raw_txn, MultiEd25519Authenticator(multi_key, multi_sig))
    for txn in (p2p, _p2p(2, 0, 3, 1, "XUS"), script, multi):
        data = bcs.encode(txn)
        for _ in range(2):  # the second time from the caches
            r = bcs.Reader(data)
            value = decode(r)
            assert value is not None
            assert r.pos == len(data)
            assert r.depth == 0
            _same(value, txn, "txn")


def test_fast_decoder_rejects_what_it_does_not_handle() -> None:
    decode = make_decoder()
    data = bcs.encode(_p2p(0, 1, 2, 3))
    assert decode(bcs.Reader(data[:-1])) is None
    deep = bcs.Reader(data)
    deep.depth = bcs.MAX_CONTAINER_DEPTH - 3
    assert decode(deep) is None
    assert deep.pos == 0


# ---------------------------------------------------------------------------------------------
# Invalid input: the same errors


def _mutations(data: bytes, rng: random.Random) -> list[bytes]:
    out = [data[:n] for n in range(0, len(data), 7)] + [data + b"\x00"]
    for _ in range(40):
        b = bytearray(data)
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(b))
            r = rng.random()
            if r < 0.5:
                b[i] = rng.randrange(256)
            elif r < 0.65:
                b[i] ^= 1 << rng.randrange(8)
            elif r < 0.75:
                b[i] |= 0x80  # a length or tag turned into a longer (or non-canonical) ULEB128
                b.insert(i + 1, 0)
            elif r < 0.85:
                b.insert(i, rng.randrange(256))
            elif r < 0.95:
                del b[i]
            else:
                b[i : i + 3] = b"\xff\xfe\xc0"  # invalid UTF-8 wherever a string is
        out.append(bytes(b))
    return out


@SETTINGS
@given(txn=signed_transactions(), seed=st.integers(0, 2**32))
def test_mutated_input_fails_alike(txn: SignedTransaction, seed: int) -> None:
    for data in _mutations(bcs.encode(txn), random.Random(seed)):
        _check_same_outcome(data)


def test_mutated_transfers_fail_alike() -> None:
    rng = random.Random(5)
    outcomes = {"ok": 0, "error": 0}
    for i in range(60):
        data = bcs.encode(_p2p(i % 4, i, (i + 1) % 4, i * 1000 + 1))
        for mutated in _mutations(data, rng):
            outcomes[_check_same_outcome(mutated)] += 1
        # Every single-byte change of the transfer.
        if i == 0:
            for j in range(len(data)):
                for v in (0x00, 0x7F, 0x80, 0xFF, data[j] ^ 0x01):
                    b = bytearray(data)
                    b[j] = v
                    outcomes[_check_same_outcome(bytes(b))] += 1
    assert outcomes["ok"] > 100 and outcomes["error"] > 1000


def _offsets(txn: SignedTransaction) -> dict[str, int]:
    """Where a transfer's parts start in its encoding."""
    data = bcs.encode(txn)
    raw = bcs.encode(txn.raw_txn)
    call = txn.raw_txn.payload
    assert isinstance(call, PayloadScriptFunction)
    sf = call.value
    module_name = 24 + 1 + 16
    function = module_name + 1 + len(sf.module.name)
    ty_args = function + 1 + len(sf.function)
    code = len(raw) - 9 - 1 - len(txn.raw_txn.gas_currency_code)
    return {
        "module_name": module_name,
        "function": function,
        "ty_args": ty_args,
        "args": ty_args + len(bcs.encode_as(tuple[TypeTag, ...], sf.ty_args)),
        "code": code,
        "authenticator": len(raw),
        "end": len(data),
    }


@pytest.mark.parametrize(
    "edit",
    [
        "payload_tag",
        "module_name_utf8",
        "function_utf8",
        "type_tag",
        "arg_length_noncanonical",
        "arg_count_noncanonical",
        "arg_length_long",
        "code_utf8",
        "code_noncanonical",
        "authenticator_tag",
        "key_length",
        "signature_length",
        "small_order_key",
        "signature_s_too_big",
        "signature_s_is_l",
        "trailing",
        "truncated",
        "deep_type_tag",
    ],
)
def test_specific_deviations_fail_alike(edit: str) -> None:
    txn = _p2p(0, 1, 1, 500)
    data = bytearray(bcs.encode(txn))
    at = _offsets(txn)
    if edit == "payload_tag":
        data[24] = 9
    elif edit == "module_name_utf8":
        data[at["module_name"] + 1] = 0xFF
    elif edit == "function_utf8":
        data[at["function"] + 2 : at["function"] + 4] = b"\xed\xa0"  # a surrogate
    elif edit == "type_tag":
        data[at["ty_args"] + 1] = 8
    elif edit == "arg_length_noncanonical":
        first = at["args"] + 1
        data[first : first + 1] = bytes([data[first] | 0x80, 0])
    elif edit == "arg_count_noncanonical":
        data[at["args"] : at["args"] + 1] = b"\x84\x00"
    elif edit == "arg_length_long":
        data[at["args"] + 1 : at["args"] + 2] = b"\xff\xff\x03"
    elif edit == "code_utf8":
        data[at["code"] + 1] = 0xC0
    elif edit == "code_noncanonical":
        data[at["code"] : at["code"] + 1] = b"\x83\x00"
    elif edit == "authenticator_tag":
        data[at["authenticator"]] = 7
    elif edit == "key_length":
        data[at["authenticator"] + 1] = 33
    elif edit == "signature_length":
        data[at["authenticator"] + 34] = 63
    elif edit == "small_order_key":
        data[at["authenticator"] + 2 : at["authenticator"] + 34] = b"\x01" + bytes(31)
    elif edit == "signature_s_too_big":
        data[-32:] = b"\xff" * 32
    elif edit == "signature_s_is_l":
        data[-32:] = (2**252 + 27742317777372353535851937790883648493).to_bytes(32, "little")
    elif edit == "trailing":
        data += b"\x00"
    elif edit == "truncated":
        del data[-1]
    elif edit == "deep_type_tag":
        deep = _nested_vector(bcs.MAX_CONTAINER_DEPTH)
        payload = txn.raw_txn.payload
        assert isinstance(payload, PayloadScriptFunction)
        call = dataclasses.replace(payload.value, ty_args=(deep,))
        raw = dataclasses.replace(txn.raw_txn, payload=PayloadScriptFunction(call))
        data = bytearray(bcs.encode(SignedTransaction(raw, txn.authenticator)))
    assert _check_same_outcome(bytes(data)) == "error"


def test_a_valid_signature_with_a_high_s_byte_decodes_alike() -> None:
    # S = 2**252 + 1 < L: canonical, but with the top byte the fast path checks first.
    txn = _p2p(0, 1, 1, 500)
    data = bytearray(bcs.encode(txn))
    data[-32:] = (2**252 + 1).to_bytes(32, "little")
    assert _check_same_outcome(bytes(data)) == "ok"
    assert isinstance(
        bcs.decode(SignedTransaction, bytes(data)).authenticator, Ed25519Authenticator
    )


@bcs.struct
class _Pair:
    a: bcs.U8
    b: bytes


_fast_calls: list[int] = []


def _pair_fast(r: bcs.Reader) -> _Pair | None:
    """Handles pairs with ``a < 10`` and a short ``b`` only."""
    _fast_calls.append(r.pos)
    data = r.data
    p = r.pos
    if p + 2 > r.end or data[p] >= 10 or data[p + 1] >= 0x80 or p + 2 + data[p + 1] > r.end:
        return None
    r.pos = p + 2 + data[p + 1]
    return _Pair(data[p], data[p + 2 : r.pos])


bcs.register_fast_decoder(_Pair, lambda: _pair_fast)


def test_the_fast_decoder_hook() -> None:
    seq = tuple[_Pair, ...]
    for value in [(_Pair(1, b"xy"), _Pair(200, b"z" * 200)), (), (_Pair(9, b""),)]:
        data = bcs.encode_as(seq, value)
        _fast_calls.clear()
        assert bcs.decode_as(seq, data) == value
        assert len(_fast_calls) == len(value)
        for pair in value:
            assert bcs.decode(_Pair, bcs.encode(pair)) == pair
            assert bcs.decode_generic(_Pair, bcs.encode(pair)) == pair
    for bad in [b"\x01\x05ab", b"\x0c\x80\x00", b"\x01", b"\x01\x00\x00"]:
        with pytest.raises(bcs.DecodeError) as fast:
            bcs.decode(_Pair, bad)
        with pytest.raises(bcs.DecodeError) as generic:
            bcs.decode_generic(_Pair, bad)
        assert str(fast.value) == str(generic.value)
        assert fast.value.offset == generic.value.offset


def test_register_fast_decoder_checks_its_use() -> None:
    with pytest.raises(TypeError, match="already compiled"):
        bcs.register_fast_decoder(SignedTransaction, make_decoder)
    with pytest.raises(TypeError, match="not a struct"):
        bcs.register_fast_decoder(PayloadScriptFunction, make_decoder)


# ---------------------------------------------------------------------------------------------
# Signatures and hashes


def _multi_signed(raw: RawTransaction, signers: list[int]) -> SignedTransaction:
    key = MultiEd25519PublicKey.create([k.public_key for k in _KEYS], 2)
    message = raw.signing_message()
    sig = MultiEd25519Signature.create([(i, _KEYS[i].sign(message)) for i in signers])
    return SignedTransaction(raw, MultiEd25519Authenticator(key, sig))


def _old_verify(txn: SignedTransaction) -> bool:
    return txn.authenticator.verify(txn.raw_txn)


def test_verify_signature_unchanged() -> None:
    p2p = _p2p(1, 3, 2, 99)
    raw = p2p.raw_txn
    cases = [p2p, _multi_signed(raw, [0, 3]), _multi_signed(raw, [1])]
    # A valid but wrong signature (over another message).
    wrong = Ed25519Signature(_KEYS[1].sign(b"something else"))
    cases.append(SignedTransaction(raw, Ed25519Authenticator(_KEYS[1].public_key, wrong)))
    # Someone else's key.
    assert isinstance(p2p.authenticator, Ed25519Authenticator)
    theirs = Ed25519Authenticator(_KEYS[0].public_key, p2p.authenticator.signature)
    cases.append(SignedTransaction(raw, theirs))
    expected = [True, True, False, False, False]
    for txn, ok in zip(cases, expected, strict=True):
        data = bcs.encode(txn)
        fresh = SignedTransaction(txn.raw_txn, txn.authenticator)  # no kept bytes
        for t in (
            bcs.decode(SignedTransaction, data),
            bcs.decode_generic(SignedTransaction, data),
            fresh,
            txn,
        ):
            assert t.verify_signature() is ok
            assert _old_verify(t) is ok
    # Tampered bytes: every decodable single-byte change of the raw transaction or the
    # signature verifies exactly as before (that is, not at all).
    for txn in cases[:2]:
        data = bcs.encode(txn)
        raw_len = len(bcs.encode(txn.raw_txn))
        for j in [*range(0, raw_len, 3), len(data) - 1, len(data) - 40]:
            b = bytearray(data)
            b[j] ^= 0x04
            try:
                t = bcs.decode(SignedTransaction, bytes(b))
            except bcs.DecodeError:
                continue
            assert t.verify_signature() is _old_verify(t) is False


@SETTINGS
@given(txn=signed_transactions())
def test_verify_signature_unchanged_for_any_transaction(txn: SignedTransaction) -> None:
    decoded = bcs.decode(SignedTransaction, bcs.encode(txn))
    assert decoded.verify_signature() is _old_verify(decoded)


@SETTINGS
@given(txn=signed_transactions())
def test_hash_unchanged(txn: SignedTransaction) -> None:
    expected = CryptoHasher("Transaction").hash(b"\x00" + bcs.encode(txn))
    fresh = SignedTransaction(txn.raw_txn, txn.authenticator)
    decoded = bcs.decode(SignedTransaction, bcs.encode(txn))
    for t in (fresh, decoded):
        h = t.hash()
        assert h == expected
        assert type(h) is type(expected)
        assert t.hash() is h
    assert UserTransaction(txn).hash() == expected


def test_senders_and_addresses_are_addresses() -> None:
    txn = bcs.decode(SignedTransaction, bcs.encode(_p2p(0, 1, 1, 1)))
    assert type(txn.sender) is AccountAddress
    assert txn.sender == _ADDRS[0]
