"""Hypothesis strategies derived from the BCS schemas of the declared types."""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from typing import Annotated, Any

from hypothesis import strategies as st

from libra import bcs
from libra.crypto import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
    Ed25519Signature,
    HashValue,
    MultiEd25519PublicKey,
    MultiEd25519Signature,
)
from libra.types import (
    AccountAddress,
    AuthenticationKey,
    EventKey,
    ValidatorConsensusInfo,
    ValidatorVerifier,
)

_KEYS = [Ed25519PrivateKey(bytes([i + 1]) * 32) for i in range(8)]
_SIGS = [k.sign(b"message %d" % i) for i, k in enumerate(_KEYS)]

public_keys = st.sampled_from([k.public_key for k in _KEYS])
signatures = st.sampled_from(_SIGS)


@st.composite
def multi_public_keys(draw: st.DrawFn) -> MultiEd25519PublicKey:
    n = draw(st.integers(1, len(_KEYS)))
    keys = [k.public_key for k in _KEYS[:n]]
    return MultiEd25519PublicKey.create(keys, draw(st.integers(1, n)))


@st.composite
def multi_signatures(draw: st.DrawFn) -> MultiEd25519Signature:
    indices = draw(st.sets(st.integers(0, 31), min_size=1, max_size=4))
    return MultiEd25519Signature.create([(i, _SIGS[i % len(_SIGS)]) for i in indices])


@st.composite
def validator_verifiers(draw: st.DrawFn) -> ValidatorVerifier:
    n = draw(st.integers(0, 5))
    infos = {
        AccountAddress(draw(st.binary(min_size=16, max_size=16))): ValidatorConsensusInfo(
            draw(public_keys), draw(st.integers(1, 100))
        )
        for _ in range(n)
    }
    return ValidatorVerifier.create(infos)


_SPECIAL: dict[Any, st.SearchStrategy[Any]] = {
    AccountAddress: st.binary(min_size=16, max_size=16).map(AccountAddress),
    AuthenticationKey: st.binary(min_size=32, max_size=32).map(AuthenticationKey),
    HashValue: st.binary(min_size=32, max_size=32).map(HashValue),
    EventKey: st.binary(min_size=24, max_size=24).map(EventKey),
    Ed25519PublicKey: public_keys,
    Ed25519Signature: signatures,
    MultiEd25519PublicKey: multi_public_keys(),
    MultiEd25519Signature: multi_signatures(),
    ValidatorVerifier: validator_verifiers(),
}


@functools.cache
def strategy_for(tp: Any) -> st.SearchStrategy[Any]:
    """A strategy producing valid values of the BCS annotation ``tp``."""
    return st.deferred(lambda: _build(tp))


def _build(tp: Any) -> st.SearchStrategy[Any]:
    if tp in _SPECIAL:
        return _SPECIAL[tp]
    if tp is bool:
        return st.booleans()
    if tp is bytes:
        return st.binary(max_size=40)
    if tp is str:
        return st.text(max_size=20)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is Annotated:
        base, *meta = args
        for m in meta:
            if isinstance(m, bcs.Fixed):
                if base is bytes:
                    return st.binary(min_size=m.n, max_size=m.n)
                elem = typing.get_args(base)[0]
                return st.lists(strategy_for(elem), min_size=m.n, max_size=m.n).map(tuple)
            bits = getattr(m, "bits", None)
            if bits is not None:
                return st.integers(0, (1 << bits) - 1)
        return strategy_for(base)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return st.lists(strategy_for(args[0]), max_size=3).map(tuple)
        return st.tuples(*(strategy_for(a) for a in args))
    if origin is dict:
        return st.dictionaries(strategy_for(args[0]), strategy_for(args[1]), max_size=3)
    if origin in (typing.Union, types.UnionType):
        inner = next(a for a in args if a is not type(None))
        return st.none() | strategy_for(inner)
    if isinstance(tp, type) and issubclass(tp, bcs.Enum) and "_bcs_variants" in tp.__dict__:
        variants = sorted(tp._bcs_variants.items())
        return st.one_of([strategy_for(cls) for _, cls in variants])
    if dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp, include_extras=True)
        fields = [strategy_for(hints[f.name]) for f in dataclasses.fields(tp)]
        return st.tuples(*fields).map(lambda vals: tp(*vals))
    raise TypeError(f"no strategy for {tp!r}")
