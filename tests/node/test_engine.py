"""The execution engine under consensus: speculative blocks, forks, commits, bad blocks."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from libra.api.faucet import tiered_mint
from libra.consensus.errors import StateComputerError
from libra.crypto import Ed25519PrivateKey, HashValue
from libra.execution.engine import (
    ExecutionEngine,
    GenesisError,
    LedgerStateView,
    block_transactions,
    bootstrap,
)
from libra.framework import account_state
from libra.node.config import NodeFiles
from libra.node.genesis import create_testnet, decode_genesis, load_testnet_keys
from libra.storage import LedgerDB
from libra.types import (
    TREASURY_COMPLIANCE_ADDRESS,
    AuthenticationKey,
    BlockMetadataTransaction,
    Ed25519Authenticator,
    LedgerInfo,
    PayloadScriptFunction,
    RawTransaction,
    SignedTransaction,
)
from libra.types.consensus import Block, QuorumCert, VoteData
from libra.types.ledger import LedgerInfoWithV0


class Chain:
    def __init__(self, tmp: Path) -> None:
        self.nodes = create_testnet(tmp / "net", 4, faucet_port=None)
        self.keys = load_testnet_keys(tmp / "net")
        self.genesis = decode_genesis((tmp / "net" / "genesis.bcs").read_bytes())
        self.db = LedgerDB.open(tmp / "db")
        self.genesis_li = bootstrap(self.db, self.genesis)
        self.engine = ExecutionEngine(self.db)
        self.validators = [(n.config.account_address, n.consensus_key()) for n in self.nodes]
        li = self.genesis_li.ledger_info
        self.root = Block.genesis(li)
        self.root_qc = QuorumCert.certificate_for_genesis(li, self.root.id)
        self.epoch = li.commit_info.next_epoch_state.epoch  # type: ignore[union-attr]
        self.tc_seq = 0
        self.ts = int(time.time() * 1_000_000)

    def tc_txn(self, amount: int) -> SignedTransaction:
        dealer = AuthenticationKey.ed25519(self.keys.dealer.public_key).derived_address()
        raw = RawTransaction(
            TREASURY_COMPLIANCE_ADDRESS,
            self.tc_seq,
            PayloadScriptFunction(tiered_mint("XUS", 0, dealer, amount)),
            1_000_000,
            0,
            "XUS",
            int(time.time()) + 600,
            4,
        )
        self.tc_seq += 1
        return raw.sign(self.keys.treasury)

    def propose(
        self, parent: Block, qc: QuorumCert, payload: tuple[SignedTransaction, ...], rnd: int
    ) -> Block:
        self.ts += 1000
        author, key = self.validators[rnd % 4]
        return Block.proposal(self.epoch, rnd, self.ts, qc, payload, author, key)

    def certify(self, block: Block, version: int, state_id: HashValue) -> QuorumCert:
        """A QC over ``block`` (the vote data is not checked by the engine)."""
        from libra.types import BlockInfo

        info = BlockInfo(
            self.epoch, block.round, block.id, state_id, version, block.timestamp_usecs
        )
        vd = VoteData(info, info)
        li = LedgerInfo(info, vd.hash())
        sigs = {a: k.sign(li.signing_message()) for a, k in self.validators[:3]}
        return QuorumCert(vd, LedgerInfoWithV0(li, sigs))

    def ledger_info(self, block: Block, version: int, state_id: HashValue) -> LedgerInfoWithV0:
        from libra.types import BlockInfo

        info = BlockInfo(
            self.epoch, block.round, block.id, state_id, version, block.timestamp_usecs
        )
        li = LedgerInfo(info, HashValue.zero())
        return LedgerInfoWithV0(li, {a: k.sign(li.signing_message()) for a, k in self.validators})


@pytest.fixture
def chain(tmp_path: Path) -> Chain:
    c = Chain(tmp_path)
    yield c  # type: ignore[misc]
    c.db.close()


def test_bootstrap_is_idempotent_and_checks_the_genesis(chain: Chain, tmp_path: Path) -> None:
    assert chain.db.num_transactions == 1
    assert bootstrap(chain.db, chain.genesis) == chain.genesis_li
    other = create_testnet(tmp_path / "other", 1, faucet_port=None)
    g2 = decode_genesis((other[0].directory.parent / "genesis.bcs").read_bytes())
    with pytest.raises(GenesisError, match="another genesis"):
        bootstrap(chain.db, g2)


def test_blocks_execute_on_speculative_parents_and_commit(chain: Chain) -> None:
    b1 = chain.propose(chain.root, chain.root_qc, (chain.tc_txn(100),), 1)
    r1 = chain.engine.compute(b1, chain.root.id)
    assert r1.version == 2  # block metadata + one transaction
    b2 = chain.propose(
        b1, chain.certify(b1, r1.version, r1.executed_state_id), (chain.tc_txn(7),), 2
    )
    r2 = chain.engine.compute(b2, b1.id)
    assert r2.version == 4
    assert chain.db.num_transactions == 1  # nothing written yet
    chain.engine.commit([b1, b2], chain.ledger_info(b2, r2.version, r2.executed_state_id))
    assert chain.db.latest_version == 4
    assert chain.db.accumulator_root == r2.executed_state_id
    dealer = AuthenticationKey.ed25519(chain.keys.dealer.public_key).derived_address()
    state = account_state(LedgerStateView(chain.db), dealer)
    assert state is not None and state.balances["XUS"] == 107
    first = chain.db.get_transaction(1)
    assert isinstance(first, BlockMetadataTransaction)
    assert first.value.proposer == b1.author


def test_forks_do_not_interfere(chain: Chain) -> None:
    left = chain.propose(chain.root, chain.root_qc, (chain.tc_txn(1),), 1)
    chain.tc_seq = 0
    right = chain.propose(chain.root, chain.root_qc, (chain.tc_txn(2),), 2)
    rl = chain.engine.compute(left, chain.root.id)
    rr = chain.engine.compute(right, chain.root.id)
    assert rl.executed_state_id != rr.executed_state_id
    chain.engine.commit([right], chain.ledger_info(right, rr.version, rr.executed_state_id))
    dealer = AuthenticationKey.ed25519(chain.keys.dealer.public_key).derived_address()
    assert account_state(LedgerStateView(chain.db), dealer).balances["XUS"] == 2  # type: ignore[union-attr]


def test_a_block_with_a_bad_timestamp_is_refused(chain: Chain) -> None:
    b1 = chain.propose(chain.root, chain.root_qc, (), 1)
    chain.engine.compute(b1, chain.root.id)
    author, key = chain.validators[2]
    stale = Block.proposal(
        chain.epoch, 2, 0, chain.certify(b1, 1, HashValue.zero()), (), author, key
    )
    with pytest.raises(StateComputerError, match="cannot be executed"):
        chain.engine.compute(stale, b1.id)


def test_unverified_payloads_have_their_signatures_checked(chain: Chain) -> None:
    good = chain.tc_txn(5)
    auth = good.authenticator
    assert isinstance(auth, Ed25519Authenticator)
    other = Ed25519PrivateKey.generate().sign(good.raw_txn.signing_message())
    # The right public key (the auth key matches) with somebody else's signature.
    bad = SignedTransaction(good.raw_txn, Ed25519Authenticator(auth.public_key, other))
    forged = bad
    b1 = chain.propose(chain.root, chain.root_qc, (bad,), 1)
    r1 = chain.engine.compute(b1, chain.root.id)
    assert r1.version == 1  # only the block metadata is kept
    assert chain.engine.signature_checked_blocks == 1
    chain.engine.mark_verified(forged.hash())
    b2 = chain.propose(chain.root, chain.root_qc, (forged,), 2)
    r2 = chain.engine.compute(b2, chain.root.id)
    assert r2.version == 2
    assert chain.engine.signature_checked_blocks == 1


def test_block_transactions_start_with_metadata(chain: Chain) -> None:
    txn = chain.tc_txn(3)
    b = chain.propose(chain.root, chain.root_qc, (txn,), 1)
    txns = block_transactions(b)
    assert isinstance(txns[0], BlockMetadataTransaction)
    assert txns[0].value.id == b.id and txns[0].value.timestamp_usecs == b.timestamp_usecs
    assert len(txns) == 2


def test_sync_without_a_syncer_is_an_error(chain: Chain) -> None:
    b1 = chain.propose(chain.root, chain.root_qc, (), 1)
    with pytest.raises(StateComputerError, match="no state sync"):
        chain.engine.sync_to(chain.ledger_info(b1, 5, HashValue.zero()))


def test_node_files_are_written(chain: Chain) -> None:
    assert all(isinstance(n, NodeFiles) for n in chain.nodes)


def test_cached_views_agree_with_the_ledger_and_the_state_tree(chain: Chain) -> None:
    """Blocks on uncommitted parents execute on the parents' account changes over the cached
    committed state; the results equal executing on the speculative state (the state tree),
    and the cache follows commits."""
    from libra.storage import SpeculativeState

    tree = ExecutionEngine(LedgerDB.open(chain.db.path + "-tree"))
    bootstrap(tree.db, chain.genesis)
    tree._chain_view = lambda state: state  # type: ignore[method-assign]
    dealer = AuthenticationKey.ed25519(chain.keys.dealer.public_key).derived_address()
    assert chain.engine.view.get_account_blob(dealer) == chain.db.get_account_state(dealer)
    parent, qc = chain.root, chain.root_qc
    blocks = []
    for rnd in range(1, 5):
        b = chain.propose(parent, qc, (chain.tc_txn(rnd), chain.tc_txn(10 * rnd)), rnd)
        r = chain.engine.compute(b, parent.id)
        assert tree.compute(b, parent.id) == r
        if rnd == 1:
            assert isinstance(chain.engine._computed[b.id].state, SpeculativeState)
        blocks.append((b, r))
        parent, qc = b, chain.certify(b, r.version, r.executed_state_id)
        if rnd == 2:  # commit the first two; the next blocks build on the committed state
            b2, r2 = blocks[1]
            li = chain.ledger_info(b2, r2.version, r2.executed_state_id)
            chain.engine.commit([blocks[0][0], b2], li)
            tree.commit([blocks[0][0], b2], li)
            assert chain.engine.view.get_account_blob(dealer) == chain.db.get_account_state(dealer)
    b4, r4 = blocks[-1]
    li = chain.ledger_info(b4, r4.version, r4.executed_state_id)
    chain.engine.commit([blocks[2][0], b4], li)
    assert chain.db.accumulator_root == r4.executed_state_id
    state = account_state(chain.engine.view, dealer)
    assert state is not None and state.balances["XUS"] == sum(11 * r for r in range(1, 5))
    assert chain.engine.view.get_account_blob(dealer) == chain.db.get_account_state(dealer)
    tree.db.close()
