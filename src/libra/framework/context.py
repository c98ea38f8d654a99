"""The state a transaction runs against: a per-block overlay of accounts, and the undo log,
written set and events of the transaction being applied."""

from __future__ import annotations

import dataclasses
from typing import Any, Protocol

from libra import bcs
from libra.framework.account import Account, Journal
from libra.framework.errors import StateError
from libra.framework.state import (
    AccountDetails,
    EventHandle,
    RootConfig,
    TreasuryConfig,
)
from libra.types import (
    DIEM_ROOT_ADDRESS,
    TREASURY_COMPLIANCE_ADDRESS,
    AccountAddress,
    ContractEvent,
    ContractEventV0,
    TypeTag,
)

_UNREAD: Any = object()
"""Marks an address not read yet in this block (None means read and absent)."""


class StateView(Protocol):
    """Read access to the account blobs of one state version."""

    def get_account_blob(self, address: AccountAddress) -> bytes | None:
        """The blob stored for ``address``, or None when no account exists there."""
        ...


class DictStateView:
    """A :class:`StateView` over a plain dict (tests, benchmarks, genesis)."""

    __slots__ = ("blobs",)

    def __init__(self, blobs: dict[AccountAddress, bytes] | None = None) -> None:
        self.blobs: dict[AccountAddress, bytes] = dict(blobs or {})

    def get_account_blob(self, address: AccountAddress) -> bytes | None:
        return self.blobs.get(address)

    def apply(self, changes: dict[AccountAddress, bytes]) -> None:
        """Writes changed blobs (as a storage commit would)."""
        self.blobs.update(changes)


class BlockState:
    """Decoded accounts of one block over a :class:`StateView`; ``dirty`` holds the addresses
    changed by committed transactions so far."""

    __slots__ = ("accounts", "dirty", "view")

    def __init__(self, view: StateView) -> None:
        self.view = view
        self.accounts: dict[AccountAddress, Account | None] = {}
        self.dirty: set[AccountAddress] = set()

    def get(self, address: AccountAddress) -> Account | None:
        acct = self.accounts.get(address, _UNREAD)
        if acct is not _UNREAD:
            return acct  # type: ignore[no-any-return]
        blob = self.view.get_account_blob(address)
        acct = Account.decode(address, blob) if blob is not None else None
        self.accounts[address] = acct
        return acct

    def changed_blobs(self, addresses: Any = None) -> dict[AccountAddress, bytes]:
        """The blobs of ``addresses`` (default: every dirty account), in address order."""
        out: dict[AccountAddress, bytes] = {}
        accounts = self.accounts
        for addr in sorted(self.dirty if addresses is None else addresses):
            acct = accounts[addr]
            if acct is None:
                raise StateError(f"account {addr.hex()} marked changed but does not exist")
            out[addr] = acct.encode()
        return out


class AccountCache:
    """Decoded accounts of a state view whose contents change (the committed ledger), for
    reading only: each account is decoded once per version of its blob.

    :meth:`get` reads the account's blob from the view every time and answers with the account
    decoded from exactly that blob (the cached one when the blob is the same object or equal
    bytes, else a fresh decode), so it can never answer from a state the view no longer holds,
    whatever changed the view (a commit, state sync, a cleared cache). The accounts it returns
    are shared by every caller: they must not be changed (the mempool's admission check only
    reads them; execution decodes its own working copies)."""

    __slots__ = ("_entries", "capacity")

    def __init__(self, capacity: int = 20_000) -> None:
        self._entries: dict[AccountAddress, tuple[bytes, Account]] = {}
        self.capacity = capacity
        """Most accounts kept (an entry is about a kilobyte); the cache starts over when it is
        full."""

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, view: StateView, address: AccountAddress) -> Account | None:
        """The account at ``address`` in ``view`` now (None when there is none)."""
        blob = view.get_account_blob(address)
        if blob is None:
            return None
        entries = self._entries
        entry = entries.get(address)
        if entry is not None:
            cached = entry[0]
            if cached is blob or cached == blob:
                return entry[1]
        acct = Account.decode(address, blob)
        if entry is None and len(entries) >= self.capacity:
            entries.clear()
        entries[address] = (blob, acct)
        return acct

    def clear(self) -> None:
        self._entries.clear()


