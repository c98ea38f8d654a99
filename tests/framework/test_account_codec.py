"""The hand-written account blob codec agrees byte for byte with the declared BCS layout."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from libra import bcs
from libra.framework.account import Account, Journal
from libra.framework.errors import StateError
from libra.framework.state import (
    AccountDetails,
    AccountState,
    ChildVasp,
    EventHandle,
    SlidingNonce,
)
from libra.types import AccountAddress, EventKey

ADDR = AccountAddress.from_int(0xABC)

codes = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=6)
u64 = st.integers(0, 2**64 - 1)


def key_strategy() -> st.SearchStrategy[EventKey]:
    return st.builds(lambda n: EventKey.create(n, ADDR), u64)


states = st.builds(
    AccountState,
    authentication_key=st.binary(min_size=32, max_size=32),
    sequence_number=u64,
    frozen=st.booleans(),
    role=st.integers(0, 255),
    balances=st.dictionaries(codes, u64, max_size=5),
    received_events=st.builds(EventHandle, u64, key_strategy()),
    sent_events=st.builds(EventHandle, u64, key_strategy()),
    details=st.builds(
        AccountDetails,
        event_generator=u64,
        sliding_nonce=st.none() | st.builds(SlidingNonce, u64, st.integers(0, 2**128 - 1)),
        child_vasp=st.none() | st.just(ChildVasp(ADDR)),
        diem_id_domains=st.none() | st.lists(st.binary(max_size=10), max_size=3).map(tuple),
    ),
)


@settings(max_examples=200)
@given(states)
def test_fast_encode_equals_bcs(s: AccountState) -> None:
    acct = Account.from_state(ADDR, s)
    assert acct.encode() == bcs.encode(s)


@settings(max_examples=200)
@given(states)
def test_fast_decode_roundtrip(s: AccountState) -> None:
    blob = bcs.encode(s)
    acct = Account.decode(ADDR, blob)
    assert acct.to_state() == s
    assert acct.encode() == blob


def test_irregular_blob_falls_back_to_strict_decoder() -> None:
    s = AccountState(
        bytes(32),
        1,
        False,
        5,
        {f"C{i:03d}": i for i in range(130)},
        EventHandle(0, EventKey.create(0, ADDR)),
        EventHandle(0, EventKey.create(1, ADDR)),
        AccountDetails(event_generator=2),
    )
    blob = bcs.encode(s)
    acct = Account.decode(ADDR, blob)
    assert acct.to_state() == s
    assert acct.encode() == blob


@pytest.mark.parametrize("cut", [0, 10, 43, 60])
def test_truncated_blob_is_a_state_error(cut: int) -> None:
    s = AccountState(
        bytes(32),
        1,
        False,
        5,
        {"LBR": 3},
        EventHandle(0, EventKey.create(0, ADDR)),
        EventHandle(0, EventKey.create(1, ADDR)),
        AccountDetails(event_generator=2),
    )
    with pytest.raises(StateError):
        Account.decode(ADDR, bcs.encode(s)[:cut])


def test_corrupt_details_reported_when_used() -> None:
    s = AccountState(
        bytes(32),
        1,
        False,
        5,
        {"LBR": 3},
        EventHandle(0, EventKey.create(0, ADDR)),
        EventHandle(0, EventKey.create(1, ADDR)),
        AccountDetails(event_generator=2),
    )
    blob = bcs.encode(s) + b"\x07"
    acct = Account.decode(ADDR, blob)
    with pytest.raises(StateError, match="corrupt details"):
        _ = acct.details


def test_journal_rollback_restores_values() -> None:
    s = AccountState(
        bytes(32),
        1,
        False,
        5,
        {"LBR": 3},
        EventHandle(0, EventKey.create(0, ADDR)),
        EventHandle(0, EventKey.create(1, ADDR)),
        AccountDetails(event_generator=2),
    )
    acct = Account.from_state(ADDR, s)
    j = Journal()
    j.entries.append((acct, "seq", acct.seq))
    acct.seq = 99
    j.entries.append((acct.balances, "XUS", Journal.MISSING))
    acct.balances["XUS"] = 5
    j.entries.append((acct.balances, "LBR", 3))
    acct.balances["LBR"] = 0
    acct.set_details(j, AccountDetails(event_generator=9))
    j.rollback()
    assert acct.to_state() == s
    assert j.entries == []
