"""``libra bench execute``: LBR peer-to-peer transfers through :func:`execute_block`.

Setup (not timed) runs real transactions: genesis, the custodian's reserve deposits, Treasury
Compliance creating ``accounts`` parent VASPs and minting LBR to the dealer, and the dealer
funding every account. The timed part executes one block of ``transactions`` transfers, each
from a different sender to a random other account, on the funded state, ``runs`` times (the
state view is not modified, so every run does the same work). Signatures are checked once,
separately, and reported on their own.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from libra import bcs
from libra.crypto import Ed25519PrivateKey
from libra.execution import execute_block
from libra.framework import (
    CustodianConfig,
    DealerConfig,
    DictStateView,
    GenesisConfig,
    Keep,
    MemberConfig,
    build_genesis,
    reserve_report,
)
from libra.types import (
    CORE_CODE_ADDRESS,
    TREASURY_COMPLIANCE_ADDRESS,
    AccountAddress,
    AuthenticationKey,
    Executed,
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

_EXPIRY = 1 << 40
_LBR = currency_type_tag("LBR")


class BenchError(RuntimeError):
    """The benchmark's setup did not go as expected (a transaction failed)."""


def _key(seed: int) -> Ed25519PrivateKey:
    return Ed25519PrivateKey(seed.to_bytes(32, "big"))


def _auth(k: Ed25519PrivateKey) -> bytes:
    return bytes(AuthenticationKey.ed25519(k.public_key))


def _payload(module: str, function: str, args: list[bytes], lbr: bool = True) -> TransactionPayload:
    return PayloadScriptFunction(
        ScriptFunction(
            ModuleId(CORE_CODE_ADDRESS, module), function, (_LBR,) if lbr else (), tuple(args)
        )
    )


def _u64(v: int) -> bytes:
    return v.to_bytes(8, "little")


def _vec(b: bytes) -> bytes:
    return bcs.encode_as(bytes, b)


class _Chain:
    def __init__(self, view: DictStateView) -> None:
        self.view = view
        self.seq: dict[AccountAddress, int] = {}

    def sign(
        self, k: Ed25519PrivateKey, sender: AccountAddress, payload: TransactionPayload
    ) -> Transaction:
        seq = self.seq.get(sender, 0)
        self.seq[sender] = seq + 1
        raw = RawTransaction(sender, seq, payload, 1_000_000, 0, "LBR", _EXPIRY, 4)
        return UserTransaction(raw.sign(k))

    def run(self, txns: list[Transaction]) -> None:
        out = execute_block(self.view, txns)
        for i, o in enumerate(out.outputs):
            if not (isinstance(o.status, Keep) and isinstance(o.status.status, Executed)):
                raise BenchError(f"setup transaction {i} failed: {o.status} {o.detail}")
        self.view.apply(out.changed)


