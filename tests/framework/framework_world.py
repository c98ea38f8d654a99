"""A small world for framework tests: genesis, keys, and transaction builders."""

from __future__ import annotations

from libra import bcs
from libra.crypto import Ed25519PrivateKey, HashValue
from libra.execution import BlockOutput, execute_block
from libra.framework import (
    CustodianConfig,
    DealerConfig,
    DictStateView,
    GenesisConfig,
    MemberConfig,
    build_genesis,
)
from libra.types import (
    CORE_CODE_ADDRESS,
    DIEM_ROOT_ADDRESS,
    TREASURY_COMPLIANCE_ADDRESS,
    AccountAddress,
    AuthenticationKey,
    BlockMetadata,
    BlockMetadataTransaction,
    ModuleId,
    PayloadScriptFunction,
    RawTransaction,
    ScriptFunction,
    SignedTransaction,
    Transaction,
    TransactionPayload,
    UserTransaction,
    currency_type_tag,
)

EXPIRY = 10**10


def key(n: int) -> Ed25519PrivateKey:
    return Ed25519PrivateKey(n.to_bytes(32, "big"))


def addr_of(k: Ed25519PrivateKey) -> AccountAddress:
    return AuthenticationKey.ed25519(k.public_key).derived_address()


def auth(k: Ed25519PrivateKey) -> bytes:
    return bytes(AuthenticationKey.ed25519(k.public_key))


def prefix(k: Ed25519PrivateKey) -> bytes:
    return auth(k)[:16]


ROOT_KEY = key(1)
TC_KEY = key(2)
MEMBER_KEYS = [key(10), key(11), key(12)]
DD_KEY = key(20)
CUSTODIAN_KEY = key(30)


def u64(v: int) -> bytes:
    return v.to_bytes(8, "little")


def vec(b: bytes) -> bytes:
    return bcs.encode_as(bytes, b)


def boolean(b: bool) -> bytes:
    return b"\x01" if b else b"\x00"


def sf(
    module: str, function: str, args: list[bytes], currency: str | None = None
) -> TransactionPayload:
    ty = (currency_type_tag(currency),) if currency else ()
    return PayloadScriptFunction(
        ScriptFunction(ModuleId(CORE_CODE_ADDRESS, module), function, ty, tuple(args))
    )


class World:
    """A chain in memory: genesis, then blocks executed and committed to a dict view."""

    def __init__(self, members: int = 1, buffer_bps: int = 0) -> None:
        config = GenesisConfig(
            root_auth_key=auth(ROOT_KEY),
            tc_auth_key=auth(TC_KEY),
            members=tuple(
                MemberConfig(addr_of(k), auth(k), f"member{i}".encode(), bytes(k.public_key))
                for i, k in enumerate(MEMBER_KEYS[:members])
            ),
            dealers=(DealerConfig(addr_of(DD_KEY), auth(DD_KEY), b"dealer", ("LBR", "XUS")),),
            custodians=(CustodianConfig(addr_of(CUSTODIAN_KEY), auth(CUSTODIAN_KEY), b"bank"),),
            coverage_buffer_bps=buffer_bps,
            timestamp_usecs=1_000_000,
        )
        self.genesis_txn, blobs = build_genesis(config)
        self.view = DictStateView(blobs)
        self.seq: dict[AccountAddress, int] = {}
        self.keys: dict[AccountAddress, Ed25519PrivateKey] = {
            DIEM_ROOT_ADDRESS: ROOT_KEY,
            TREASURY_COMPLIANCE_ADDRESS: TC_KEY,
        }
        for k in [*MEMBER_KEYS, DD_KEY, CUSTODIAN_KEY]:
            self.keys[addr_of(k)] = k
        self.time = 1_000_000
        self.round = 0

    def txn(
        self,
        sender: AccountAddress,
        payload: TransactionPayload,
        *,
        seq: int | None = None,
        max_gas: int = 1_000_000,
        price: int = 0,
        currency: str = "XUS",
        expiry: int = EXPIRY,
        chain_id: int = 4,
        signer: Ed25519PrivateKey | None = None,
    ) -> SignedTransaction:
        if seq is None:
            seq = self.seq.get(sender)
            if seq is None:
                from libra.framework import account_state

                st = account_state(self.view, sender)
                seq = st.sequence_number if st is not None else 0
            self.seq[sender] = seq + 1
        raw = RawTransaction(sender, seq, payload, max_gas, price, currency, expiry, chain_id)
        return raw.sign(signer or self.keys[sender])

    def run(self, *txns: SignedTransaction | Transaction, commit: bool = True) -> BlockOutput:
        block = [t if isinstance(t, Transaction) else UserTransaction(t) for t in txns]
        out = execute_block(self.view, block)
        if commit:
            self.view.apply(out.changed)
        self.seq.clear()
        return out

    def block_metadata(self, proposer: AccountAddress | None = None) -> Transaction:
        self.time += 1_000_000
        self.round += 1
        return BlockMetadataTransaction(
            BlockMetadata(
                HashValue(bytes(32)),
                self.round,
                self.time,
                (),
                proposer or addr_of(MEMBER_KEYS[0]),
            )
        )

    def new_key_account(self, n: int) -> tuple[Ed25519PrivateKey, AccountAddress]:
        k = key(n)
        a = addr_of(k)
        self.keys[a] = k
        return k, a


