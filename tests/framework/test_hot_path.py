"""The shortcuts on the execution hot path give exactly what the generic code gives: the
computed transaction size, the one-balance account codec, the argument decoders, the
payment event payloads, and the directly built events and outputs."""

from __future__ import annotations

import dataclasses

import pytest
from framework_world import key
from hypothesis import given, settings
from hypothesis import strategies as st

from libra import bcs
from libra.framework import DictStateView, Discard, Keep, Retry, StatusCode
from libra.framework import events as ev
from libra.framework.account import Account
from libra.framework.context import BlockState
from libra.framework.errors import StateError
from libra.framework.gas import transaction_size
from libra.framework.scripts import DECODERS, SCRIPTS, args_decoder
from libra.framework.state import AccountDetails, AccountState, EventHandle
from libra.framework.transaction import EXECUTED, TransactionOutput, _new_output
from libra.types import (
    CORE_CODE_ADDRESS,
    AccountAddress,
    ContractEventV0,
    EventKey,
    ModuleId,
    PayloadScriptFunction,
    RawTransaction,
    ScriptFunction,
    StructTag,
    TypeTag,
    TypeTagBool,
    TypeTagStruct,
    TypeTagU64,
    TypeTagVector,
)

ADDR = AccountAddress.from_int(0xABC)
SIGNER = key(4242)

# ---------------------------------------------------------------------------------------------
# transaction size

names = st.one_of(
    st.text(alphabet="abcXYZ_", min_size=1, max_size=8),
    st.text(alphabet="ab", min_size=120, max_size=300),  # multi-byte length prefixes
    st.text(alphabet="aé€", min_size=1, max_size=5),  # not ASCII: the encoder is used
)
leaf_tags = st.sampled_from([TypeTagBool(), TypeTagU64()])
type_tags = st.recursive(
    leaf_tags
    | st.builds(
        lambda a, m, n: TypeTagStruct(StructTag(AccountAddress.from_int(a), m, n, ())),
        st.integers(0, 2**128 - 1),
        names,
        names,
    ),
    lambda inner: (
        st.builds(TypeTagVector, inner)
        | st.builds(
            lambda m, ps: TypeTagStruct(StructTag(CORE_CODE_ADDRESS, m, m, tuple(ps))),
            names,
            st.lists(inner, max_size=3),
        )
    ),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None)
@given(
    module=names,
    function=names,
    code=names,
    ty_args=st.lists(type_tags, max_size=3),
    args=st.lists(st.binary(max_size=300), max_size=6) | st.just([b"\x01"] * 130),
)
def test_transaction_size_equals_the_encoding(
    module: str, function: str, code: str, ty_args: list[TypeTag], args: list[bytes]
) -> None:
    payload = PayloadScriptFunction(
        ScriptFunction(ModuleId(CORE_CODE_ADDRESS, module), function, tuple(ty_args), tuple(args))
    )
    raw = RawTransaction(ADDR, 3, payload, 1_000, 0, code, 10**9, 4)
    signed = raw.sign(SIGNER)
    assert transaction_size(signed) == len(bcs.encode(signed))


# ---------------------------------------------------------------------------------------------
# account codec, one balance


def _state(code: str, amount: int, frozen: bool = False, details: bytes = b"") -> AccountState:
    return AccountState(
        bytes(range(32)),
        7,
        frozen,
        5,
        {code: amount},
        EventHandle(3, EventKey.create(2, ADDR)),
        EventHandle(4, EventKey.create(3, ADDR)),
        AccountDetails(event_generator=4, diem_id_domains=(details,) if details else None),
    )


@pytest.mark.parametrize("code", ["LBR", "X", "é€", "C" * 126, "C" * 127, "C" * 128, "C" * 300])
@pytest.mark.parametrize("frozen", [False, True])
def test_one_balance_roundtrip(code: str, frozen: bool) -> None:
    s = _state(code, 2**64 - 1, frozen)
    blob = bcs.encode(s)
    acct = Account.decode(ADDR, blob)
    assert acct.to_state() == s
    assert type(acct.recv_key) is EventKey and type(acct.sent_key) is EventKey
    assert acct.frozen is frozen
    assert acct.encode() == blob
    # encoding after changes matches the generic encoder too
    acct.balances[code] = 1
    acct.seq += 1
    acct.sent_counter += 1
    assert acct.encode() == bcs.encode(acct.to_state())