def setup(
    accounts: int, seed: int
) -> tuple[DictStateView, list[Ed25519PrivateKey], list[AccountAddress]]:
    """A funded chain: ``accounts`` parent VASPs holding LBR fully backed by the reserve."""
    root_k, tc_k, member_k, dd_k, cust_k = (_key(seed * 100 + i) for i in range(1, 6))
    dd = AuthenticationKey.ed25519(dd_k.public_key).derived_address()
    cust = AuthenticationKey.ed25519(cust_k.public_key).derived_address()
    member = AuthenticationKey.ed25519(member_k.public_key).derived_address()
    config = GenesisConfig(
        root_auth_key=_auth(root_k),
        tc_auth_key=_auth(tc_k),
        members=(MemberConfig(member, _auth(member_k), b"member", bytes(member_k.public_key)),),
        dealers=(DealerConfig(dd, _auth(dd_k), b"dealer", ("LBR",)),),
        custodians=(CustodianConfig(cust, _auth(cust_k), b"custodian"),),
    )
    _, blobs = build_genesis(config)
    chain = _Chain(DictStateView(blobs))
    per_account = 1_000_000_000  # 1,000 LBR
    total = per_account * accounts
    deposits = []
    for code, units in (("USD", 50), ("EUR", 16), ("JPY", 15), ("GBP", 9), ("SGD", 10)):
        need = -(-total * units // 1_000_000)
        deposits.append(
            chain.sign(
                cust_k,
                cust,
                _payload(
                    "ReserveScripts",
                    "record_deposit",
                    [_vec(code.encode()), b"\x00", _u64(need), _vec(b"bench")],
                    lbr=False,
                ),
            )
        )
    chain.run(deposits)
    keys = [_key(seed * 1_000_000 + 1000 + i) for i in range(accounts)]
    addrs = [AuthenticationKey.ed25519(k.public_key).derived_address() for k in keys]
    tc = TREASURY_COMPLIANCE_ADDRESS
    create = [
        chain.sign(
            tc_k,
            tc,
            _payload(
                "AccountCreationScripts",
                "create_parent_vasp_account",
                [_u64(0), bytes(a), _vec(_auth(k)[:16]), _vec(b"vasp"), b"\x00"],
            ),
        )
        for k, a in zip(keys, addrs, strict=True)
    ]
    create.append(
        chain.sign(
            tc_k,
            tc,
            _payload(
                "TreasuryComplianceScripts",
                "tiered_mint",
                [_u64(0), bytes(dd), _u64(total), _u64(0)],
            ),
        )
    )
    chain.run(create)
    fund = [
        chain.sign(
            dd_k,
            dd,
            _payload(
                "PaymentScripts",
                "peer_to_peer_with_metadata",
                [bytes(a), _u64(per_account), _vec(b""), _vec(b"")],
            ),
        )
        for a in addrs
    ]
    chain.run(fund)
    return chain.view, keys, addrs


def transfers(
    keys: list[Ed25519PrivateKey], addrs: list[AccountAddress], count: int, seed: int
) -> list[SignedTransaction]:
    """``count`` transfers of small LBR amounts, each from a distinct sender (seq 0)."""
    rng = random.Random(seed)
    n = len(addrs)
    out = []
    for i in range(count):
        s = i % n
        r = rng.randrange(n - 1)
        if r >= s:
            r += 1
        payload = _payload(
            "PaymentScripts",
            "peer_to_peer_with_metadata",
            [bytes(addrs[r]), _u64(rng.randrange(1, 1_000_000)), _vec(b""), _vec(b"")],
        )
        raw = RawTransaction(addrs[s], i // n, payload, 1_000_000, 0, "LBR", _EXPIRY, 4)
        out.append(raw.sign(keys[s]))
    return out


def run(
    accounts: int = 10_000,
    transactions: int = 10_000,
    runs: int = 5,
    seed: int = 1,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, Any]:
    """Runs the benchmark; returns a JSON-able report (tx/s median over ``runs``)."""
    if accounts < 2 or transactions < 1 or runs < 1:
        raise ValueError("need at least 2 accounts, 1 transaction and 1 run")
    t0 = clock()
    view, keys, addrs = setup(accounts, seed)
    signed = transfers(keys, addrs, transactions, seed)
    block: list[Transaction] = [UserTransaction(s) for s in signed]
    setup_secs = clock() - t0
    t1 = clock()
    bad = sum(1 for s in signed if not s.verify_signature())
    verify_secs = clock() - t1
    if bad:
        raise BenchError(f"{bad} signatures did not verify")
    times = []
    kept = 0
    changed = 0
    for _ in range(runs):
        start = clock()
        out = execute_block(view, block, signatures_verified=True)
        times.append(clock() - start)
        kept = sum(
            1
            for o in out.outputs
            if isinstance(o.status, Keep) and isinstance(o.status.status, Executed)
        )
        changed = len(out.changed)
    if kept != transactions:
        raise BenchError(f"only {kept} of {transactions} transfers executed")
    med = statistics.median(times)
    report = reserve_report(view)
    return {
        "benchmark": "execute",
        "accounts": accounts,
        "transactions": transactions,
        "runs": runs,
        "executed": kept,
        "accounts_changed": changed,
        "seconds_median": med,
        "seconds_min": min(times),
        "tx_per_sec_median": transactions / med,
        "tx_per_sec_best": transactions / min(times),
        "signature_verify_tx_per_sec": transactions / verify_secs if verify_secs else None,
        "setup_seconds": setup_secs,
        "lbr_supply": report.lbr_supply,
        "reserve_coverage_bps": report.coverage_bps,
    }