DD = addr_of(DD_KEY)
CUSTODIAN = addr_of(CUSTODIAN_KEY)
TC = TREASURY_COMPLIANCE_ADDRESS
ROOT = DIEM_ROOT_ADDRESS


def executed(out: BlockOutput) -> None:
    """Asserts every transaction of the block executed."""
    from libra.framework.transaction import EXECUTED

    for o in out.outputs:
        assert o.status == EXECUTED, (o.status, o.detail)


def aborted(out: BlockOutput, module: str, category: int, reason: int, i: int = 0) -> None:
    """Asserts transaction ``i`` was kept with MoveAbort at 0x1::module with that code."""
    from libra.framework import Keep
    from libra.types import AbortInModule, MoveAbort

    st = out.outputs[i].status
    assert isinstance(st, Keep), (st, out.outputs[i].detail)
    assert isinstance(st.status, MoveAbort), (st, out.outputs[i].detail)
    assert isinstance(st.status.location, AbortInModule)
    assert st.status.location.module.name == module, out.outputs[i].detail
    assert st.status.code == category + (reason << 8), out.outputs[i].detail


def discarded(out: BlockOutput, status: int, i: int = 0) -> None:
    from libra.framework import Discard

    st = out.outputs[i].status
    assert isinstance(st, Discard), (st, out.outputs[i].detail)
    assert st.status == status, (st, out.outputs[i].detail)


def state(w: World, a: AccountAddress):  # type: ignore[no-untyped-def]
    from libra.framework import account_state

    s = account_state(w.view, a)
    assert s is not None
    return s


def fund_reserve(w: World, lbr_coins: int) -> None:
    """Custodian deposits exactly the basket for ``lbr_coins`` whole LBR."""
    txs = []
    for code, units in [("USD", 50), ("EUR", 16), ("JPY", 15), ("GBP", 9), ("SGD", 10)]:
        txs.append(
            w.txn(
                CUSTODIAN,
                sf(
                    "ReserveScripts",
                    "record_deposit",
                    [vec(code.encode()), bytes([0]), u64(units * lbr_coins), vec(b"ref")],
                ),
            )
        )
    executed(w.run(*txs))


def mint(
    w: World, amount: int, currency: str = "LBR", to: AccountAddress | None = None
) -> BlockOutput:
    return w.run(
        w.txn(
            TC,
            sf(
                "TreasuryComplianceScripts",
                "tiered_mint",
                [u64(0), bytes(to or DD), u64(amount), u64(0)],
                currency,
            ),
        )
    )


def create_parent(w: World, n: int, add_all: bool = True, currency: str = "LBR") -> AccountAddress:
    k, a = w.new_key_account(n)
    executed(
        w.run(
            w.txn(
                TC,
                sf(
                    "AccountCreationScripts",
                    "create_parent_vasp_account",
                    [u64(0), bytes(a), vec(prefix(k)), vec(b"vasp%d" % n), boolean(add_all)],
                    currency,
                ),
            )
        )
    )
    return a


def create_child(
    w: World, parent: AccountAddress, n: int, initial: int = 0, currency: str = "LBR"
) -> AccountAddress:
    k, a = w.new_key_account(n)
    executed(
        w.run(
            w.txn(
                parent,
                sf(
                    "AccountCreationScripts",
                    "create_child_vasp_account",
                    [bytes(a), vec(prefix(k)), boolean(False), u64(initial)],
                    currency,
                ),
            )
        )
    )
    return a


def pay(
    w: World,
    sender: AccountAddress,
    to: AccountAddress,
    amount: int,
    currency: str = "LBR",
    metadata: bytes = b"",
    sig: bytes = b"",
) -> BlockOutput:
    return w.run(
        w.txn(
            sender,
            sf(
                "PaymentScripts",
                "peer_to_peer_with_metadata",
                [bytes(to), u64(amount), vec(metadata), vec(sig)],
                currency,
            ),
        )
    )


def funded_world(coins: int = 1000) -> tuple[World, AccountAddress, AccountAddress]:
    """A world with a reserve for ``coins`` LBR, all minted to the dealer, and two parent
    VASPs holding 100 LBR each."""
    w = World()
    fund_reserve(w, coins)
    executed(mint(w, coins * 1_000_000))
    a = create_parent(w, 100)
    b = create_parent(w, 101)
    executed(pay(w, DD, a, 100_000_000))
    executed(pay(w, DD, b, 100_000_000))
    return w, a, b