class SharedBlockState(BlockState):
    """A :class:`BlockState` for reading only whose accounts come from an
    :class:`AccountCache` over its view (shared, never to be changed): what the prologue
    checks a transaction against in validation mode (mempool admission)."""

    __slots__ = ("cache",)

    def __init__(self, view: StateView, cache: AccountCache) -> None:
        self.view = view
        self.accounts = {}
        self.dirty = set()
        self.cache = cache

    def get(self, address: AccountAddress) -> Account | None:
        accounts = self.accounts
        acct = accounts.get(address, _UNREAD)
        if acct is not _UNREAD:
            return acct  # type: ignore[no-any-return]
        acct = accounts[address] = self.cache.get(self.view, address)
        return acct


class Ctx:
    """One transaction being applied: the block overlay, the undo journal, the accounts it
    wrote and the events it emitted, and the block's clock."""

    __slots__ = ("block", "events", "journal", "now_usecs", "written")

    def __init__(self, block: BlockState, now_usecs: int) -> None:
        self.block = block
        self.journal = Journal()
        self.events: list[ContractEvent] = []
        self.written: set[AccountAddress] = set()
        self.now_usecs = now_usecs

    @property
    def now_secs(self) -> int:
        return self.now_usecs // 1_000_000

    def reset(self) -> None:
        """Starts a new transaction (keeps the overlay)."""
        self.journal.entries.clear()
        self.events = []
        self.written = set()

    def rollback(self) -> None:
        """Undoes everything the current transaction did."""
        self.journal.rollback()
        self.events = []
        self.written = set()

    # -- accounts ------------------------------------------------------------------------------

    def account(self, address: AccountAddress) -> Account | None:
        return self.block.get(address)

    def create_account(self, acct: Account) -> None:
        accounts = self.block.accounts
        self.journal.entries.append((accounts, acct.address, accounts.get(acct.address)))
        accounts[acct.address] = acct
        self.written.add(acct.address)

    def set(self, acct: Account, name: str, value: Any) -> None:
        """Sets an attribute of ``acct`` (journaled)."""
        self.journal.entries.append((acct, name, getattr(acct, name)))
        setattr(acct, name, value)
        self.written.add(acct.address)

    def set_balance(self, acct: Account, code: str, value: int) -> None:
        bal = acct.balances
        self.journal.entries.append((bal, code, bal.get(code, Journal.MISSING)))
        bal[code] = value
        self.written.add(acct.address)

    def update_details(self, acct: Account, **changes: Any) -> AccountDetails:
        new = dataclasses.replace(acct.details, **changes)
        acct.set_details(self.journal, new)
        self.written.add(acct.address)
        return new

    # -- globals ------------------------------------------------------------------------------

    def root_account(self) -> Account:
        acct = self.block.get(DIEM_ROOT_ADDRESS)
        if acct is None:
            raise StateError("no Diem Root account: the state has no genesis")
        return acct

    def root(self) -> RootConfig:
        acct = self.block.accounts.get(DIEM_ROOT_ADDRESS)
        if acct is not None:
            d = acct._details
            if d is not None and d.root is not None:
                return d.root
        cfg = self.root_account().details.root
        if cfg is None:
            raise StateError("Diem Root holds no configuration")
        return cfg

    def set_root(self, cfg: RootConfig) -> None:
        self.update_details(self.root_account(), root=cfg)

    def treasury_account(self) -> Account:
        acct = self.block.get(TREASURY_COMPLIANCE_ADDRESS)
        if acct is None:
            raise StateError("no Treasury Compliance account: the state has no genesis")
        return acct

    def treasury(self) -> TreasuryConfig:
        cfg = self.treasury_account().details.treasury
        if cfg is None:
            raise StateError("Treasury Compliance holds no configuration")
        return cfg

    def set_treasury(self, cfg: TreasuryConfig) -> None:
        self.update_details(self.treasury_account(), treasury=cfg)

    # -- events -------------------------------------------------------------------------------

    def emit(self, handle: EventHandle, type_tag: TypeTag, payload: object) -> EventHandle:
        """Emits ``payload`` on ``handle``; returns the handle with its counter advanced (the
        caller stores it back)."""
        self.events.append(
            ContractEventV0(handle.key, handle.counter, type_tag, bcs.encode(payload))
        )
        return EventHandle(handle.counter + 1, handle.key)
