"""Admission reads decoded accounts from a cache over the committed view: it must follow every
commit (and anything else that changes the view) and admit or reject exactly as before."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from libra import bcs
from libra.api.faucet import tiered_mint
from libra.execution.engine import ExecutionEngine
from libra.framework import (
    AccountCache,
    BlockState,
    DictStateView,
    PrologueError,
    SharedBlockState,
    StatusCode,
    account_state,
    prologue,
)
from libra.framework.account import Account
from libra.framework.gas import transaction_size
from libra.mempool.core import Mempool, MempoolStatusCode
from libra.node.config import NodeFiles
from libra.node.genesis import create_testnet, load_testnet_keys
from libra.node.runtime import ValidatorNode
from libra.types import (
    TREASURY_COMPLIANCE_ADDRESS,
    AccountAddress,
    AuthenticationKey,
    BlockInfo,
    LedgerInfo,
    PayloadScriptFunction,
    RawTransaction,
    SignedTransaction,
)
from libra.types.consensus import Block, QuorumCert, VoteData
from libra.types.ledger import LedgerInfoWithV0

TC = TREASURY_COMPLIANCE_ADDRESS


class Net:
    """A validator node (not running) over a fresh test network, and what it takes to commit
    blocks through its engine as consensus would."""

    def __init__(self, tmp: Path) -> None:
        self.files: list[NodeFiles] = create_testnet(tmp / "net", 4, faucet_port=None)
        self.keys = load_testnet_keys(tmp / "net")
        self.node = ValidatorNode(self.files[0])
        self.validators = [(n.config.account_address, n.consensus_key()) for n in self.files]
        li = self.node.genesis_li.ledger_info
        self.epoch = li.commit_info.next_epoch_state.epoch  # type: ignore[union-attr]
        self.parent = Block.genesis(li)
        self.qc = QuorumCert.certificate_for_genesis(li, self.parent.id)
        self.round = 0
        self.ts = int(time.time() * 1_000_000)

    @property
    def dealer(self) -> AccountAddress:
        return AuthenticationKey.ed25519(self.keys.dealer.public_key).derived_address()

    def tc_txn(self, seq: int, amount: int = 1, chain_id: int = 4) -> SignedTransaction:
        raw = RawTransaction(
            TC,
            seq,
            PayloadScriptFunction(tiered_mint("XUS", 0, self.dealer, amount)),
            1_000_000,
            0,
            "XUS",
            int(time.time()) + 600,
            chain_id,
        )
        return raw.sign(self.keys.treasury)

    def commit(self, engine: ExecutionEngine, *payload: SignedTransaction) -> None:
        """Executes a block of ``payload`` on the last one and commits it."""
        self.round += 1
        self.ts += 1000
        author, key = self.validators[self.round % 4]
        block = Block.proposal(
            self.epoch, self.round, self.ts, self.qc, tuple(payload), author, key
        )
        r = engine.compute(block, self.parent.id)
        info = BlockInfo(
            self.epoch, block.round, block.id, r.executed_state_id, r.version, block.timestamp_usecs
        )
        vd = VoteData(info, info)
        li = LedgerInfo(info, vd.hash())
        sigs = {a: k.sign(li.signing_message()) for a, k in self.validators}
        engine.commit([block], LedgerInfoWithV0(li, sigs))
        self.parent, self.qc = block, QuorumCert(vd, LedgerInfoWithV0(li, sigs))


@pytest.fixture
def net(tmp_path: Path) -> Iterator[Net]:
    n = Net(tmp_path)
    yield n
    n.node.db.close()


def _mempool(node: ValidatorNode) -> Mempool:
    return Mempool(node._validate, node._sequence_number_of)


def _wire(txn: SignedTransaction) -> SignedTransaction:
    """The transaction as it arrives (decoded: it keeps its bytes)."""
    return bcs.decode(SignedTransaction, bcs.encode(txn))


# -- the node's admission ----------------------------------------------------------------------


def test_a_commit_is_seen_by_the_next_admission(net: Net) -> None:
    node = net.node
    assert node._sequence_number_of(TC) == 0
    first = _wire(net.tc_txn(0))
    assert node._validate(first) is None  # both accounts are cached now
    net.commit(node.engine, net.tc_txn(0, amount=5))
    # The committed state moved: no stale sequence number, no stale account in the prologue.
    assert node._sequence_number_of(TC) == 1
    assert node._validate(first) is StatusCode.SEQUENCE_NUMBER_TOO_OLD
    mp = _mempool(node)
    assert mp.add(first).code is MempoolStatusCode.INVALID_SEQ_NUMBER
    assert mp.add(_wire(net.tc_txn(1))).accepted
    net.commit(node.engine, net.tc_txn(1), net.tc_txn(2))
    assert node._sequence_number_of(TC) == 3
    assert _mempool(node).add(_wire(net.tc_txn(2))).code is MempoolStatusCode.INVALID_SEQ_NUMBER
    assert _mempool(node).add(_wire(net.tc_txn(3))).accepted


def test_a_ledger_written_behind_the_engine_is_seen_after_the_view_is_cleared(net: Net) -> None:
    """State sync writes the ledger without the engine and then clears the engine's view: the
    admission cache follows the view, whatever changed it."""
    node = net.node
    assert node._sequence_number_of(TC) == 0
    other = ExecutionEngine(node.db)  # commits to the same ledger, as state sync would
    net.commit(other, net.tc_txn(0))
    node.engine.view.clear()
    assert node._sequence_number_of(TC) == 1
    assert node._validate(_wire(net.tc_txn(0))) is StatusCode.SEQUENCE_NUMBER_TOO_OLD
    assert node._validate(_wire(net.tc_txn(1))) is None


def test_admission_statuses_equal_the_plain_prologue(net: Net) -> None:
    """The cached accounts change nothing the prologue decides."""
    node = net.node
    net.commit(node.engine, net.tc_txn(0))
    stranger = RawTransaction(
        AccountAddress(bytes(range(16))),
        0,
        PayloadScriptFunction(tiered_mint("XUS", 0, net.dealer, 1)),
        1_000_000,
        0,
        "XUS",
        int(time.time()) + 600,
        4,
    ).sign(net.keys.treasury)
    wrong_key = RawTransaction(
        TC,
        1,
        PayloadScriptFunction(tiered_mint("XUS", 0, net.dealer, 1)),
        1_000_000,
        0,
        "XUS",
        int(time.time()) + 600,
        4,
    ).sign(net.keys.dealer)
    cases = [
        net.tc_txn(0),  # too old
        net.tc_txn(1),  # next
        net.tc_txn(5),  # ahead: fine in validation
        net.tc_txn(1, chain_id=9),  # bad chain id
        stranger,  # no such sender
        wrong_key,  # authentication key mismatch
    ]
    expected = [
        StatusCode.SEQUENCE_NUMBER_TOO_OLD,
        None,
        None,
        StatusCode.BAD_CHAIN_ID,
        StatusCode.SENDING_ACCOUNT_DOES_NOT_EXIST,
        StatusCode.INVALID_AUTH_KEY,
    ]
    now = int(time.time())
    for txn, want in zip(cases, expected, strict=True):
        txn = _wire(txn)
        try:
            prologue(
                BlockState(node.engine.view), txn, now, signature_verified=False, validation=True
            )
            plain = None
        except PrologueError as e:
            plain = e.status
        assert plain == want
        assert node._validate(txn) == want  # the signature is checked here too
    assert node._sequence_number_of(stranger.raw_txn.sender) == 0


# -- the cache -----------------------------------------------------------------------------------


def test_the_account_cache_decodes_once_per_blob(net: Net) -> None:
    state = net.node.engine.view
    blob = state.get_account_blob(TC)
    assert blob is not None
    view = DictStateView({TC: blob})
    cache = AccountCache()
    a = cache.get(view, TC)
    assert a is not None and a.seq == account_state(view, TC).sequence_number  # type: ignore[union-attr]
    assert cache.get(view, TC) is a
    view.blobs[TC] = bytes(bytearray(blob))  # equal bytes, another object: still the same
    assert cache.get(view, TC) is a
    changed = Account.decode(TC, blob)
    changed.seq += 7
    view.blobs[TC] = changed.encode()
    b = cache.get(view, TC)
    assert b is not a and b is not None and b.seq == a.seq + 7
    del view.blobs[TC]
    assert cache.get(view, TC) is None
    assert SharedBlockState(view, cache).get(TC) is None


def test_the_account_cache_starts_over_when_full(net: Net) -> None:
    blob = net.node.engine.view.get_account_blob(TC)
    assert blob is not None
    addrs = [AccountAddress(bytes([i]) * 16) for i in range(5)]
    view = DictStateView(dict.fromkeys(addrs, blob))
    cache = AccountCache(capacity=3)
    for a in addrs:
        assert cache.get(view, a) is not None
        assert len(cache) <= 3
    assert cache.get(view, addrs[-1]) is cache.get(view, addrs[-1])


# -- size --------------------------------------------------------------------------------------


def test_transaction_size_is_the_length_of_the_kept_bytes(net: Net) -> None:
    fresh = net.tc_txn(0)
    computed = transaction_size(fresh)  # nothing kept yet: computed
    wire = _wire(fresh)
    assert transaction_size(wire) == computed == len(wire.encoded()) == len(bcs.encode(fresh))
    assert transaction_size(fresh) == computed  # encoded above: now kept