def test_one_balance_irregular_blobs_are_state_errors() -> None:
    blob = bytearray(bcs.encode(_state("LBR", 5)))
    bad_frozen = bytes(blob[:40]) + b"\x02" + bytes(blob[41:])
    with pytest.raises(StateError):
        Account.decode(ADDR, bad_frozen)
    handle_tag = 43 + 4 + 8 + 8  # after the balance and the received counter
    assert blob[handle_tag] == 24
    blob[handle_tag] = 23
    with pytest.raises(StateError):
        Account.decode(ADDR, bytes(blob))
    no_details = bcs.encode(_state("LBR", 5))[: 43 + 4 + 8 + 33 + 33]
    with pytest.raises(StateError):
        Account.decode(ADDR, no_details)
    bad_utf8 = bytearray(bcs.encode(_state("LBR", 5)))
    bad_utf8[44] = 0xFF
    with pytest.raises(StateError):
        Account.decode(ADDR, bytes(bad_utf8))


def test_encode_falls_back_when_keys_have_odd_lengths() -> None:
    acct = Account.decode(ADDR, bcs.encode(_state("LBR", 5)))
    acct.auth_key = b"\x01" * 31  # not a valid state; must not be padded silently
    assert acct.encode()[:31] == b"\x01" * 31
    assert len(acct.encode()) == len(bcs.encode(_state("LBR", 5))) - 1


def test_block_state_remembers_absent_accounts() -> None:
    reads: list[AccountAddress] = []

    class CountingView(DictStateView):
        def get_account_blob(self, address: AccountAddress) -> bytes | None:
            reads.append(address)
            return super().get_account_blob(address)

    block = BlockState(CountingView({ADDR: bcs.encode(_state("LBR", 5))}))
    other = AccountAddress.from_int(0xDEF)
    assert block.get(other) is None and block.get(other) is None
    a1 = block.get(ADDR)
    assert a1 is not None and block.get(ADDR) is a1
    assert reads == [other, ADDR]


# ---------------------------------------------------------------------------------------------
# arguments, events, outputs


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 5, 7])
def test_args_decoder_every_arity(n: int) -> None:
    decoders = tuple(DECODERS["u64"] for _ in range(n))
    args = tuple(i.to_bytes(8, "little") for i in range(n))
    assert args_decoder(decoders)(args) == list(range(n))


def test_every_spec_decodes_with_its_decoders() -> None:
    for spec in SCRIPTS.values():
        assert len(spec.decoders) == len(spec.params)
        with_args = dataclasses.replace(spec)  # rebuilt: decode_args is derived again
        assert with_args == spec


@pytest.mark.parametrize("value", [b"", b"\x00" * 7, b"\x00" * 9])
def test_u64_argument_of_wrong_length(value: bytes) -> None:
    with pytest.raises(bcs.DecodeError):
        DECODERS["u64"](value)


@pytest.mark.parametrize("metadata", [b"", b"m" * 127, b"m" * 128, b"m" * 1000])
def test_payment_events_data_pair(metadata: bytes) -> None:
    payer, payee = AccountAddress.from_int(1), AccountAddress.from_int(2)
    cb = bcs.encode_as(str, "LBR")
    sent, received = ev.payment_events_data(77, cb, payer, payee, metadata)
    assert sent == ev.payment_event_data(77, cb, payee, metadata)
    assert received == ev.payment_event_data(77, cb, payer, metadata)
    assert sent == bcs.encode(ev.SentPaymentEvent(77, b"LBR", payee, metadata))


def test_new_event_equals_the_constructor() -> None:
    k = EventKey.create(3, ADDR)
    built = ev.new_event(k, 9, ev.SENT_PAYMENT, b"data")
    made = ContractEventV0(k, 9, ev.SENT_PAYMENT, b"data")
    assert type(built) is ContractEventV0
    assert built == made and hash(built) == hash(made) and repr(built) == repr(made)
    assert bcs.encode(built) == bcs.encode(made)
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.sequence_number = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    "status", [EXECUTED, Keep(EXECUTED.status), Discard(StatusCode(3)), Retry()]
)
def test_new_output_equals_the_constructor(status: object) -> None:
    built = _new_output(status, 5, (), (ADDR,), "why")  # type: ignore[arg-type]
    made = TransactionOutput(status, 5, (), (ADDR,), "why")  # type: ignore[arg-type]
    assert built == made and hash(built) == hash(made) and repr(built) == repr(made)
    assert built.blobs is None and built.is_kept == made.is_kept
    assert dataclasses.replace(built, blobs={}).blobs == {}
    assert [f.name for f in dataclasses.fields(TransactionOutput)] == [
        "status",
        "gas_used",
        "events",
        "written",
        "detail",
        "blobs",
    ]
