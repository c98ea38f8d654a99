"""A hypothesis state machine over random sequences of transactions of every kind.

After every step: each currency's supply equals balances plus preburns plus uncollected fees;
LBR coverage never drops below 100%; no balance is negative; sequence numbers advance by one
per committed transaction; minting or burning by anyone but Treasury Compliance fails; and
executing the same block twice gives the same outputs.
"""

from __future__ import annotations

import pytest
from framework_world import (
    CUSTODIAN,
    DD,
    MEMBER_KEYS,
    ROOT,
    TC,
    World,
    addr_of,
    boolean,
    executed,
    fund_reserve,
    prefix,
    sf,
    u64,
    vec,
)
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from libra import bcs
from libra.execution import BlockOutput, execute_block
from libra.framework import (
    Discard,
    Keep,
    SetCoverageBuffer,
    account_state,
    reserve_report,
    root_config,
    treasury_config,
)
from libra.framework.errors import StatusCode
from libra.framework.state import decode_account_state
from libra.types import AccountAddress, Executed, MoveAbort, SignedTransaction, UserTransaction

CURRENCIES = ("LBR", "XUS")
amounts = st.integers(0, 3_000_000_000)


class Ledger(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.w = World(members=3)
        fund_reserve(self.w, 1000)
        self.next_key = 10_000
        self.vasps: list[AccountAddress] = []
        self.sent: dict[AccountAddress, int] = {}
        for a in self.w.keys:
            s = account_state(self.w.view, a)
            self.sent[a] = s.sequence_number if s is not None else 0
        for _ in range(3):
            self._create_parent()

    # -- helpers ------------------------------------------------------------------------------

    def _run(self, *txns: SignedTransaction) -> BlockOutput:
        block = [UserTransaction(t) for t in txns]
        one = execute_block(self.w.view, block)
        two = execute_block(self.w.view, block)
        assert one == two
        self.w.view.apply(one.changed)
        self.w.seq.clear()
        for t, o in zip(txns, one.outputs, strict=True):
            if isinstance(o.status, Keep):
                self.sent[t.sender] = self.sent.get(t.sender, 0) + 1
        return one

    def _create_parent(self) -> None:
        self.next_key += 1
        k, a = self.w.new_key_account(self.next_key)
        out = self._run(
            self.w.txn(
                TC,
                sf(
                    "AccountCreationScripts",
                    "create_parent_vasp_account",
                    [u64(0), bytes(a), vec(prefix(k)), vec(b"v"), boolean(True)],
                    "LBR",
                ),
            )
        )
        executed(out)
        self.vasps.append(a)
        self.sent[a] = 0

    def _holders(self) -> list[AccountAddress]:
        return [DD, *self.vasps]

    # -- rules --------------------------------------------------------------------------------

    @rule()
    def create_parent(self) -> None:
        if len(self.vasps) < 8:
            self._create_parent()

    @rule(data=st.data(), initial=st.integers(0, 10_000))
    def create_child(self, data: st.DataObject, initial: int) -> None:
        parent = data.draw(st.sampled_from(self.vasps))
        self.next_key += 1
        k, a = self.w.new_key_account(self.next_key)
        out = self._run(
            self.w.txn(
                parent,
                sf(
                    "AccountCreationScripts",
                    "create_child_vasp_account",
                    [bytes(a), vec(prefix(k)), boolean(True), u64(initial)],
                    "LBR",
                ),
            )
        )
        if out.outputs[0].status == Keep(Executed()):
            self.vasps.append(a)
            self.sent[a] = 0

    @rule(
        data=st.data(),
        amount=amounts,
        code=st.sampled_from(CURRENCIES),
        n=st.integers(1, 3),
        price=st.sampled_from([0, 0, 1]),
    )
    def payments(self, data: st.DataObject, amount: int, code: str, n: int, price: int) -> None:
        txns = []
        for _ in range(n):
            src = data.draw(st.sampled_from(self._holders()))
            dst = data.draw(st.sampled_from(self._holders()))
            txns.append(
                self.w.txn(
                    src,
                    sf(
                        "PaymentScripts",
                        "peer_to_peer_with_metadata",
                        [bytes(dst), u64(amount), vec(b""), vec(b"")],
                        code,
                    ),
                    price=price,
                    currency=code,
                    max_gas=1000,
                )
            )
        self._run(*txns)

    @rule(amount=amounts, code=st.sampled_from(CURRENCIES))
    def mint(self, amount: int, code: str) -> None:
        self._run(
            self.w.txn(
                TC,
                sf(
                    "TreasuryComplianceScripts",
                    "tiered_mint",
                    [u64(0), bytes(DD), u64(amount), u64(0)],
                    code,
                ),
            )
        )

    @rule(data=st.data(), amount=amounts, code=st.sampled_from(CURRENCIES))
    def unauthorised_mint_or_burn(self, data: st.DataObject, amount: int, code: str) -> None:
        who = data.draw(
            st.sampled_from([DD, ROOT, CUSTODIAN, addr_of(MEMBER_KEYS[0]), *self.vasps])
        )
        f = data.draw(
            st.sampled_from(["tiered_mint", "burn_with_amount", "cancel_burn_with_amount"])
        )
        args = {
            "tiered_mint": [u64(0), bytes(DD), u64(amount), u64(0)],
            "burn_with_amount": [u64(0), bytes(DD), u64(amount)],
            "cancel_burn_with_amount": [bytes(DD), u64(amount)],
        }[f]
        out = self._run(self.w.txn(who, sf("TreasuryComplianceScripts", f, args, code)))
        st_ = out.outputs[0].status
        # A frozen sender never gets past the prologue; anyone else must abort in the script.
        frozen = isinstance(st_, Discard) and st_.status == StatusCode.SENDING_ACCOUNT_FROZEN
        assert frozen or (isinstance(st_, Keep) and isinstance(st_.status, MoveAbort)), (
            who,
            f,
            st_,
        )

    @rule(amount=amounts, code=st.sampled_from(CURRENCIES))
    def preburn(self, amount: int, code: str) -> None:
        self._run(self.w.txn(DD, sf("TreasuryComplianceScripts", "preburn", [u64(amount)], code)))

    @rule(data=st.data(), burn=st.booleans())
    def settle_preburn(self, data: st.DataObject, burn: bool) -> None:
        dealer = decode_account_state(self.w.view.blobs[DD]).details.dealer
        assert dealer is not None
        pending = [(c, a) for c, q in dealer.preburns.items() for a in q]
        if not pending:
            return
        code, amount = data.draw(st.sampled_from(pending))
        if burn:
            payload = sf(
                "TreasuryComplianceScripts",
                "burn_with_amount",
                [u64(0), bytes(DD), u64(amount)],
                code,
            )
        else:
            payload = sf(
                "TreasuryComplianceScripts",
                "cancel_burn_with_amount",
                [bytes(DD), u64(amount)],
                code,
            )
        executed(self._run(self.w.txn(TC, payload)))

    @rule(
        code=st.sampled_from(["USD", "EUR", "JPY", "GBP", "SGD"]),
        kind=st.sampled_from([0, 1]),
        amount=st.integers(0, 200_000),
        deposit=st.booleans(),
    )
    def custodian(self, code: str, kind: int, amount: int, deposit: bool) -> None:
        f = "record_deposit" if deposit else "record_withdrawal"
        self._run(
            self.w.txn(
                CUSTODIAN,
                sf(
                    "ReserveScripts", f, [vec(code.encode()), bytes([kind]), u64(amount), vec(b"r")]
                ),
            )
        )

    @rule(data=st.data(), freeze=st.booleans())
    def freeze(self, data: st.DataObject, freeze: bool) -> None:
        target = data.draw(st.sampled_from(self._holders()))
        f = "freeze_account" if freeze else "unfreeze_account"
        executed(
            self._run(self.w.txn(TC, sf("TreasuryComplianceScripts", f, [u64(0), bytes(target)])))
        )

    @rule(code=st.sampled_from(CURRENCIES))
    def burn_fees(self, code: str) -> None:
        executed(
            self._run(self.w.txn(TC, sf("TreasuryComplianceScripts", "burn_txn_fees", [], code)))
        )

    @rule(bps=st.integers(0, 3000))
    def buffer_vote(self, bps: int) -> None:
        m0, m1 = (addr_of(k) for k in MEMBER_KEYS[:2])
        executed(
            self._run(
                self.w.txn(
                    m0,
                    sf("AssociationScripts", "propose", [vec(bcs.encode(SetCoverageBuffer(bps)))]),
                )
            )
        )
        pid = root_config(self.w.view).association.next_proposal_id - 1
        executed(self._run(self.w.txn(m1, sf("AssociationScripts", "vote", [u64(pid)]))))
        assert treasury_config(self.w.view).reserve.coverage_buffer_bps == bps

    # -- invariants ---------------------------------------------------------------------------

    @invariant()
    def supply_is_balances_plus_preburns_plus_fees(self) -> None:
        states = [decode_account_state(b) for b in self.w.view.blobs.values()]
        root = root_config(self.w.view)
        fees = treasury_config(self.w.view).fees
        for code, info in root.currencies.items():
            balances = sum(s.balances.get(code, 0) for s in states)
            preburns = sum(
                sum(s.details.dealer.preburns.get(code, ()))
                for s in states
                if s.details.dealer is not None
            )
            assert info.total_value == balances + preburns + fees.get(code, 0), code
            assert info.preburn_value == preburns, code
            assert all(s.balances.get(code, 0) >= 0 for s in states)

    @invariant()
    def lbr_is_covered(self) -> None:
        bps = reserve_report(self.w.view).coverage_bps
        assert bps is None or bps >= 10_000

    @invariant()
    def sequence_numbers_count_committed_transactions(self) -> None:
        for a, n in self.sent.items():
            s = account_state(self.w.view, a)
            assert s is not None and s.sequence_number == n, a


TestLedger = Ledger.TestCase
TestLedger.settings = settings(
    max_examples=40,
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.slow
def test_ledger_long() -> None:
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(
        Ledger,
        settings=settings(
            max_examples=200,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
