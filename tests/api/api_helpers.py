"""A small test network for the API tests: a real ledger database (real proofs), real typed
account states, real signed transactions, and a tiny executor for the handful of script
functions the tests and the faucet use. Every accepted transaction is committed at once in its
own block (block metadata first), with a ledger info signed by one validator."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from libra import bcs
from libra.api.adapter import LedgerDBReader
from libra.crypto import Ed25519PrivateKey, HashValue, sha3_256
from libra.framework import events as ev
from libra.framework import state as st
from libra.framework.errors import (
    Category,
    DiemAccountReason,
    DiemIdReason,
    ReserveReason,
    RolesReason,
    StatusCode,
)
from libra.framework.ops import is_covered
from libra.mempool.core import AdmissionResult, MempoolStatusCode
from libra.storage import LedgerDB, TransactionToCommit
from libra.types import (
    CORE_CODE_ADDRESS,
    DIEM_ROOT_ADDRESS,
    TREASURY_COMPLIANCE_ADDRESS,
    AbortInModule,
    AccountAddress,
    AuthenticationKey,
    BlockInfo,
    BlockMetadata,
    BlockMetadataTransaction,
    ChangeSet,
    ContractEventV0,
    EpochState,
    EventKey,
    Executed,
    GenesisTransaction,
    KeptVMStatus,
    LedgerInfo,
    LedgerInfoWithV0,
    ModuleId,
    MoveAbort,
    PayloadScriptFunction,
    RawTransaction,
    ScriptFunction,
    SignedTransaction,
    TypeTag,
    UserTransaction,
    ValidatorConsensusInfo,
    ValidatorVerifier,
    WriteSet,
    WriteSetDirect,
    currency_code_of,
    currency_type_tag,
)

CHAIN_ID = 4
XUS = "XUS"
LBR = "LBR"
DEALER = AccountAddress.from_hex("000000000000000000000000000000dd")
VALIDATOR = AccountAddress.from_int(0x1000)
GENESIS_USECS = 1_700_000_000_000_000
BLOCK_USECS = 1_000_000


def key(i: int) -> Ed25519PrivateKey:
    """A deterministic private key."""
    return Ed25519PrivateKey(sha3_256(b"api-test-key" + bytes([i])))


def _ek(n: int, addr: AccountAddress) -> EventKey:
    return EventKey.create(n, addr)


def _currency(code: str, i: int, scaling: int = 1_000_000) -> st.CurrencyInfo:
    h = [st.EventHandle(0, _ek(i * 5 + k, DIEM_ROOT_ADDRESS)) for k in range(5)]
    return st.CurrencyInfo(
        total_value=0,
        preburn_value=0,
        to_xdx_exchange_rate=1 << 32,
        is_synthetic=code == LBR,
        scaling_factor=scaling,
        fractional_part=100,
        currency_code=code.encode(),
        can_mint=True,
        mint_events=h[0],
        burn_events=h[1],
        preburn_events=h[2],
        cancel_burn_events=h[3],
        exchange_rate_update_events=h[4],
    )


def _credential(addr: AccountAddress, first: int, name: bytes) -> st.DualAttestationCredential:
    return st.DualAttestationCredential(
        human_name=name,
        base_url=b"https://" + name + b".example",
        compliance_public_key=bytes(key(99).public_key),
        expiration_date=(1 << 64) - 1,
        compliance_key_rotation_events=st.EventHandle(0, _ek(first, addr)),
        base_url_rotation_events=st.EventHandle(0, _ek(first + 1, addr)),
    )


def make_account(
    addr: AccountAddress,
    auth_key: bytes,
    role: int,
    balances: dict[str, int],
    details: st.AccountDetails,
    first_payment_handle: int,
) -> st.AccountState:
    """An account whose payment handles get creation numbers from ``first_payment_handle``."""
    return st.AccountState(
        authentication_key=auth_key,
        sequence_number=0,
        frozen=False,
        role=role,
        balances=balances,
        received_events=st.EventHandle(0, _ek(first_payment_handle, addr)),
        sent_events=st.EventHandle(0, _ek(first_payment_handle + 1, addr)),
        details=replace(details, event_generator=first_payment_handle + 2),
    )


def parent_vasp(addr: AccountAddress, auth_key: bytes, name: bytes, bal: int) -> st.AccountState:
    details = st.AccountDetails(
        event_generator=0, parent_vasp=st.ParentVasp(0), credential=_credential(addr, 0, name)
    )
    return make_account(addr, auth_key, st.ROLE_PARENT_VASP, {XUS: bal}, details, 2)


def dealer(
    addr: AccountAddress, auth_key: bytes, bal: int, preburns: tuple[int, ...] = ()
) -> st.AccountState:
    details = st.AccountDetails(
        event_generator=0,
        credential=_credential(addr, 1, b"dealer"),
        dealer=st.Dealer(st.EventHandle(0, _ek(0, addr)), {XUS: preburns} if preburns else {}),
    )
    return make_account(addr, auth_key, st.ROLE_DESIGNATED_DEALER, {XUS: bal}, details, 3)


def _abort(module: str, category: Category, reason: int) -> MoveAbort:
    return MoveAbort(AbortInModule(ModuleId(CORE_CODE_ADDRESS, module)), category + (reason << 8))


@dataclass
class Net:
    """The test network: a ledger database, the typed state and the keys."""

    db: LedgerDB
    reader: LedgerDBReader
    accounts: dict[AccountAddress, st.AccountState]
    validator_key: Ed25519PrivateKey
    verifier: ValidatorVerifier
    timestamp: int = GENESIS_USECS
    round: int = 0
    submitted: list[SignedTransaction] = field(default_factory=list)

    # -- state helpers --------------------------------------------------------------------

    @property
    def root(self) -> st.RootConfig:
        r = self.accounts[DIEM_ROOT_ADDRESS].details.root
        assert r is not None
        return r

    def _set_root(self, root: st.RootConfig) -> None:
        a = self.accounts[DIEM_ROOT_ADDRESS]
        self.accounts[DIEM_ROOT_ADDRESS] = replace(a, details=replace(a.details, root=root))

    def _emit(
        self, addr: AccountAddress, which: str, tag: TypeTag, payload: object
    ) -> ContractEventV0:
        a = self.accounts[addr]
        handle: st.EventHandle = getattr(a, which)
        event = ev.event(handle, tag, payload)
        self.accounts[addr] = replace(a, **{which: ev.bump(handle)})
        return event

    def _credit(self, addr: AccountAddress, code: str, amount: int) -> None:
        a = self.accounts[addr]
        bal = dict(a.balances)
        bal[code] = bal.get(code, 0) + amount
        self.accounts[addr] = replace(a, balances=bal)

    # -- the mini executor ----------------------------------------------------------------

    def _execute(self, txn: SignedTransaction) -> tuple[list[ContractEventV0], KeptVMStatus]:
        payload = txn.raw_txn.payload
        sender = txn.sender
        events: list[ContractEventV0] = []
        if not isinstance(payload, PayloadScriptFunction):
            return events, Executed()
        f: ScriptFunction = payload.value
        code = currency_code_of(f.ty_args[0]) if f.ty_args else None
        name = (f.module.name, f.function)
        if code is not None and code not in self.root.currencies:
            return [], _abort("Diem", Category.NOT_PUBLISHED, 15)
        if name == ("PaymentScripts", "peer_to_peer_with_metadata") and code is not None:
            payee = bcs.decode(AccountAddress, f.args[0])
            amount = bcs.decode_as(bcs.U64, f.args[1])
            metadata = bcs.decode_as(bytes, f.args[2])
            if payee not in self.accounts:
                reason = DiemAccountReason.EPAYEE_DOES_NOT_EXIST
                return [], _abort("DiemAccount", Category.NOT_PUBLISHED, reason)
            if self.accounts[sender].balances.get(code, 0) < amount:
                reason = DiemAccountReason.EINSUFFICIENT_BALANCE
                return [], _abort("DiemAccount", Category.LIMIT_EXCEEDED, reason)
            self._credit(sender, code, -amount)
            self._credit(payee, code, amount)
            cb = bcs.encode_as(bytes, code.encode())
            sent = ev.payment_event_data(amount, cb, payee, metadata)
            recv = ev.payment_event_data(amount, cb, sender, metadata)
            a = self.accounts[sender]
            events.append(
                ContractEventV0(a.sent_events.key, a.sent_events.counter, ev.SENT_PAYMENT, sent)
            )
            self.accounts[sender] = replace(a, sent_events=ev.bump(a.sent_events))
            b = self.accounts[payee]
            events.append(
                ContractEventV0(
                    b.received_events.key, b.received_events.counter, ev.RECEIVED_PAYMENT, recv
                )
            )
            self.accounts[payee] = replace(b, received_events=ev.bump(b.received_events))
            return events, Executed()
        if name[0] == "AccountCreationScripts" and code is not None:
            addr = bcs.decode(AccountAddress, f.args[1])
            prefix = bcs.decode_as(bytes, f.args[2])
            human = bcs.decode_as(bytes, f.args[3])
            if addr in self.accounts:
                return [], _abort("DiemAccount", Category.ALREADY_PUBLISHED, 0)
            auth = prefix + bytes(addr)
            if f.function == "create_designated_dealer":
                acct = dealer(addr, auth, 0)
                role = st.ROLE_DESIGNATED_DEALER
            else:
                acct = parent_vasp(addr, auth, human, 0)
                role = st.ROLE_PARENT_VASP
            self.accounts[addr] = replace(acct, balances={code: 0})
            events.append(
                self._emit_root(
                    "create_account_events", ev.CREATE_ACCOUNT, ev.CreateAccountEvent(addr, role)
                )
            )
            return events, Executed()
        if name == ("ReserveScripts", "record_deposit"):
            return self._record_deposit(sender, f)
        if name[0] == "TreasuryComplianceScripts" and name[1].endswith("_diem_id_domain"):
            return self._domain_change(f, remove=name[1].startswith("remove"))
        if name == ("TreasuryComplianceScripts", "tiered_mint") and code is not None:
            dd = bcs.decode(AccountAddress, f.args[1])
            amount = bcs.decode_as(bcs.U64, f.args[2])
            if dd not in self.accounts:
                return [], _abort("DesignatedDealer", Category.NOT_PUBLISHED, 0)
            if code == LBR:
                reserve = self.reserve
                supply = self.root.currencies[LBR].total_value + amount
                if not is_covered(
                    reserve, self.root.currencies[LBR], supply, reserve.coverage_buffer_bps
                ):
                    return [], _abort("Reserve", Category.LIMIT_EXCEEDED, ReserveReason.ECOVERAGE)
            self._credit(dd, code, amount)
            root = self.root
            info = root.currencies[code]
            currencies = dict(root.currencies)
            currencies[code] = replace(
                info, total_value=info.total_value + amount, mint_events=ev.bump(info.mint_events)
            )
            self._set_root(replace(root, currencies=currencies))
            events.append(ev.event(info.mint_events, ev.MINT, ev.MintEvent(amount, code.encode())))
            a = self.accounts[dd]
            d = a.details.dealer
            assert d is not None
            events.append(
                ev.event(
                    d.received_mint_events,
                    ev.RECEIVED_MINT,
                    ev.ReceivedMintEvent(code.encode(), dd, amount),
                )
            )
            nd = replace(d, received_mint_events=ev.bump(d.received_mint_events))
            self.accounts[dd] = replace(a, details=replace(a.details, dealer=nd))
            return events, Executed()
        return events, Executed()

    @property
    def reserve(self) -> st.Reserve:
        t = self.accounts[TREASURY_COMPLIANCE_ADDRESS].details.treasury
        assert t is not None
        return t.reserve

    def _record_deposit(
        self, sender: AccountAddress, f: ScriptFunction
    ) -> tuple[list[ContractEventV0], KeptVMStatus]:
        """``ReserveScripts::record_deposit`` by a custodian."""
        if self.accounts[sender].role != st.ROLE_CUSTODIAN:
            return [], _abort("Roles", Category.REQUIRES_ROLE, RolesReason.ECUSTODIAN)
        code_raw = bcs.decode_as(bytes, f.args[0])
        kind = bcs.decode_as(bcs.U8, f.args[1])
        amount = bcs.decode_as(bcs.U64, f.args[2])
        reference = bcs.decode_as(bytes, f.args[3])
        code = code_raw.decode()
        reserve = self.reserve
        if code not in reserve.assets:
            return [], _abort("Reserve", Category.INVALID_ARGUMENT, ReserveReason.EUNKNOWN_ASSET)
        asset = reserve.assets[code]
        held = {**asset.holdings, kind: asset.holdings.get(kind, 0) + amount}
        payload = ev.ReserveEvent(sender, code_raw, kind, amount, reference)
        event = ev.event(reserve.deposit_events, ev.RESERVE_DEPOSIT, payload)
        reserve = replace(
            reserve,
            assets={**reserve.assets, code: replace(asset, holdings=held)},
            deposit_events=ev.bump(reserve.deposit_events),
        )
        tc = self.accounts[TREASURY_COMPLIANCE_ADDRESS]
        treasury = tc.details.treasury
        assert treasury is not None
        details = replace(tc.details, treasury=replace(treasury, reserve=reserve))
        self.accounts[TREASURY_COMPLIANCE_ADDRESS] = replace(tc, details=details)
        return [event], Executed()

    def _domain_change(
        self, f: ScriptFunction, remove: bool
    ) -> tuple[list[ContractEventV0], KeptVMStatus]:
        """``TreasuryComplianceScripts::add_diem_id_domain`` / ``remove_diem_id_domain``."""
        addr = bcs.decode(AccountAddress, f.args[0])
        domain = bcs.decode_as(bytes, f.args[1])
        a = self.accounts.get(addr)
        if a is None or a.role != st.ROLE_PARENT_VASP:
            return [], _abort("DiemId", Category.NOT_PUBLISHED, DiemIdReason.EDIEM_ID_DOMAIN)
        domains = a.details.diem_id_domains or ()
        if (domain in domains) != remove:
            reason = (
                DiemIdReason.EDOMAIN_NOT_FOUND if remove else DiemIdReason.EDOMAIN_ALREADY_EXISTS
            )
            return [], _abort("DiemId", Category.INVALID_ARGUMENT, reason)
        new = tuple(d for d in domains if d != domain) if remove else (*domains, domain)
        self.accounts[addr] = replace(a, details=replace(a.details, diem_id_domains=new))
        event = self._emit_root(
            "diem_id_domain_events",
            ev.DIEM_ID_DOMAIN,
            ev.DiemIdDomainEvent(remove, ev.DiemIdDomain(domain), addr),
        )
        return [event], Executed()

    def _emit_root(self, which: str, tag: TypeTag, payload: object) -> ContractEventV0:
        root = self.root
        handle: st.EventHandle = getattr(root, which)
        e = ev.event(handle, tag, payload)
        self._set_root(replace(root, **{which: ev.bump(handle)}))
        return e

    def validate(self, txn: SignedTransaction) -> StatusCode | None:
        """The prologue checks the tests rely on."""
        raw = txn.raw_txn
        if not txn.verify_signature():
            return StatusCode.INVALID_SIGNATURE
        if raw.chain_id != CHAIN_ID:
            return StatusCode.BAD_CHAIN_ID
        a = self.accounts.get(raw.sender)
        if a is None:
            return StatusCode.SENDING_ACCOUNT_DOES_NOT_EXIST
        if bytes(txn.authenticator.sender_authentication_key()) != bytes(a.authentication_key):
            return StatusCode.INVALID_AUTH_KEY
        if raw.sequence_number < a.sequence_number:
            return StatusCode.SEQUENCE_NUMBER_TOO_OLD
        if raw.sequence_number > a.sequence_number:
            return StatusCode.SEQUENCE_NUMBER_TOO_NEW
        if raw.expiration_timestamp_secs * 1_000_000 <= self.timestamp:
            return StatusCode.TRANSACTION_EXPIRED
        return None

    def commit(self, txns: list[SignedTransaction], ends_epoch: bool = False) -> int:
        """Executes ``txns`` in one new block and commits it; returns its last version."""
        self.round += 1
        self.timestamp += BLOCK_USECS
        root = self.root
        self._set_root(
            replace(root, timestamp_usecs=self.timestamp, block_height=root.block_height + 1)
        )
        meta = BlockMetadata(
            HashValue(sha3_256(b"block" + self.round.to_bytes(8, "little"))),
            self.round,
            self.timestamp,
            (),
            VALIDATOR,
        )
        nb = self._emit_root(
            "new_block_events",
            ev.NEW_BLOCK,
            ev.NewBlockEvent(self.round, VALIDATOR, (), self.timestamp),
        )
        block = [
            TransactionToCommit(
                BlockMetadataTransaction(meta),
                {DIEM_ROOT_ADDRESS: bcs.encode(self.accounts[DIEM_ROOT_ADDRESS])},
                events=(nb,),
            )
        ]
        for txn in txns:
            before = dict(self.accounts)
            events, status = self._execute(txn)
            if not isinstance(status, Executed):
                self.accounts = dict(before)
            a = self.accounts[txn.sender]
            self.accounts[txn.sender] = replace(a, sequence_number=a.sequence_number + 1)
            changed = {k: bcs.encode(v) for k, v in self.accounts.items() if before.get(k) != v}
            block.append(
                TransactionToCommit(
                    UserTransaction(txn), changed, tuple(events), gas_used=7, status=status
                )
            )
        return self._commit_block(block, ends_epoch)

    def _commit_block(self, block: list[TransactionToCommit], ends_epoch: bool) -> int:
        acc_root, _ = self.db.speculative_roots(block)
        version = self.db.num_transactions + len(block) - 1
        epoch = self.root.epoch
        nxt = EpochState(epoch + 1, self.verifier) if ends_epoch else None
        info = BlockInfo(
            epoch, self.round, HashValue(bytes(32)), acc_root, version, self.timestamp, nxt
        )
        li = LedgerInfo(info, HashValue(bytes(32)))
        signed = LedgerInfoWithV0(li, {VALIDATOR: self.validator_key.sign(li.signing_message())})
        self.db.commit_block(block, signed)
        if ends_epoch:
            self._set_root(replace(self.root, epoch=epoch + 1))
        return version

    def sign(
        self,
        sender_key: Ed25519PrivateKey,
        call: ScriptFunction,
        *,
        seq: int | None = None,
        sender: AccountAddress | None = None,
        expiration: int | None = None,
        chain_id: int = CHAIN_ID,
    ) -> SignedTransaction:
        addr = sender or AuthenticationKey.ed25519(sender_key.public_key).derived_address()
        raw = RawTransaction(
            addr,
            self.accounts[addr].sequence_number if seq is None else seq,
            PayloadScriptFunction(call),
            1_000_000,
            0,
            XUS,
            expiration if expiration is not None else self.timestamp // 1_000_000 + 600,
            chain_id,
        )
        return raw.sign(sender_key)


class Submitter:
    """A mempool stand-in: the prologue checks, then an immediate commit of the transaction
    in its own block (``auto_commit=False`` keeps accepted transactions in ``pending``)."""

    def __init__(self, net: Net, auto_commit: bool = True) -> None:
        self.net = net
        self.auto_commit = auto_commit
        self.pending: list[SignedTransaction] = []
        self.full = False

    def submit(self, txn: SignedTransaction) -> AdmissionResult:
        if self.full:
            return AdmissionResult(MempoolStatusCode.MEMPOOL_IS_FULL, "mempool is full")
        status = self.net.validate(txn)
        if status is not None:
            return AdmissionResult(MempoolStatusCode.VM_ERROR, f"rejected: {status.name}", status)
        self.net.submitted.append(txn)
        if self.auto_commit:
            self.net.commit([txn])
        else:
            self.pending.append(txn)
        return AdmissionResult(MempoolStatusCode.ACCEPTED, "", None, True)


def auth_key_of(k: Ed25519PrivateKey) -> AuthenticationKey:
    return AuthenticationKey.ed25519(k.public_key)


TC_KEY = key(1)
ROOT_KEY = key(2)
DEALER_KEY = key(3)
CUSTODIAN_KEY = key(4)
CUSTODIAN = auth_key_of(CUSTODIAN_KEY).derived_address()
ALICE_KEY = key(10)
BOB_KEY = key(11)
ALICE = auth_key_of(ALICE_KEY).derived_address()
BOB = auth_key_of(BOB_KEY).derived_address()


def build_net(path: Path, coverage_buffer_bps: int = 0) -> Net:
    """Genesis (one write-set transaction, ending epoch 0) and the accounts: Diem Root, Treasury
    Compliance (with the reserve), the dealer (0xDD), a reserve custodian and two parent VASPs,
    Alice and Bob."""
    vkey = key(50)
    verifier = ValidatorVerifier.create({VALIDATOR: ValidatorConsensusInfo(vkey.public_key, 1)})
    root_handles = [st.EventHandle(0, _ek(100 + i, DIEM_ROOT_ADDRESS)) for i in range(6)]
    root_cfg = st.RootConfig(
        chain_id=CHAIN_ID,
        diem_version=3,
        timestamp_usecs=GENESIS_USECS,
        block_height=0,
        epoch=0,
        last_reconfiguration_time=0,
        validators=(
            st.ValidatorInfo(
                VALIDATOR,
                1,
                st.ValidatorConfig(bytes(vkey.public_key), b"", b""),
                0,
            ),
        ),
        currencies={XUS: _currency(XUS, 0), LBR: _currency(LBR, 1)},
        dual_attestation_limit=1_000_000_000,
        association=st.Association((DIEM_ROOT_ADDRESS,), (), 0, root_handles[5]),
        new_block_events=root_handles[0],
        new_epoch_events=root_handles[1],
        create_account_events=root_handles[2],
        admin_events=root_handles[3],
        diem_id_domain_events=root_handles[4],
    )
    reserve = st.Reserve(
        assets={
            "USD": st.ReserveAsset(500_000, 1, 1, {st.ASSET_BANK_DEPOSIT: 10_000_000}),
            "EUR": st.ReserveAsset(180_000, 11, 10, {st.ASSET_GOVERNMENT_SECURITY: 10_000_000}),
        },
        coverage_buffer_bps=coverage_buffer_bps,
        deposit_events=st.EventHandle(0, _ek(0, TREASURY_COMPLIANCE_ADDRESS)),
        withdrawal_events=st.EventHandle(0, _ek(1, TREASURY_COMPLIANCE_ADDRESS)),
    )
    accounts = {
        DIEM_ROOT_ADDRESS: make_account(
            DIEM_ROOT_ADDRESS,
            bytes(auth_key_of(ROOT_KEY)),
            st.ROLE_DIEM_ROOT,
            {},
            st.AccountDetails(event_generator=0, root=root_cfg),
            0,
        ),
        TREASURY_COMPLIANCE_ADDRESS: make_account(
            TREASURY_COMPLIANCE_ADDRESS,
            bytes(auth_key_of(TC_KEY)),
            st.ROLE_TREASURY_COMPLIANCE,
            {},
            st.AccountDetails(event_generator=0, treasury=st.TreasuryConfig({}, reserve)),
            2,
        ),
        DEALER: dealer(DEALER, bytes(auth_key_of(DEALER_KEY)), 10_000_000_000),
        CUSTODIAN: make_account(
            CUSTODIAN,
            bytes(auth_key_of(CUSTODIAN_KEY)),
            st.ROLE_CUSTODIAN,
            {},
            st.AccountDetails(event_generator=0, custodian=st.CustodianRole(b"custodian")),
            0,
        ),
        ALICE: parent_vasp(ALICE, bytes(auth_key_of(ALICE_KEY)), b"alice", 1_000_000_000),
        BOB: parent_vasp(BOB, bytes(auth_key_of(BOB_KEY)), b"bob", 0),
    }
    db = LedgerDB.open(path)
    net = Net(db, LedgerDBReader(db, CHAIN_ID), accounts, vkey, verifier)
    genesis = TransactionToCommit(
        GenesisTransaction(WriteSetDirect(ChangeSet(WriteSet(), ()))),
        {a: bcs.encode(s) for a, s in accounts.items()},
    )
    net._commit_block([genesis], ends_epoch=True)
    return net


def events_of(net: Net, version: int) -> Iterator[ContractEventV0]:
    for e in net.db.get_events(version):
        assert isinstance(e, ContractEventV0)
        yield e


__all__ = [
    "ALICE",
    "ALICE_KEY",
    "BOB",
    "BOB_KEY",
    "CHAIN_ID",
    "CUSTODIAN",
    "CUSTODIAN_KEY",
    "DEALER",
    "DEALER_KEY",
    "TC_KEY",
    "Net",
    "Submitter",
    "build_net",
    "currency_type_tag",
    "key",
]


@contextlib.contextmanager
def serving(app: object) -> Iterator[str]:
    """Serves ``app`` with uvicorn on a free 127.0.0.1 port in a thread; yields its URL."""
    import socket
    import threading
    import time

    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
