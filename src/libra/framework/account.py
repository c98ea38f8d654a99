"""Mutable working copies of accounts, with an exact fast path for their BCS blob.

Execution decodes each account it touches once per block into an :class:`Account`, mutates it
in place (every change recorded in a :class:`Journal` so that an aborted transaction can be
rolled back), and encodes each changed account once at the end of the block. The blob layout
is exactly ``bcs.encode(AccountState)``; the hot fields are packed by hand and the rarely
changed :class:`AccountDetails` are kept as the raw bytes they were read as until a script
actually needs them.
"""

from __future__ import annotations

import struct
from typing import Any

from libra import bcs
from libra.framework.errors import StateError
from libra.framework.state import AccountDetails, AccountState, EventHandle
from libra.types import AccountAddress, EventKey

_SFR = struct.Struct("<Q?B")
_Q = struct.Struct("<Q")
_HANDLE = struct.Struct("<Q")
_unpack_q = _Q.unpack_from
_pack_q = _Q.pack

_CODE_PREFIX: dict[str, bytes] = {}
_new_key = bytes.__new__
"""Builds an EventKey from a slice whose length the caller checks (skips re-validation)."""


_ONE_BALANCE: dict[int, tuple[struct.Struct, struct.Struct]] = {}
"""Blob layouts (for decoding, for encoding) of accounts holding one balance, by the length
of its BCS-encoded currency code."""


def _one_balance_layout(code_len: int) -> tuple[struct.Struct, struct.Struct]:
    """Authentication key, sequence number, frozen, role, balance count (1), the code as a
    BCS byte vector of ``code_len`` bytes, the amount, then both payment event handles. The
    decoding layout reads the frozen byte as a number (the caller rejects values above 1)."""
    layouts = (
        struct.Struct(f"<32sQBBB{code_len}sQQB24sQB24s"),
        struct.Struct(f"<32sQ?BB{code_len}sQQB24sQB24s"),
    )
    _ONE_BALANCE[code_len] = layouts
    return layouts


_CODES: dict[bytes, str] = {}
"""Currency codes by their BCS encoding (as read from blobs)."""


def _code_of(kb: bytes) -> str:
    """The code of a BCS byte vector ``kb`` whose one-byte length prefix the caller checked;
    raises UnicodeDecodeError unless it is UTF-8. Remembers the first few hundred codes."""
    code = kb[1:].decode("utf-8")
    if len(_CODES) < 256:
        _CODES[kb] = code
    return code


def _code_bytes(code: str) -> bytes:
    enc = _CODE_PREFIX.get(code)
    if enc is None:
        enc = bcs.encode_as(str, code)
        _CODE_PREFIX[code] = enc
    return enc


class Journal:
    """Undo log of one transaction: ``(container, key, old value)`` triples.

    A container is an :class:`Account` (attribute ``key`` had ``old``) or a dict (item ``key``
    had ``old``; ``MISSING`` means it was absent)."""

    __slots__ = ("entries",)

    MISSING: Any = object()

    def __init__(self) -> None:
        self.entries: list[tuple[Any, Any, Any]] = []

    def rollback(self) -> None:
        """Restores every recorded value, newest first, and empties the log."""
        missing = Journal.MISSING
        for obj, key, old in reversed(self.entries):
            if type(obj) is dict:
                if old is missing:
                    obj.pop(key, None)
                else:
                    obj[key] = old
            else:
                setattr(obj, key, old)
        self.entries.clear()


