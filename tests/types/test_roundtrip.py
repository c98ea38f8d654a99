"""Every declared type round-trips through BCS, and decoders fed arbitrary bytes raise only
DecodeError."""

from __future__ import annotations

import os
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import libra.types  # noqa: F401  (declares the types)
from libra import bcs
from strategies import strategy_for

TYPES = [t for t in bcs.registered_types() if t.__module__.startswith("libra.")]


def _enum_base(t: type) -> type | None:
    for b in t.__mro__[1:]:
        if b is not bcs.Enum and issubclass(b, bcs.Enum) and "_bcs_variants" in b.__dict__:
            return b
    return None


# What a decoder is asked for: every struct that is not an enum variant, and every enum.
ROOTS: list[type] = [t for t in TYPES if _enum_base(t) is None]
ROOTS += sorted({b for t in TYPES if (b := _enum_base(t)) is not None}, key=lambda b: b.__name__)


def test_registry_covers_the_wire_types() -> None:
    names = {t.__name__ for t in TYPES} | {t.__name__ for t in ROOTS}
    for expected in (
        "SignedTransaction",
        "RawTransaction",
        "TransactionInfo",
        "LedgerInfo",
        "ValidatorVerifier",
        "ContractEventV0",
        "BlockMetadata",
        "GeneralMetadataV0",
        "AccountAddress",
        "HashValue",
        "Transaction",
        "TransactionPayload",
        "Metadata",
        "TypeTag",
    ):
        assert expected in names


@pytest.mark.parametrize("tp", TYPES, ids=lambda t: t.__name__)
@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.data())
def test_roundtrip(tp: type, data: st.DataObject) -> None:
    value = data.draw(strategy_for(tp))
    encoded = bcs.encode_as(tp, value)
    decoded = bcs.decode_as(tp, encoded)
    assert decoded == value
    assert bcs.encode_as(tp, decoded) == encoded
    if not isinstance(value, bytes):
        # As a root value an enum variant encodes with its tag, and decodes back.
        assert bcs.decode(tp, bcs.encode(value)) == value


def _fuzz(count: int, seed: int) -> None:
    rng = random.Random(seed)
    outcomes = {"ok": 0, "rejected": 0}
    for i in range(count):
        tp = ROOTS[i % len(ROOTS)]
        kind = rng.random()
        if kind < 0.5:
            data = rng.randbytes(rng.randint(0, 64))
        else:
            # Mutate a valid encoding: the decoder must still only raise DecodeError.
            data = bytearray(_valid(tp, rng))
            for _ in range(rng.randint(1, 3)):
                if data and rng.random() < 0.7:
                    data[rng.randrange(len(data))] = rng.randrange(256)
                elif data:
                    del data[rng.randrange(len(data)) :]
                else:
                    data.append(rng.randrange(256))
            data = bytes(data)
        try:
            value = bcs.decode_as(tp, data)
        except bcs.DecodeError:
            outcomes["rejected"] += 1
            continue
        # Whatever decodes is canonical: it re-encodes to the very same bytes.
        assert bcs.encode_as(tp, value) == data
        outcomes["ok"] += 1
    assert outcomes["rejected"] > 0 and outcomes["ok"] > 0


_VALID_CACHE: dict[type, list[bytes]] = {}


def _valid(tp: type, rng: random.Random) -> bytes:
    pool = _VALID_CACHE.get(tp)
    if pool is None:
        strategy = strategy_for(tp)
        pool = []
        for _ in range(5):
            value = strategy.example()
            pool.append(bcs.encode_as(tp, value))
        _VALID_CACHE[tp] = pool
    return rng.choice(pool)


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
def test_fuzz_decoders_default() -> None:
    _fuzz(int(os.environ.get("LIBRA_FUZZ_COUNT", "20000")), seed=1)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
def test_fuzz_decoders_100k() -> None:
    _fuzz(100_000, seed=2)
