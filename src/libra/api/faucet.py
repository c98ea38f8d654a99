"""The test-network faucet, speaking Diem's faucet protocol.

``POST /mint?amount=&auth_key=&currency_code=&return_txns=true&is_designated_dealer=`` creates
the account of ``auth_key`` if it does not exist (a parent VASP, or a designated dealer when
``is_designated_dealer=true``, created by Treasury Compliance), funds it, waits until every
transaction is committed, and answers with the hex BCS of the signed transactions
(``Vec<SignedTransaction>``), which the Diem SDK's faucet client decodes and waits for; without
``return_txns`` it answers with the faucet's next sequence number, as Diem's faucet did.

A request that fails answers with a plain-text reason in words (:class:`FaucetFailure`): 400
when the request cannot succeed as asked (a currency the account does not hold, a currency that
cannot be minted, ``is_designated_dealer`` on an existing account...), 503 when the faucet could
not get its transactions committed, 500 when one of them failed for a reason of the faucet's
own. Move aborts are read with the JSON-RPC's explanation table
(:func:`~libra.api.views.move_abort_explanation`).

The faucet creates an account with the request's ``currency_code`` only (no other currency is
added), and never adds a currency to an existing account: that takes the account's own
signature (``AccountAdministrationScripts::add_currency_to_account``).

Funding follows the network's rules like any client would: a designated dealer gets a
``tiered_mint`` from Treasury Compliance; any other account gets a ``peer_to_peer_with_metadata``
payment from the faucet's dealer account, which is first topped up with a ``tiered_mint`` when
its balance is short.

LBR goes through the reserve rules like any mint: a ``tiered_mint`` of LBR aborts unless the
reserve covers the whole LBR supply after it, plus the reserve's coverage buffer. A faucet given
the test network's custodian key first has the custodian record (``ReserveScripts::
record_deposit``, bank deposits) what each basket currency still lacks for the new supply, then
mints; without that key an LBR mint the reserve does not cover fails as it would for anyone.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from libra import bcs
from libra.api.errors import ConfigError, FaucetError
from libra.api.interfaces import LedgerReader, TransactionSubmitter
from libra.api.jsonrpc import vm_status_error
from libra.api.views import move_abort_explanation
from libra.crypto import Ed25519PrivateKey
from libra.framework import errors as fx
from libra.framework import state as st
from libra.framework.ops import BPS, LBR, required_units
from libra.types import (
    CORE_CODE_ADDRESS,
    DIEM_ROOT_ADDRESS,
    TREASURY_COMPLIANCE_ADDRESS,
    AbortInModule,
    AbortLocation,
    AccountAddress,
    AuthenticationKey,
    Executed,
    ExecutionFailure,
    KeptVMStatus,
    ModuleId,
    MoveAbort,
    OutOfGas,
    PayloadScriptFunction,
    RawTransaction,
    ScriptFunction,
    SignedTransaction,
    TypeTag,
    currency_type_tag,
)

__all__ = [
    "Faucet",
    "FaucetConfig",
    "FaucetFailure",
    "create_designated_dealer",
    "create_faucet_app",
    "create_parent_vasp_account",
    "diem_id_domain_change",
    "peer_to_peer_with_metadata",
    "record_reserve_deposit",
    "reserve_shortfall",
    "tiered_mint",
]

MAX_U64 = (1 << 64) - 1


class FaucetFailure(FaucetError):
    """A :class:`FaucetError` with the HTTP status that fits it: 400 when the request cannot
    succeed as asked, 5xx when the faucet failed (503: try again later; 500: its own
    transaction failed)."""

    def __init__(self, auth_key: str, why: str, http_status: int) -> None:
        super().__init__(auth_key, why)
        self.http_status = http_status


def _call(module: str, function: str, ty_args: tuple[TypeTag, ...], *args: bytes) -> ScriptFunction:
    return ScriptFunction(ModuleId(CORE_CODE_ADDRESS, module), function, ty_args, tuple(args))


def _create_account(
    function: str,
    currency: str,
    nonce: int,
    address: AccountAddress,
    auth_key_prefix: bytes,
    human_name: bytes,
) -> ScriptFunction:
    """The two account-creation scripts share one argument layout (the last: add all
    currencies, always false here)."""
    return _call(
        "AccountCreationScripts",
        function,
        (currency_type_tag(currency),),
        bcs.encode_as(bcs.U64, nonce),
        bytes(address),
        bcs.encode_as(bytes, auth_key_prefix),
        bcs.encode_as(bytes, human_name),
        bcs.encode_as(bool, False),
    )


def create_parent_vasp_account(
    currency: str, nonce: int, address: AccountAddress, auth_key_prefix: bytes, human_name: bytes
) -> ScriptFunction:
    """``AccountCreationScripts::create_parent_vasp_account<currency>`` (sent by TC)."""
    return _create_account(
        "create_parent_vasp_account", currency, nonce, address, auth_key_prefix, human_name
    )


def create_designated_dealer(
    currency: str, nonce: int, address: AccountAddress, auth_key_prefix: bytes, human_name: bytes
) -> ScriptFunction:
    """``AccountCreationScripts::create_designated_dealer<currency>`` (sent by TC)."""
    return _create_account(
        "create_designated_dealer", currency, nonce, address, auth_key_prefix, human_name
    )


def tiered_mint(
    currency: str, nonce: int, dealer: AccountAddress, amount: int, tier: int = 0
) -> ScriptFunction:
    """``TreasuryComplianceScripts::tiered_mint<currency>`` (sent by TC)."""
    return _call(
        "TreasuryComplianceScripts",
        "tiered_mint",
        (currency_type_tag(currency),),
        bcs.encode_as(bcs.U64, nonce),
        bytes(dealer),
        bcs.encode_as(bcs.U64, amount),
        bcs.encode_as(bcs.U64, tier),
    )


def peer_to_peer_with_metadata(
    currency: str, payee: AccountAddress, amount: int, metadata: bytes = b"", signature: bytes = b""
) -> ScriptFunction:
    """``PaymentScripts::peer_to_peer_with_metadata<currency>``."""
    return _call(
        "PaymentScripts",
        "peer_to_peer_with_metadata",
        (currency_type_tag(currency),),
        bytes(payee),
        bcs.encode_as(bcs.U64, amount),
        bcs.encode_as(bytes, metadata),
        bcs.encode_as(bytes, signature),
    )


def record_reserve_deposit(
    currency: str, amount: int, reference: bytes, kind: int = st.ASSET_BANK_DEPOSIT
) -> ScriptFunction:
    """``ReserveScripts::record_deposit`` (sent by a custodian): ``amount`` minor units of
    basket currency ``currency`` of asset ``kind`` now held for the reserve."""
    return _call(
        "ReserveScripts",
        "record_deposit",
        (),
        bcs.encode_as(bytes, currency.encode()),
        bcs.encode_as(bcs.U8, kind),
        bcs.encode_as(bcs.U64, amount),
        bcs.encode_as(bytes, reference),
    )


def reserve_shortfall(reserve: st.Reserve, lbr: st.CurrencyInfo, supply: int) -> dict[str, int]:
    """What each basket currency of ``reserve`` lacks (minor units, missing ones left out) to
    cover an LBR supply of ``supply`` minor units plus the reserve's coverage buffer: the
    least deposits after which the coverage rule holds."""
    short: dict[str, int] = {}
    factor = BPS + reserve.coverage_buffer_bps
    for code in sorted(reserve.assets):
        need = required_units(reserve, lbr, supply, code)
        target = -(-need * factor // BPS)
        held = sum(reserve.assets[code].holdings.values())
        if held < target:
            short[code] = target - held
    return short


def diem_id_domain_change(address: AccountAddress, domain: bytes, remove: bool) -> ScriptFunction:
    """``TreasuryComplianceScripts::add_diem_id_domain`` or ``remove_diem_id_domain`` (sent by
    TC)."""
    return _call(
        "TreasuryComplianceScripts",
        "remove_diem_id_domain" if remove else "add_diem_id_domain",
        (),
        bytes(address),
        bcs.encode_as(bytes, domain),
    )


@dataclass(frozen=True, slots=True)
class FaucetConfig:
    """How the faucet signs and waits."""

    chain_id: int
    dealer_address: AccountAddress
    """The faucet's designated dealer account, which pays ordinary accounts."""
    gas_currency: str = "XUS"
    max_gas_amount: int = 1_000_000
    gas_unit_price: int = 0
    expiration_secs: int = 60
    """Lifetime of each transaction."""
    wait_timeout_secs: float = 30.0
    """How long to wait for a transaction to commit."""
    poll_interval_secs: float = 0.05
    max_amount: int = MAX_U64
    """Largest amount one request may ask for."""

    def __post_init__(self) -> None:
        if not 0 <= self.chain_id <= 255:
            raise ConfigError("chain_id", self.chain_id, "must be a u8")
        if self.expiration_secs <= 0 or self.wait_timeout_secs <= 0:
            raise ConfigError("expiration_secs", self.expiration_secs, "must be positive")
        if self.poll_interval_secs <= 0:
            raise ConfigError("poll_interval_secs", self.poll_interval_secs, "must be positive")


