"""The REST API (``/api/v1``): ledger, accounts, transactions, events, blocks, currencies and
supply, the reserve and its coverage, validators and epochs, the association.

Lists are paged with opaque cursors: a page answers ``items`` and ``next_cursor`` (absent on the
last page); pass it back as ``cursor`` to continue. Every response has a Pydantic model, so the
OpenAPI document (``/openapi.json``, browsable at ``/docs``) is precise.
"""

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel, BeforeValidator, Field

from libra import bcs
from libra.api import views
from libra.api.interfaces import LedgerReader, LedgerSummary
from libra.crypto import HashValue
from libra.framework import state as st
from libra.framework.ops import coverage_bps, required_units
from libra.storage.proof import ledger_info_of
from libra.types import (
    DIEM_ROOT_ADDRESS,
    TREASURY_COMPLIANCE_ADDRESS,
    AccountAddress,
    BlockMetadataTransaction,
    EventKey,
    PayloadScriptFunction,
    Transaction,
    UserTransaction,
)

__all__ = ["MAX_U64", "build_router"]

MAX_U64 = (1 << 64) - 1
BLOCK_SCAN_LIMIT = 10_000
"""Most transactions one ``/blocks`` page looks through."""

U64 = Annotated[int, Field(ge=0, le=MAX_U64)]


# ---------------------------------------------------------------------------------------------
# Models


class ErrorModel(BaseModel):
    """What a 4xx or 503 answer carries."""

    detail: str


ADDRESS_PATTERN = r"^(0x)?[0-9a-fA-F]{1,32}$"
HASH_PATTERN = r"^(0x)?[0-9a-fA-F]{64}$"
EVENT_KEY_PATTERN = r"^(0x)?[0-9a-fA-F]{48}$"
CURSOR_PATTERN = r"^[0-9]{1,19}$"
"""Up to 19 digits: every such number is a u64 (2**64 has 20), so whatever the document admits
is a position the API accepts."""


class LedgerModel(BaseModel):
    """The latest certified ledger."""

    chain_id: int
    version: U64
    timestamp_usecs: U64
    epoch: U64
    accumulator_root_hash: str = Field(description="hex")


class AmountModel(BaseModel):
    amount: U64
    currency: str


class AccountModel(BaseModel):
    """An account at a version."""

    address: str
    version: U64
    sequence_number: U64
    authentication_key: str
    role: str
    frozen: bool
    balances: list[AmountModel]
    sent_events_key: str
    received_events_key: str
    parent_vasp: str | None = Field(default=None, description="a child VASP's parent")
    human_name: str | None = None
    base_url: str | None = None
    num_children: U64 | None = None


class EventModel(BaseModel):
    """An event with its decoded data (Diem's event data view)."""

    key: str
    sequence_number: U64
    transaction_version: U64
    type: str
    data: dict[str, Any]


class TransactionModel(BaseModel):
    """A committed transaction."""

    version: U64
    hash: str
    type: str = Field(description="user, blockmetadata, writeset or unknown")
    sender: str | None = None
    sequence_number: U64 | None = None
    expiration_timestamp_secs: U64 | None = None
    function: str | None = Field(
        default=None, description="address::Module::function of the payload"
    )
    timestamp_usecs: U64 | None = Field(default=None, description="block metadata only")
    gas_used: U64
    vm_status: str
    abort_code: U64 | None = None
    abort_location: str | None = None
    events: list[EventModel]


class TransactionPage(BaseModel):
    items: list[TransactionModel]
    next_cursor: str | None = None


class EventPage(BaseModel):
    items: list[EventModel]
    next_cursor: str | None = None


class BlockModel(BaseModel):
    """A block, as its metadata transaction records it."""

    version: U64
    id: str
    round: U64
    timestamp_usecs: U64
    proposer: str
    previous_block_votes: list[str]


class BlockPage(BaseModel):
    items: list[BlockModel]
    next_cursor: str | None = None


class CurrencyModel(BaseModel):
    """A registered currency and its supply."""

    code: str
    scaling_factor: U64
    fractional_part: U64
    total_value: int = Field(ge=0, description="minor units in circulation (u128)")
    preburn_value: U64
    to_xdx_exchange_rate: float
    is_synthetic: bool
    can_mint: bool


