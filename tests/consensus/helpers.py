"""Building blocks and certificates by hand for consensus unit tests."""

from __future__ import annotations

from libra.consensus.sim import ValidatorSpec, genesis_ledger_info, make_validators
from libra.crypto import HashValue, sha3_256
from libra.types.consensus import (
    Block,
    QuorumCert,
    TwoChainTimeout,
    TwoChainTimeoutCertificate,
    VoteData,
    empty_block_info,
    genesis_block_info,
)
from libra.types.ledger import BlockInfo, LedgerInfo, LedgerInfoWithV0

VALIDATORS = make_validators(4)
GENESIS_LI = genesis_ledger_info(VALIDATORS)
EPOCH_STATE = GENESIS_LI.ledger_info.commit_info.next_epoch_state
assert EPOCH_STATE is not None
VERIFIER = EPOCH_STATE.verifier
GENESIS = Block.genesis(GENESIS_LI.ledger_info)
GENESIS_INFO = genesis_block_info(GENESIS_LI.ledger_info, GENESIS.id)
GENESIS_QC = QuorumCert.certificate_for_genesis(GENESIS_LI.ledger_info, GENESIS.id)


def executed_info(block: Block, version: int = 0) -> BlockInfo:
    """A block info for ``block`` with a made-up executed state."""
    state = HashValue(sha3_256(b"state" + block.id))
    return BlockInfo(block.epoch, block.round, block.id, state, version, block.timestamp_usecs)


def certify(
    proposed: BlockInfo,
    parent: BlockInfo,
    signers: list[ValidatorSpec] | None = None,
    commit: bool | None = None,
) -> QuorumCert:
    """A quorum cert for ``proposed`` signed by ``signers`` (default: the first three)."""
    vd = VoteData(proposed, parent)
    if commit is None:
        commit = proposed.round == parent.round + 1
    li = LedgerInfo(parent if commit else empty_block_info(), vd.hash())
    signers = VALIDATORS[:3] if signers is None else signers
    sigs = {v.address: v.key.sign(li.signing_message()) for v in signers}
    return QuorumCert(vd, LedgerInfoWithV0(li, sigs))


def proposal(round: int, qc: QuorumCert, author: int = 0, ts: int | None = None) -> Block:
    parent = qc.certified_block
    v = VALIDATORS[author]
    return Block.proposal(
        1, round, ts if ts is not None else parent.timestamp_usecs + 1, qc, (), v.address, v.key
    )


def timeout_cert(round: int, qcs: list[QuorumCert]) -> TwoChainTimeoutCertificate:
    """A TC for ``round``: validator i signs its timeout with highest QC ``qcs[i]``."""
    best = max(qcs, key=lambda q: q.certified_block.round)
    timeout = TwoChainTimeout(1, round, best)
    sigs = {}
    for v, qc in zip(VALIDATORS, qcs, strict=False):
        t = TwoChainTimeout(1, round, qc)
        sigs[v.address] = (qc.certified_block.round, v.key.sign(t.signing_message()))
    return TwoChainTimeoutCertificate(timeout, sigs)