class Faucet:
    """Creates and funds accounts through real transactions.

    ``tc_key`` signs for Treasury Compliance, ``dealer_key`` for the dealer account and
    ``custodian_key`` (optional) for a reserve custodian, who records the deposits an LBR mint
    needs; ``now_secs`` is the wall clock (transaction expiry), ``monotonic`` and ``sleep``
    drive waiting."""

    def __init__(
        self,
        reader: LedgerReader,
        submitter: TransactionSubmitter,
        config: FaucetConfig,
        tc_key: Ed25519PrivateKey,
        dealer_key: Ed25519PrivateKey,
        *,
        custodian_key: Ed25519PrivateKey | None = None,
        now_secs: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.reader = reader
        self.submitter = submitter
        self.config = config
        self.tc_key = tc_key
        self.dealer_key = dealer_key
        self.custodian_key = custodian_key
        self.custodian_address = (
            None
            if custodian_key is None
            else AuthenticationKey.ed25519(custodian_key.public_key).derived_address()
        )
        self.now_secs = now_secs
        self.monotonic = monotonic
        self.sleep = sleep
        self._lock = threading.Lock()

    def next_sequence_number(self, address: AccountAddress) -> int:
        """``address``'s committed sequence number (0 when the account does not exist)."""
        latest = self.reader.latest().version
        state = self.reader.get_account_state(address, latest)
        return 0 if state is None else state.sequence_number

    def _sign(
        self, sender: AccountAddress, key: Ed25519PrivateKey, call: ScriptFunction
    ) -> SignedTransaction:
        raw = RawTransaction(
            sender,
            self.next_sequence_number(sender),
            PayloadScriptFunction(call),
            self.config.max_gas_amount,
            self.config.gas_unit_price,
            self.config.gas_currency,
            int(self.now_secs()) + self.config.expiration_secs,
            self.config.chain_id,
        )
        return raw.sign(key)

    def _run(self, auth_key: str, txn: SignedTransaction) -> tuple[int, KeptVMStatus]:
        """Submits ``txn`` and waits until it is committed; its version and status."""
        error = vm_status_error(self.submitter.submit(txn))
        if error is not None:
            raise FaucetFailure(auth_key, f"transaction rejected: {error.message}", 503)
        deadline = self.monotonic() + self.config.wait_timeout_secs
        sender, seq = txn.sender, txn.sequence_number
        while True:
            latest = self.reader.latest().version
            version = self.reader.get_account_transaction_version(sender, seq)
            if version is not None and version <= latest:
                return version, self.reader.get_transaction_info(version).status
            if self.monotonic() >= deadline:
                raise FaucetFailure(
                    auth_key,
                    f"transaction {sender.hex()}:{seq} not committed within "
                    f"{self.config.wait_timeout_secs}s",
                    503,
                )
            self.sleep(self.config.poll_interval_secs)

    def mint(
        self,
        auth_key: str,
        amount: int,
        currency: str,
        is_designated_dealer: bool = False,
        diem_id_domain: str | None = None,
        is_remove_domain: bool = False,
    ) -> list[SignedTransaction]:
        """Creates (if needed) and funds the account of ``auth_key``; returns the committed
        transactions. Raises :class:`FaucetError` saying what failed."""
        try:
            key = AuthenticationKey.from_hex(auth_key)
        except ValueError as e:
            raise FaucetError(auth_key, str(e)) from None
        if len(key) != 32:
            raise FaucetError(auth_key, "an authentication key is 32 bytes")
        if not 0 <= amount <= self.config.max_amount:
            raise FaucetError(auth_key, f"amount {amount} is not in 0..{self.config.max_amount}")
        address = key.derived_address()
        prefix = key.prefix()
        tc = TREASURY_COMPLIANCE_ADDRESS
        dealer = self.config.dealer_address
        done: list[SignedTransaction] = []

        def run(sender: AccountAddress, k: Ed25519PrivateKey, call: ScriptFunction) -> None:
            txn = self._sign(sender, k, call)
            version, status = self._run(auth_key, txn)
            if not isinstance(status, Executed):
                why, http_status = self._explain(call, status, address, currency, amount)
                if any(_is_creation(t) for t in done):
                    why += f" (account {_hex(address)} was created, but not funded)"
                why += f" [transaction {version}: {_call_name(call)} {_status_text(status)}]"
                raise FaucetFailure(auth_key, why, http_status)
            done.append(txn)

        with self._lock:
            latest = self.reader.latest().version
            exists = self.reader.get_account_state(address, latest) is not None
            name = b"faucet-" + bytes(address).hex().encode()
            if not exists:
                make = (
                    create_designated_dealer
                    if is_designated_dealer
                    else (create_parent_vasp_account)
                )
                run(tc, self.tc_key, make(currency, 0, address, prefix, name))
            if diem_id_domain:
                # Only a change: adding a domain the account has (or removing one it has not)
                # would abort, and Diem's faucet client cannot tell that from a failure.
                domain = diem_id_domain.encode()
                mine = self.reader.get_account_state(address, self.reader.latest().version)
                domains = (mine.details.diem_id_domains if mine is not None else None) or ()
                if (domain in domains) == is_remove_domain:
                    run(tc, self.tc_key, diem_id_domain_change(address, domain, is_remove_domain))
            if amount > 0:
                if is_designated_dealer:
                    self._mint(run, currency, address, amount)
                else:
                    state = self.reader.get_account_state(dealer, self.reader.latest().version)
                    held = state.balances.get(currency, 0) if state is not None else 0
                    if held < amount:
                        self._mint(run, currency, dealer, amount - held)
                    run(
                        dealer,
                        self.dealer_key,
                        peer_to_peer_with_metadata(currency, address, amount),
                    )
        return done

    def _mint(
        self,
        run: Callable[[AccountAddress, Ed25519PrivateKey, ScriptFunction], None],
        currency: str,
        dealer: AccountAddress,
        amount: int,
    ) -> None:
        """A ``tiered_mint`` of ``amount`` to ``dealer``; for LBR the custodian (when the
        faucet has its key) first records the deposits the reserve lacks for the new supply."""
        if currency == LBR and self.custodian_key is not None:
            assert self.custodian_address is not None
            for code, units in self.lbr_shortfall(amount).items():
                reference = f"faucet mint of {amount} LBR".encode()
                call = record_reserve_deposit(code, units, reference)
                run(self.custodian_address, self.custodian_key, call)
        run(TREASURY_COMPLIANCE_ADDRESS, self.tc_key, tiered_mint(currency, 0, dealer, amount))

    def _explain(
        self,
        call: ScriptFunction,
        status: KeptVMStatus,
        address: AccountAddress,
        currency: str,
        amount: int,
    ) -> tuple[str, int]:
        """Why ``call``, a transaction the faucet sent to fund ``address`` with ``amount`` of
        ``currency``, failed with ``status``, in words, and the HTTP status that fits: 400 when
        the request cannot succeed as asked, 500 when the failure is the faucet's own."""
        latest = self.reader.latest().version
        account = self.reader.get_account_state(address, latest)
        held = sorted(account.balances) if account is not None else []
        who = f"account {_hex(address)}"
        if isinstance(status, ExecutionFailure) and account is not None:
            balance = account.balances.get(currency, 0)
            if balance + amount > MAX_U64:
                return (
                    f"{who} holds {balance} {currency}: {amount} more would exceed the largest "
                    f"balance, {MAX_U64}",
                    400,
                )
        reason = _abort_reason(status)
        if reason == ("DiemAccount", fx.DiemAccountReason.EPAYEE_CANT_ACCEPT_CURRENCY_TYPE.name):
            return (
                f"{who} holds no {currency} balance (it holds {', '.join(held) or 'none'}): "
                f"the faucet gives an account only the currency_code of the request that "
                f"creates it and cannot add another later; ask for "
                f"{' or '.join(held) or 'a currency it holds'}, or have the account add "
                f"{currency} itself "
                f"(AccountAdministrationScripts::add_currency_to_account)",
                400,
            )
        if reason == ("Diem", fx.DiemReason.EIS_SYNTHETIC_CURRENCY.name):
            return (
                f"{currency} is a synthetic unit of account and cannot be minted, so the faucet "
                f"cannot give it; ask for another currency",
                400,
            )
        if reason == ("Diem", fx.DiemReason.EMINTING_NOT_ALLOWED.name):
            return f"minting {currency} is switched off on this network", 400
        if reason == ("Diem", fx.DiemReason.ECURRENCY_INFO.name):
            return (
                f"{currency} is not a currency of this network "
                f"(its currencies: {', '.join(self._currencies()) or 'unknown'})",
                400,
            )
        not_dealer = ("DesignatedDealer", fx.DesignatedDealerReason.EDEALER.name)
        if reason == not_dealer and call.args[1:2] == (bytes(address),):  # minting to it
            role = st.ROLE_NAMES.get(account.role, "unknown") if account is not None else "none"
            return (
                f"{who} is not a designated dealer (its role: {role}): is_designated_dealer=true "
                f"makes the faucet create a designated dealer only when the account does not "
                f"exist yet; ask without it to have an existing account paid",
                400,
            )
        if reason == ("Reserve", fx.ReserveReason.ECOVERAGE.name):
            why = (
                f"the reserve does not cover the LBR supply after minting the {amount} minor "
                f"units asked"
            )
            if self.custodian_key is None:
                why += ", and this faucet has no custodian key to record deposits; ask for less"
            return why, 400
        return (
            "a transaction of the faucet's own failed: a fault of the faucet, not of the request",
            500,
        )

    def _currencies(self) -> list[str]:
        """The network's currency codes (empty when the ledger has no Diem Root)."""
        state = self.reader.get_account_state(DIEM_ROOT_ADDRESS, self.reader.latest().version)
        root = None if state is None else state.details.root
        return [] if root is None else sorted(root.currencies)

    def lbr_shortfall(self, amount: int) -> dict[str, int]:
        """What each basket currency of the reserve lacks to cover the LBR supply after a mint
        of ``amount`` (empty when the reserve already covers it)."""
        latest = self.reader.latest().version
        root_state = self.reader.get_account_state(DIEM_ROOT_ADDRESS, latest)
        tc_state = self.reader.get_account_state(TREASURY_COMPLIANCE_ADDRESS, latest)
        root = None if root_state is None else root_state.details.root
        treasury = None if tc_state is None else tc_state.details.treasury
        if root is None or treasury is None or LBR not in root.currencies:
            raise LookupError("the ledger holds no LBR currency or reserve")
        lbr = root.currencies[LBR]
        return reserve_shortfall(treasury.reserve, lbr, lbr.total_value + amount)


def _hex(address: AccountAddress) -> str:
    return "0x" + address.hex()


def _call_name(call: ScriptFunction) -> str:
    return f"{call.module.name}::{call.function}"


def _is_creation(txn: SignedTransaction) -> bool:
    payload = txn.raw_txn.payload
    return isinstance(payload, PayloadScriptFunction) and payload.value.function.startswith(
        "create_"
    )


def _abort_reason(status: KeptVMStatus) -> tuple[str, str] | None:
    """``(module, reason name)`` of a Move abort in a framework module, as the JSON-RPC
    explains it; None for anything else."""
    if not isinstance(status, MoveAbort) or not isinstance(status.location, AbortInModule):
        return None
    explanation = move_abort_explanation(status.location, status.code)
    if explanation is None:
        return None
    return status.location.module.name, str(explanation["reason"])


def _where(location: AbortLocation) -> str:
    if isinstance(location, AbortInModule):
        return f"{location.module.address.short_str()}::{location.module.name}"
    return "the script"


def _status_text(status: KeptVMStatus) -> str:
    """A committed failure in short: where it happened and, for an abort, its explanation."""
    if isinstance(status, MoveAbort):
        text = f"aborted in {_where(status.location)} with code {status.code}"
        explanation = move_abort_explanation(status.location, status.code)
        if explanation is not None:
            text += (
                f" ({explanation['reason']}, {explanation['category']}: "
                f"{explanation['category_description']})"
            )
        return text
    if isinstance(status, ExecutionFailure):
        return f"failed to execute in {_where(status.location)}"
    if isinstance(status, OutOfGas):
        return "ran out of gas"
    return f"failed ({type(status).__name__})"


def _flag(value: str | None, name: str) -> bool:
    if value is None or value == "":
        return False
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise ValueError(f"{name} must be true or false, not {value[:20]!r}")


def create_faucet_app(faucet: Faucet) -> FastAPI:
    """The faucet's ASGI app: ``POST /mint`` (and ``POST /``), Diem's protocol."""
    app = FastAPI(title="libra faucet", version="1")

    async def mint(request: Request) -> Response:
        q = request.query_params
        try:
            amount_text = q.get("amount", "")
            if not amount_text.isdigit() or len(amount_text) > 20:
                raise ValueError(f"amount must be an unsigned integer, not {amount_text[:30]!r}")
            amount = int(amount_text)
            auth_key = q.get("auth_key", "")
            currency = q.get("currency_code", "")
            if not currency or not currency.isalnum() or len(currency) > 16:
                raise ValueError(f"currency_code must be a currency code, not {currency[:30]!r}")
            return_txns = _flag(q.get("return_txns"), "return_txns")
            is_dd = _flag(q.get("is_designated_dealer"), "is_designated_dealer")
            is_remove = _flag(q.get("is_remove_domain"), "is_remove_domain")
        except ValueError as e:
            return PlainTextResponse(str(e), status_code=400)
        domain = q.get("diem_id_domain") or None
        try:
            txns = await run_in_threadpool(
                faucet.mint, auth_key, amount, currency, is_dd, domain, is_remove
            )
        except FaucetError as e:
            status = e.http_status if isinstance(e, FaucetFailure) else 400
            return PlainTextResponse(str(e), status_code=status)
        except LookupError as e:
            return PlainTextResponse(f"faucet unavailable: {e}", status_code=503)
        if return_txns:
            return PlainTextResponse(
                bcs.encode_as(tuple[SignedTransaction, ...], tuple(txns)).hex()
            )
        tc_seq = faucet.next_sequence_number(TREASURY_COMPLIANCE_ADDRESS)
        return PlainTextResponse(str(tc_seq))

    app.add_api_route("/mint", mint, methods=["POST"], response_class=PlainTextResponse)
    app.add_api_route("/", mint, methods=["POST"], response_class=PlainTextResponse)

    @app.get("/-/healthy")
    def healthy() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return app