class Account:
    """The working copy of one account during a block."""

    __slots__ = (
        "_details",
        "_details_raw",
        "address",
        "auth_key",
        "balances",
        "frozen",
        "recv_counter",
        "recv_key",
        "role",
        "sent_counter",
        "sent_key",
        "seq",
    )

    def __init__(
        self,
        address: AccountAddress,
        auth_key: bytes,
        seq: int,
        frozen: bool,
        role: int,
        balances: dict[str, int],
        recv_counter: int,
        recv_key: EventKey,
        sent_counter: int,
        sent_key: EventKey,
        details: AccountDetails | None,
        details_raw: bytes | None,
    ) -> None:
        self.address = address
        self.auth_key = auth_key
        self.seq = seq
        self.frozen = frozen
        self.role = role
        self.balances = balances
        self.recv_counter = recv_counter
        self.recv_key = recv_key
        self.sent_counter = sent_counter
        self.sent_key = sent_key
        self._details = details
        self._details_raw = details_raw

    # -- conversion ----------------------------------------------------------------------------

    @classmethod
    def from_state(cls, address: AccountAddress, s: AccountState) -> Account:
        return cls(
            address,
            bytes(s.authentication_key),
            s.sequence_number,
            s.frozen,
            s.role,
            dict(s.balances),
            s.received_events.counter,
            EventKey(s.received_events.key),
            s.sent_events.counter,
            EventKey(s.sent_events.key),
            s.details,
            None,
        )

    def to_state(self) -> AccountState:
        return AccountState(
            self.auth_key,
            self.seq,
            self.frozen,
            self.role,
            dict(self.balances),
            EventHandle(self.recv_counter, self.recv_key),
            EventHandle(self.sent_counter, self.sent_key),
            self.details,
        )

    @property
    def details(self) -> AccountDetails:
        d = self._details
        if d is None:
            raw = self._details_raw
            if raw is None:
                raise StateError(f"account {self.address.hex()} has no details")
            try:
                d = bcs.decode(AccountDetails, raw)
            except bcs.DecodeError as e:
                raise StateError(f"account {self.address.hex()}: corrupt details: {e}") from e
            self._details = d
        return d

    def set_details(self, journal: Journal, details: AccountDetails) -> None:
        """Replaces the details (recorded in ``journal``)."""
        entries = journal.entries
        entries.append((self, "_details", self._details))
        entries.append((self, "_details_raw", self._details_raw))
        self._details = details
        self._details_raw = None

    def encode(self) -> bytes:
        """The account's blob: exactly ``bcs.encode(self.to_state())``."""
        bal = self.balances
        n = len(bal)
        if n >= 128:
            return bcs.encode(self.to_state())
        raw = self._details_raw
        if raw is None:
            raw = bcs.encode(self.details)
            self._details_raw = raw
        auth_key = self.auth_key
        recv_key = self.recv_key
        sent_key = self.sent_key
        if n == 1 and len(auth_key) == 32 and len(recv_key) == 24 and len(sent_key) == 24:
            for code, amount in bal.items():
                cb = _code_bytes(code)
                layouts = _ONE_BALANCE.get(len(cb))
                if layouts is None:
                    layouts = _one_balance_layout(len(cb))
                return (
                    layouts[1].pack(
                        auth_key,
                        self.seq,
                        self.frozen,
                        self.role,
                        1,
                        cb,
                        amount,
                        self.recv_counter,
                        24,
                        recv_key,
                        self.sent_counter,
                        24,
                        sent_key,
                    )
                    + raw
                )
        parts = [auth_key, _SFR.pack(self.seq, self.frozen, self.role), bytes((n,))]
        encoded = sorted((_code_bytes(c), v) for c, v in bal.items())
        for cb, amount in encoded:
            parts.append(cb)
            parts.append(_pack_q(amount))
        parts.append(_pack_q(self.recv_counter))
        parts.append(b"\x18")
        parts.append(recv_key)
        parts.append(_pack_q(self.sent_counter))
        parts.append(b"\x18")
        parts.append(sent_key)
        parts.append(raw)
        return b"".join(parts)

    @classmethod
    def decode(cls, address: AccountAddress, blob: bytes) -> Account:
        """Parses a blob; the details stay raw until first used. Any irregularity in the hot
        part falls back to the strict generic decoder."""
        try:
            if blob[42] == 1 and blob[43] < 127:
                # One balance (the common case): every hot field in one unpack.
                ln = blob[43] + 1
                layouts = _ONE_BALANCE.get(ln)
                if layouts is None:
                    layouts = _one_balance_layout(ln)
                layout = layouts[0]
                (
                    auth_key,
                    seq,
                    frozen_b,
                    role,
                    _,
                    kb,
                    amount,
                    recv_counter,
                    recv_tag,
                    recv_raw,
                    sent_counter,
                    sent_tag,
                    sent_raw,
                ) = layout.unpack_from(blob)
                if frozen_b > 1 or recv_tag != 24 or sent_tag != 24 or len(blob) <= layout.size:
                    raise ValueError("irregular")
                return cls(
                    address,
                    auth_key,
                    seq,
                    frozen_b == 1,
                    role,
                    {_CODES.get(kb) or _code_of(kb): amount},
                    recv_counter,
                    _new_key(EventKey, recv_raw),
                    sent_counter,
                    _new_key(EventKey, sent_raw),
                    None,
                    blob[layout.size :],
                )
            seq, frozen_b, role = _SFR.unpack_from(blob, 32)
            n = blob[42]
            if n >= 128 or blob[40] > 1:
                raise ValueError("irregular")
            pos = 43
            balances: dict[str, int] = {}
            prev = b""
            for _ in range(n):
                ln = blob[pos]
                if ln >= 128:
                    raise ValueError("irregular")
                kb = blob[pos : pos + 1 + ln]
                if len(kb) != 1 + ln or kb <= prev:
                    raise ValueError("irregular")
                prev = kb
                code = blob[pos + 1 : pos + 1 + ln].decode("utf-8")
                pos += 1 + ln
                (amount,) = _unpack_q(blob, pos)
                pos += 8
                balances[code] = amount
            (recv_counter,) = _unpack_q(blob, pos)
            if blob[pos + 8] != 24:
                raise ValueError("irregular")
            recv_key = _new_key(EventKey, blob[pos + 9 : pos + 33])
            pos += 33
            (sent_counter,) = _unpack_q(blob, pos)
            if blob[pos + 8] != 24:
                raise ValueError("irregular")
            sent_key = _new_key(EventKey, blob[pos + 9 : pos + 33])
            pos += 33
            if pos >= len(blob) or len(sent_key) != 24:
                raise ValueError("irregular")
            return cls(
                address,
                blob[:32],
                seq,
                frozen_b,
                role,
                balances,
                recv_counter,
                recv_key,
                sent_counter,
                sent_key,
                None,
                blob[pos:],
            )
        except (ValueError, IndexError, struct.error, UnicodeDecodeError):
            pass
        try:
            state = bcs.decode(AccountState, blob)
        except bcs.DecodeError as e:
            raise StateError(f"account {address.hex()}: undecodable blob: {e}") from e
        return cls.from_state(address, state)