class ReserveAssetModel(BaseModel):
    """One currency of the basket backing LBR."""

    currency: str
    units_per_coin: U64
    rate_numerator: U64
    rate_denominator: U64
    bank_deposits: U64
    government_securities: U64
    held: int = Field(ge=0)
    required: int = Field(ge=0, description="minor units the LBR supply needs")


class ReserveModel(BaseModel):
    """The Libra Reserve: composition, LBR supply and coverage."""

    lbr_supply: int = Field(ge=0)
    coverage_bps: int | None = Field(
        default=None, description="lowest holdings/required ratio (bps)"
    )
    coverage_buffer_bps: U64
    fully_covered: bool
    assets: list[ReserveAssetModel]


class ValidatorModel(BaseModel):
    address: str
    voting_power: U64
    consensus_public_key: str
    last_config_update_time: U64


class ValidatorSetModel(BaseModel):
    epoch: U64
    validators: list[ValidatorModel]


class EpochModel(BaseModel):
    """The ledger info that ended an epoch."""

    epoch: U64
    version: U64
    timestamp_usecs: U64
    ledger_info: str = Field(description="hex BCS of the signed ledger info")
    next_epoch_validators: list[str]


class ProposalModel(BaseModel):
    id: U64
    proposer: str
    action: str = Field(description="hex BCS of the proposed action")
    votes: list[str]
    expiration_secs: U64


class AssociationModel(BaseModel):
    members: list[str]
    proposals: list[ProposalModel]


# ---------------------------------------------------------------------------------------------
# Conversions


def _not_found(what: str) -> HTTPException:
    return HTTPException(status_code=404, detail=what)


def _bad(what: str) -> HTTPException:
    return HTTPException(status_code=400, detail=what)


def _address(text: str) -> AccountAddress:
    try:
        return AccountAddress.from_hex(text)
    except ValueError:
        raise _bad(f"not an account address: {text[:80]!r}") from None


def _cursor(text: str | None) -> int:
    if text is None:
        return 0
    if not text.isdigit() or len(text) > 20 or int(text) > MAX_U64:
        raise _bad(f"invalid cursor {text[:40]!r}")
    return int(text)


def _event_model(view: views.Json) -> EventModel:
    data = dict(view["data"])
    kind = str(data.pop("type"))
    return EventModel(
        key=view["key"],
        sequence_number=view["sequence_number"],
        transaction_version=view["transaction_version"],
        type=kind,
        data=data,
    )


def _decimal_digits(value: Any) -> Any:
    """Integers in paths and queries are written in plain decimal digits: pydantic alone
    would also take ``+0.0``, `` 7`` or ``1_0`` for an integer."""
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise ValueError("must be written in decimal digits")
    return value


_DECIMAL = BeforeValidator(_decimal_digits)


def _txn_model(reader: LedgerReader, version: int) -> TransactionModel:
    txn: Transaction = reader.get_transaction(version)
    info = reader.get_transaction_info(version)
    status = views.vm_status_view(info.status)
    out = TransactionModel(
        version=version,
        hash=txn.hash().hex(),
        type=views.transaction_data_view(txn)["type"],
        gas_used=info.gas_used,
        vm_status=status["type"],
        abort_code=status.get("abort_code"),
        abort_location=status.get("location"),
        events=[_event_model(views.event_view(version, e)) for e in reader.get_events(version)],
    )
    if isinstance(txn, UserTransaction):
        raw = txn.value.raw_txn
        out.sender = raw.sender.hex()
        out.sequence_number = raw.sequence_number
        out.expiration_timestamp_secs = raw.expiration_timestamp_secs
        if isinstance(raw.payload, PayloadScriptFunction):
            f = raw.payload.value
            out.function = f"{f.module.address.short_str()}::{f.module.name}::{f.function}"
    elif isinstance(txn, BlockMetadataTransaction):
        out.timestamp_usecs = txn.value.timestamp_usecs
    return out


