"""The block store mirrors its tree to a BlockPersistence: blocks and new certificates saved,
pruned blocks deleted, a new root replacing everything."""

from __future__ import annotations

from libra.consensus import BlockStore, ExecutedBlock, MemoryBlockPersistence
from libra.consensus.sim import SimStateComputer
from libra.types.consensus import Block

from .helpers import GENESIS, GENESIS_INFO, GENESIS_LI, GENESIS_QC, certify, proposal


def store() -> tuple[BlockStore, MemoryBlockPersistence]:
    p = MemoryBlockPersistence()
    p.save(blocks=[proposal(9, GENESIS_QC)])  # left over from an earlier run
    bs = BlockStore(
        ExecutedBlock(GENESIS, GENESIS_INFO),
        GENESIS_QC,
        GENESIS_QC,
        SimStateComputer(GENESIS_LI),
        persistence=p,
    )
    return bs, p


def ids(p: MemoryBlockPersistence) -> list[int]:
    return [b.round for b in p.load().blocks]


def test_a_new_tree_replaces_what_was_stored() -> None:
    _, p = store()
    tree = p.load()
    assert tree.blocks == (GENESIS,) and tree.quorum_certs == (GENESIS_QC,)


def test_blocks_and_certificates_are_saved_and_pruned_blocks_deleted() -> None:
    bs, p = store()
    b1 = bs.insert_block(proposal(1, GENESIS_QC))
    qc1 = certify(b1.info, GENESIS_INFO)
    writes = p.writes
    bs.insert_quorum_cert(qc1)  # a new certificate, carried by no stored block: saved
    assert p.writes == writes + 1 and qc1 in p.load().quorum_certs
    b2 = bs.insert_block(proposal(2, qc1, author=1))
    qc2 = certify(b2.info, b1.info)
    b3 = bs.insert_block(proposal(3, qc2, author=2))
    assert ids(p) == [0, 1, 2, 3]
    writes = p.writes
    bs.insert_quorum_cert(qc2)  # carried by b3, already stored: no write
    assert p.writes == writes
    assert bs.root.id == b1.id  # qc2 committed b1 (rounds 1, 2 consecutive)
    qc3 = certify(b3.info, b2.info)
    outcome = bs.insert_quorum_cert(qc3)  # saved (no stored block carries it), commits b2
    assert outcome is not None and bs.root.id == b2.id
    # the pruned blocks (genesis, b1) go with the next write
    bs.insert_block(proposal(4, qc3, author=3))
    assert ids(p) == [2, 3, 4]
    assert {q.certified_block.round for q in p.load().quorum_certs} == {3}


def test_a_higher_timeout_cert_is_saved() -> None:
    from .helpers import timeout_cert

    bs, p = store()
    tc = timeout_cert(1, [GENESIS_QC, GENESIS_QC, GENESIS_QC])
    bs.insert_timeout_cert(tc)
    assert p.load().highest_timeout_cert == tc
    writes = p.writes
    bs.insert_timeout_cert(tc)
    assert p.writes == writes


def test_restoring_writes_nothing_until_finished() -> None:
    p = MemoryBlockPersistence()
    stale = proposal(7, GENESIS_QC, ts=9)
    b1: Block = proposal(1, GENESIS_QC)
    p.save(blocks=[stale, b1])
    bs = BlockStore(
        ExecutedBlock(GENESIS, GENESIS_INFO),
        GENESIS_QC,
        GENESIS_QC,
        SimStateComputer(GENESIS_LI),
        persistence=p,
        restoring=True,
    )
    writes = p.writes
    bs.insert_block(b1)  # rebuilt from the store: not written again
    assert p.writes == writes
    bs.finish_restore(frozenset({stale.id, b1.id}))
    assert ids(p) == [0, 1]  # the root saved, the stale block deleted, b1 kept