def _root(reader: LedgerReader, version: int) -> st.RootConfig:
    state = reader.get_account_state(DIEM_ROOT_ADDRESS, version)
    if state is None or state.details.root is None:
        raise _not_found(f"no global configuration at version {version}")
    return state.details.root


def _latest(reader: LedgerReader) -> LedgerSummary:
    try:
        return reader.latest()
    except LookupError:
        raise HTTPException(status_code=503, detail="the ledger is empty") from None


# ---------------------------------------------------------------------------------------------
# Routes


def build_router(reader: LedgerReader, default_page: int, max_page: int) -> APIRouter:
    """The REST routes over ``reader``."""
    router = APIRouter(
        prefix="/api/v1",
        tags=["ledger"],
        responses={
            400: {"model": ErrorModel, "description": "malformed input"},
            404: {"model": ErrorModel, "description": "not in the ledger"},
            503: {"model": ErrorModel, "description": "no ledger yet"},
        },
    )
    Limit = Annotated[int | None, Query(ge=1, le=max_page, description="page size"), _DECIMAL]
    Cursor = Annotated[
        str | None, Query(pattern=CURSOR_PATTERN, description="from a previous page")
    ]

    def page_size(limit: int | None) -> int:
        return limit if limit is not None else default_page

    @router.get("/ledger", response_model=LedgerModel)
    def get_ledger() -> LedgerModel:
        """The latest certified ledger version, its time and accumulator root."""
        s = _latest(reader)
        return LedgerModel(
            chain_id=s.chain_id,
            version=s.version,
            timestamp_usecs=s.timestamp_usecs,
            epoch=s.epoch,
            accumulator_root_hash=bytes(s.accumulator_root_hash).hex(),
        )

    @router.get(
        "/accounts/{address}",
        response_model=AccountModel,
        responses={
            410: {
                "model": ErrorModel,
                "description": "a state version this node does not hold (pruned, or before "
                "the snapshot it was restored from)",
            }
        },
    )
    def get_account(
        address: Annotated[str, Path(pattern=ADDRESS_PATTERN)],
        version: Annotated[int | None, Query(ge=0, le=MAX_U64), _DECIMAL] = None,
    ) -> AccountModel:
        """An account's state (latest, or at a kept ``version``; 410 for a version older
        than the oldest state this node holds)."""
        addr = _address(address)
        s = _latest(reader)
        v = s.version if version is None else version
        if v > s.version:
            raise _not_found(f"version {v} is after the ledger version {s.version}")
        state = reader.get_account_state(addr, v)
        if state is None:
            raise _not_found(f"no account {addr.hex()} at version {v}")
        d = state.details
        out = AccountModel(
            address=addr.hex(),
            version=v,
            sequence_number=state.sequence_number,
            authentication_key=bytes(state.authentication_key).hex(),
            role=st.ROLE_NAMES.get(state.role, "unknown"),
            frozen=state.frozen,
            balances=[AmountModel(amount=a, currency=c) for c, a in sorted(state.balances.items())],
            sent_events_key=state.sent_events.key.hex(),
            received_events_key=state.received_events.key.hex(),
        )
        if d.child_vasp is not None:
            out.parent_vasp = d.child_vasp.parent.hex()
        if d.credential is not None:
            out.human_name = d.credential.human_name.decode("utf-8", "replace")
            out.base_url = d.credential.base_url.decode("utf-8", "replace")
        if d.parent_vasp is not None:
            out.num_children = d.parent_vasp.num_children
        return out

    @router.get("/accounts/{address}/transactions", response_model=TransactionPage)
    def get_account_transactions(
        address: Annotated[str, Path(pattern=ADDRESS_PATTERN)],
        cursor: Cursor = None,
        limit: Limit = None,
    ) -> TransactionPage:
        """Transactions sent by an account, by sequence number (cursor: the next one)."""
        addr = _address(address)
        s = _latest(reader)
        seq = _cursor(cursor)
        n = page_size(limit)
        items: list[TransactionModel] = []
        while len(items) < n and seq <= MAX_U64:
            v = reader.get_account_transaction_version(addr, seq)
            if v is None or v > s.version:
                break
            items.append(_txn_model(reader, v))
            seq += 1
        more = len(items) == n and reader.get_account_transaction_version(addr, seq) is not None
        return TransactionPage(items=items, next_cursor=str(seq) if more else None)

    @router.get("/transactions", response_model=TransactionPage)
    def get_transactions(cursor: Cursor = None, limit: Limit = None) -> TransactionPage:
        """Transactions by version, ascending (cursor: the next version)."""
        s = _latest(reader)
        start = _cursor(cursor)
        end = min(s.version + 1, start + page_size(limit))
        items = [_txn_model(reader, v) for v in range(start, end)]
        return TransactionPage(items=items, next_cursor=str(end) if end <= s.version else None)

    @router.get("/transactions/by_hash/{txn_hash}", response_model=TransactionModel)
    def get_transaction_by_hash(
        txn_hash: Annotated[str, Path(pattern=HASH_PATTERN)],
    ) -> TransactionModel:
        """A transaction by its hash (``Transaction.hash()``, hex)."""
        try:
            h = HashValue(bytes.fromhex(txn_hash.removeprefix("0x")))
        except ValueError:
            raise _bad(f"not a 32-byte hex hash: {txn_hash[:80]!r}") from None
        s = _latest(reader)
        v = reader.get_transaction_version_by_hash(h)
        if v is None or v > s.version:
            raise _not_found(f"no transaction with hash {h.hex()}")
        return _txn_model(reader, v)

    @router.get("/transactions/{version}", response_model=TransactionModel)
    def get_transaction(
        version: Annotated[int, Path(ge=0, le=MAX_U64), _DECIMAL],
    ) -> TransactionModel:
        """The transaction at a version."""
        s = _latest(reader)
        if version > s.version:
            raise _not_found(f"version {version} is after the ledger version {s.version}")
        return _txn_model(reader, version)

    @router.get("/events/{key}", response_model=EventPage)
    def get_events(
        key: Annotated[str, Path(pattern=EVENT_KEY_PATTERN)],
        cursor: Cursor = None,
        limit: Limit = None,
    ) -> EventPage:
        """Events of a stream by sequence number (cursor: the next sequence number)."""
        try:
            ek = EventKey.from_hex(key)
        except ValueError:
            raise _bad(f"not a 24-byte hex event key: {key[:80]!r}") from None
        s = _latest(reader)
        start = _cursor(cursor)
        n = page_size(limit)
        found = reader.get_events_by_key(ek, start, n + 1, s.version)
        items = [_event_model(views.event_view(e.transaction_version, e.event)) for e in found[:n]]
        return EventPage(items=items, next_cursor=str(start + n) if len(found) > n else None)

    @router.get("/blocks", response_model=BlockPage)
    def get_blocks(cursor: Cursor = None, limit: Limit = None) -> BlockPage:
        """Blocks, newest first (cursor: the version to continue below)."""
        s = _latest(reader)
        top = s.version if cursor is None else min(_cursor(cursor), s.version)
        n = page_size(limit)
        items: list[BlockModel] = []
        v = top
        scanned = 0
        while v >= 0 and len(items) < n and scanned < BLOCK_SCAN_LIMIT:
            txn = reader.get_transaction(v)
            if isinstance(txn, BlockMetadataTransaction):
                b = txn.value
                items.append(
                    BlockModel(
                        version=v,
                        id=bytes(b.id).hex(),
                        round=b.round,
                        timestamp_usecs=b.timestamp_usecs,
                        proposer=b.proposer.hex(),
                        previous_block_votes=[a.hex() for a in b.previous_block_votes],
                    )
                )
            v -= 1
            scanned += 1
        return BlockPage(items=items, next_cursor=str(v) if v >= 0 else None)

    @router.get("/currencies", response_model=list[CurrencyModel], tags=["economics"])
    def get_currencies() -> list[CurrencyModel]:
        """Registered currencies with their supply (total value, preburns)."""
        root = _root(reader, _latest(reader).version)
        return [
            CurrencyModel(
                code=code,
                scaling_factor=c.scaling_factor,
                fractional_part=c.fractional_part,
                total_value=c.total_value,
                preburn_value=c.preburn_value,
                to_xdx_exchange_rate=c.to_xdx_exchange_rate / views.FIXED_POINT32_ONE,
                is_synthetic=c.is_synthetic,
                can_mint=c.can_mint,
            )
            for code, c in root.currencies.items()
        ]

    @router.get("/reserve", response_model=ReserveModel, tags=["economics"])
    def get_reserve() -> ReserveModel:
        """The reserve backing LBR: holdings per currency and kind, what the supply needs,
        and the coverage."""
        version = _latest(reader).version
        root = _root(reader, version)
        tc = reader.get_account_state(TREASURY_COMPLIANCE_ADDRESS, version)
        if tc is None or tc.details.treasury is None:
            raise _not_found("no reserve configured")
        reserve = tc.details.treasury.reserve
        lbr = root.currencies.get("LBR")
        supply = lbr.total_value if lbr is not None else 0
        assets = []
        covered = True
        for code, a in reserve.assets.items():
            need = required_units(reserve, lbr, supply, code) if lbr is not None else 0
            held = sum(a.holdings.values())
            covered = covered and held >= need
            assets.append(
                ReserveAssetModel(
                    currency=code,
                    units_per_coin=a.units_per_coin,
                    rate_numerator=a.rate_numerator,
                    rate_denominator=a.rate_denominator,
                    bank_deposits=a.holdings.get(st.ASSET_BANK_DEPOSIT, 0),
                    government_securities=a.holdings.get(st.ASSET_GOVERNMENT_SECURITY, 0),
                    held=held,
                    required=need,
                )
            )
        return ReserveModel(
            lbr_supply=supply,
            coverage_bps=coverage_bps(reserve, lbr, supply) if lbr is not None else None,
            coverage_buffer_bps=reserve.coverage_buffer_bps,
            fully_covered=covered,
            assets=assets,
        )

    @router.get("/validators", response_model=ValidatorSetModel, tags=["consensus"])
    def get_validators() -> ValidatorSetModel:
        """The current validator set."""
        root = _root(reader, _latest(reader).version)
        return ValidatorSetModel(
            epoch=root.epoch,
            validators=[
                ValidatorModel(
                    address=v.addr.hex(),
                    voting_power=v.consensus_voting_power,
                    consensus_public_key=v.config.consensus_public_key.hex(),
                    last_config_update_time=v.last_config_update_time,
                )
                for v in root.validators
            ],
        )

    @router.get("/epochs/{epoch}", response_model=EpochModel, tags=["consensus"])
    def get_epoch(epoch: Annotated[int, Path(ge=0, le=MAX_U64 - 1), _DECIMAL]) -> EpochModel:
        """The signed ledger info that ended ``epoch`` and the next validator set."""
        s = _latest(reader)
        if epoch >= s.epoch:
            raise _not_found(f"epoch {epoch} has not ended (current epoch {s.epoch})")
        proof = reader.get_epoch_change_proof(epoch, epoch + 1)
        if not proof.ledger_info_with_sigs:
            raise _not_found(f"no ledger info ending epoch {epoch}")
        signed = proof.ledger_info_with_sigs[0]
        li = ledger_info_of(signed)
        nxt = li.commit_info.next_epoch_state
        return EpochModel(
            epoch=li.epoch,
            version=li.version,
            timestamp_usecs=li.commit_info.timestamp_usecs,
            ledger_info=bcs.encode(signed).hex(),
            next_epoch_validators=(
                [a.hex() for a in nxt.verifier.address_to_validator_info] if nxt else []
            ),
        )

    @router.get("/association", response_model=AssociationModel, tags=["association"])
    def get_association() -> AssociationModel:
        """The association's members and open proposals."""
        assoc = _root(reader, _latest(reader).version).association
        return AssociationModel(
            members=[m.hex() for m in assoc.members],
            proposals=[
                ProposalModel(
                    id=p.id,
                    proposer=p.proposer.hex(),
                    action=p.action.hex(),
                    votes=[a.hex() for a in p.votes],
                    expiration_secs=p.expiration_secs,
                )
                for p in assoc.proposals
            ],
        )

    return router
