"""DiemBFT v4 consensus messages: blocks, votes, quorum and timeout certificates, sync info.

The layouts follow Diem's ``consensus-types`` (BCS field order, hasher names, signing messages)
so that the bytes agree with Diem's. Every message has a stateless ``verify(verifier)`` that
checks signatures and quorums against an epoch's :class:`ValidatorVerifier` and raises
:class:`VerifyError` naming what is wrong, and a ``verify_well_formed()`` where the structure
itself has rules (rounds increase from parent to child, epochs agree, ...).

Signature checks go through a bounded cache of verified ``(public key, signature, message
digest)`` triples: Ed25519 verification is a pure function, so a certificate seen again (a QC
carried in every message of a round) is checked once per process.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar, cast

from libra import bcs
from libra.crypto import (
    CryptoHasher,
    Ed25519PrivateKey,
    Ed25519PublicKey,
    Ed25519Signature,
    HashValue,
    hash_prefix,
    sha3_256,
)
from libra.types.account_address import AccountAddress
from libra.types.ledger import (
    BlockInfo,
    LedgerInfo,
    LedgerInfoWithSignatures,
    LedgerInfoWithV0,
    ValidatorVerifier,
    VerifyError,
)
from libra.types.transaction import SignedTransaction

__all__ = [
    "Block",
    "BlockData",
    "BlockRetrievalRequest",
    "BlockRetrievalResponse",
    "BlockRetrievalStatus",
    "BlockType",
    "ConsensusMsg",
    "EpochChangeProof",
    "EpochRetrievalRequest",
    "Genesis",
    "MsgBlockRetrievalRequest",
    "MsgBlockRetrievalResponse",
    "MsgEpochChangeProof",
    "MsgEpochRetrievalRequest",
    "MsgProposal",
    "MsgSyncInfo",
    "MsgVote",
    "NilBlock",
    "Payload",
    "Proposal",
    "ProposalMsg",
    "QuorumCert",
    "RetrievalIdNotFound",
    "RetrievalNotEnoughBlocks",
    "RetrievalSucceeded",
    "SyncInfo",
    "Timeout",
    "TimeoutCertificate",
    "TimeoutSigningRepr",
    "TwoChainTimeout",
    "TwoChainTimeoutCertificate",
    "Vote",
    "VoteData",
    "VoteMsg",
    "empty_block_info",
    "genesis_block_info",
    "ledger_info_v0",
    "verify_cached",
]

Payload = tuple[SignedTransaction, ...]
"""What a proposal orders: user transactions."""

_BLOCK_DATA_HASHER = CryptoHasher("BlockData")
_BLOCK_DATA_PREFIX = hash_prefix("BlockData")
_VOTE_DATA_HASHER = CryptoHasher("VoteData")
_TIMEOUT_PREFIX = hash_prefix("TimeoutSigningRepr")
_TIMEOUT_V3_PREFIX = hash_prefix("Timeout")

# --------------------------------------------------------------------------------------------
# Cached signature verification

_VERIFIED: OrderedDict[tuple[bytes, bytes, bytes], None] = OrderedDict()
_VERIFIED_MAX = 200_000


def verify_cached(public_key: Ed25519PublicKey, message: bytes, signature: bytes) -> bool:
    """``public_key.verify(message, signature)``, remembering successes.

    Only valid signatures are remembered (keyed by the SHA3-256 of the message), so the result
    is always the one a fresh verification would give."""
    key = (bytes(public_key), bytes(signature), sha3_256(message))
    if key in _VERIFIED:
        return True
    if not public_key.verify(message, signature):
        return False
    _VERIFIED[key] = None
    if len(_VERIFIED) > _VERIFIED_MAX:
        _VERIFIED.popitem(last=False)
    return True


def _check_signature(
    verifier: ValidatorVerifier, author: AccountAddress, message: bytes, signature: bytes
) -> None:
    key = verifier.public_key(author)
    if key is None:
        raise VerifyError(f"unknown validator {author.hex()}")
    if not verify_cached(key, message, signature):
        raise VerifyError(f"invalid signature from validator {author.hex()}")


def _check_quorum(
    verifier: ValidatorVerifier, message: bytes, signatures: dict[AccountAddress, Ed25519Signature]
) -> None:
    verifier.check_voting_power(list(signatures))
    for author, sig in signatures.items():
        _check_signature(verifier, author, message, sig)


def ledger_info_v0(li: LedgerInfoWithSignatures) -> LedgerInfoWithV0:
    """The only variant of :class:`LedgerInfoWithSignatures`."""
    if not isinstance(li, LedgerInfoWithV0):
        raise VerifyError(f"unsupported ledger info version {type(li).__name__}")
    return li


def empty_block_info() -> BlockInfo:
    """Diem's ``BlockInfo::empty()``: what a ledger info commits when it commits nothing."""
    zero = HashValue.zero()
    return BlockInfo(0, 0, zero, zero, 0, 0, None)


_EMPTY_BLOCK_INFO = empty_block_info()

_R = TypeVar("_R")


class _Memo:
    """A slot for a value computed once from an immutable message (its hash)."""

    __slots__ = ("_memo",)

    def _verified_by(self, verifier: ValidatorVerifier, check: Callable[[], None]) -> None:
        """Runs ``check`` unless this very message already passed it against ``verifier``."""
        try:
            if object.__getattribute__(self, "_memo") is verifier:
                return
        except AttributeError:
            pass
        check()
        object.__setattr__(self, "_memo", verifier)

    def _memoized(self, compute: Callable[[], _R]) -> _R:
        try:
            return cast(_R, object.__getattribute__(self, "_memo"))
        except AttributeError:
            value = compute()
            object.__setattr__(self, "_memo", value)
            return value


# --------------------------------------------------------------------------------------------
# Vote data and quorum certificates


@bcs.struct
class VoteData(_Memo):
    """The block a vote certifies and its parent."""

    proposed: BlockInfo
    parent: BlockInfo

    def hash(self) -> HashValue:
        return self._memoized(lambda: _VOTE_DATA_HASHER.hash(bcs.encode(self)))

    def verify(self) -> None:
        """The parent precedes the proposed block in the same epoch."""
        p, c = self.parent, self.proposed
        if p.epoch != c.epoch:
            raise VerifyError(f"parent epoch {p.epoch} != proposed epoch {c.epoch}")
        if p.round >= c.round:
            raise VerifyError(f"parent round {p.round} is not below proposed round {c.round}")
        if p.timestamp_usecs > c.timestamp_usecs:
            raise VerifyError(
                f"parent timestamp {p.timestamp_usecs} after proposed {c.timestamp_usecs}"
            )
        if p.version > c.version:
            raise VerifyError(f"parent version {p.version} above proposed version {c.version}")


@bcs.struct
class QuorumCert(_Memo):
    """2f+1 votes on the same ledger info: the block it certifies is ``certified_block``."""

    vote_data: VoteData
    signed_ledger_info: LedgerInfoWithSignatures

    @property
    def ledger_info(self) -> LedgerInfoWithV0:
        return ledger_info_v0(self.signed_ledger_info)

    @property
    def certified_block(self) -> BlockInfo:
        return self.vote_data.proposed

    @property
    def parent_block(self) -> BlockInfo:
        return self.vote_data.parent

    @property
    def commit_info(self) -> BlockInfo:
        return self.ledger_info.ledger_info.commit_info

    def ends_epoch(self) -> bool:
        return self.commit_info.next_epoch_state is not None

    def commits(self) -> bool:
        """True when the ledger info commits a block (the 2-chain rule held)."""
        return self.commit_info != _EMPTY_BLOCK_INFO

    @classmethod
    def certificate_for_genesis(cls, ledger_info: LedgerInfo, genesis_id: HashValue) -> QuorumCert:
        """The unsigned certificate of an epoch's genesis block, built from the ledger info that
        ended the previous epoch (or the genesis ledger info)."""
        ancestor = genesis_block_info(ledger_info, genesis_id)
        vote_data = VoteData(ancestor, ancestor)
        li = LedgerInfo(ancestor, vote_data.hash())
        return cls(vote_data, LedgerInfoWithV0(li, {}))

    def verify(self, verifier: ValidatorVerifier) -> None:
        """Checks the vote data hash, the quorum of signatures and the vote data rules."""
        li = self.ledger_info
        if li.ledger_info.consensus_data_hash != self.vote_data.hash():
            raise VerifyError("quorum cert's consensus data hash does not match its vote data")
        if self.certified_block.round == 0:
            if self.parent_block != self.certified_block:
                raise VerifyError("genesis QC's parent differs from its certified block")
            if self.certified_block != li.ledger_info.commit_info:
                raise VerifyError("genesis QC must commit its certified block")
            if li.signatures:
                raise VerifyError("genesis QC must not carry signatures")
            return
        self.vote_data.verify()
        self._verified_by(
            verifier,
            lambda: _check_quorum(verifier, li.ledger_info.signing_message(), li.signatures),
        )


def genesis_block_info(ledger_info: LedgerInfo, genesis_id: HashValue) -> BlockInfo:
    """The block info of the genesis block of the epoch that follows ``ledger_info``."""
    epoch = ledger_info.commit_info.epoch
    nes = ledger_info.commit_info.next_epoch_state
    if nes is not None:
        epoch = nes.epoch
    return BlockInfo(
        epoch,
        0,
        genesis_id,
        ledger_info.commit_info.executed_state_id,
        ledger_info.commit_info.version,
        ledger_info.commit_info.timestamp_usecs,
        None,
    )


# --------------------------------------------------------------------------------------------
# Blocks


class BlockType(bcs.Enum):
    """What a block is: a leader's proposal, a NIL block made on timeout, or an epoch's genesis."""

    __slots__ = ()


@bcs.variant(0)
@bcs.struct
class Proposal(BlockType):
    payload: Payload
    author: AccountAddress


@bcs.variant(1)
@bcs.struct
class NilBlock(BlockType):
    pass


@bcs.variant(2)
@bcs.struct
class Genesis(BlockType):
    pass


@bcs.struct
class BlockData(_Memo):
    """The signed content of a block; its hash is the block id."""

    epoch: bcs.U64
    round: bcs.U64
    timestamp_usecs: bcs.U64
    quorum_cert: QuorumCert
    block_type: BlockType

    def hash(self) -> HashValue:
        return self._memoized(lambda: _BLOCK_DATA_HASHER.hash(bcs.encode(self)))

    def signing_message(self) -> bytes:
        return _BLOCK_DATA_PREFIX + bcs.encode(self)

    @property
    def author(self) -> AccountAddress | None:
        bt = self.block_type
        return bt.author if isinstance(bt, Proposal) else None

    @property
    def payload(self) -> Payload:
        bt = self.block_type
        return bt.payload if isinstance(bt, Proposal) else ()


@bcs.struct
class Block(_Memo):
    """A block: its data and, for proposals, the author's signature over it. The id (the hash
    of the data) is not serialized, as in Diem; it is recomputed on demand."""

    block_data: BlockData
    signature: Ed25519Signature | None

    @property
    def id(self) -> HashValue:
        return self.block_data.hash()

    @property
    def epoch(self) -> int:
        return self.block_data.epoch

    @property
    def round(self) -> int:
        return self.block_data.round

    @property
    def timestamp_usecs(self) -> int:
        return self.block_data.timestamp_usecs

    @property
    def quorum_cert(self) -> QuorumCert:
        return self.block_data.quorum_cert

    @property
    def parent_id(self) -> HashValue:
        return self.block_data.quorum_cert.certified_block.id

    @property
    def author(self) -> AccountAddress | None:
        return self.block_data.author

    @property
    def payload(self) -> Payload:
        return self.block_data.payload

    def is_genesis(self) -> bool:
        return isinstance(self.block_data.block_type, Genesis)

    def is_nil(self) -> bool:
        return isinstance(self.block_data.block_type, NilBlock)

    @classmethod
    def genesis(cls, ledger_info: LedgerInfo) -> Block:
        """The genesis block of the epoch that follows ``ledger_info``."""
        ancestor = genesis_block_info(ledger_info, HashValue.zero())
        vote_data = VoteData(ancestor, ancestor)
        qc = QuorumCert(vote_data, LedgerInfoWithV0(LedgerInfo(ancestor, HashValue.zero()), {}))
        data = BlockData(ancestor.epoch, 0, ancestor.timestamp_usecs, qc, Genesis())
        return cls(data, None)

    @classmethod
    def nil(cls, epoch: int, round: int, quorum_cert: QuorumCert) -> Block:
        """The NIL block every honest validator builds identically when round ``round`` times
        out: no payload, no author, the parent's timestamp."""
        parent = quorum_cert.certified_block
        return cls(BlockData(epoch, round, parent.timestamp_usecs, quorum_cert, NilBlock()), None)

    @classmethod
    def proposal(
        cls,
        epoch: int,
        round: int,
        timestamp_usecs: int,
        quorum_cert: QuorumCert,
        payload: Payload,
        author: AccountAddress,
        key: Ed25519PrivateKey,
    ) -> Block:
        """A proposal signed with ``key`` (tests and tools; validators sign through safety
        rules)."""
        data = BlockData(epoch, round, timestamp_usecs, quorum_cert, Proposal(payload, author))
        return cls(data, key.sign(data.signing_message()))

    def validate_signature(self, verifier: ValidatorVerifier) -> None:
        """The author's signature (for proposals) and the parent quorum cert."""
        bt = self.block_data.block_type
        if isinstance(bt, Genesis):
            raise VerifyError("a genesis block is never accepted from the network")
        if isinstance(bt, Proposal):
            if self.signature is None:
                raise VerifyError(f"proposal for round {self.round} carries no signature")
            _check_signature(verifier, bt.author, self.block_data.signing_message(), self.signature)
        elif self.signature is not None:
            raise VerifyError("a NIL block carries no signature")
        self.quorum_cert.verify(verifier)

    def verify_well_formed(self) -> None:
        """Structural rules between the block and the parent its quorum cert certifies."""
        if self.is_genesis():
            raise VerifyError("a genesis block is never accepted from the network")
        parent = self.quorum_cert.certified_block
        if parent.round >= self.round:
            raise VerifyError(f"block round {self.round} is not above parent round {parent.round}")
        if parent.epoch != self.epoch:
            raise VerifyError(f"block epoch {self.epoch} differs from parent epoch {parent.epoch}")
        if parent.next_epoch_state is not None and self.payload:
            raise VerifyError("a block after a reconfiguration must have an empty payload")
        if self.is_nil() or parent.next_epoch_state is not None:
            if self.timestamp_usecs != parent.timestamp_usecs:
                raise VerifyError(
                    f"block timestamp {self.timestamp_usecs} must equal its parent's "
                    f"{parent.timestamp_usecs}"
                )
        elif self.timestamp_usecs <= parent.timestamp_usecs:
            raise VerifyError(
                f"block timestamp {self.timestamp_usecs} is not after its parent's "
                f"{parent.timestamp_usecs}"
            )
        if self.quorum_cert.commits():
            commit = self.quorum_cert.commit_info
            if commit.round >= self.round:
                raise VerifyError("block's quorum cert commits a block at or above its round")


# --------------------------------------------------------------------------------------------
# Timeouts


@bcs.struct
class TimeoutSigningRepr:
    """What a validator signs when it times out: the round and its highest QC round."""

    epoch: bcs.U64
    round: bcs.U64
    hqc_round: bcs.U64

    def signing_message(self) -> bytes:
        return _TIMEOUT_PREFIX + bcs.encode(self)


@bcs.struct
class TwoChainTimeout:
    """A validator's timeout in ``round``, carrying its highest quorum cert."""

    epoch: bcs.U64
    round: bcs.U64
    quorum_cert: QuorumCert

    @property
    def hqc_round(self) -> int:
        return self.quorum_cert.certified_block.round

    def signing_repr(self, hqc_round: int | None = None) -> TimeoutSigningRepr:
        r = self.hqc_round if hqc_round is None else hqc_round
        return TimeoutSigningRepr(self.epoch, self.round, r)

    def signing_message(self) -> bytes:
        return self.signing_repr().signing_message()

    def verify(self, verifier: ValidatorVerifier) -> None:
        if self.hqc_round >= self.round:
            raise VerifyError(
                f"timeout's highest QC round {self.hqc_round} is not below its round {self.round}"
            )
        if self.quorum_cert.certified_block.epoch != self.epoch:
            raise VerifyError("timeout's quorum cert is from another epoch")
        self.quorum_cert.verify(verifier)


@bcs.struct
class TwoChainTimeoutCertificate(_Memo):
    """2f+1 timeouts for one round; each signer signed its own highest QC round, and the
    carried timeout holds the highest of them."""

    timeout: TwoChainTimeout
    signatures: dict[AccountAddress, tuple[bcs.U64, Ed25519Signature]]

    @property
    def epoch(self) -> int:
        return self.timeout.epoch

    @property
    def round(self) -> int:
        return self.timeout.round

    @property
    def highest_hqc_round(self) -> int:
        return self.timeout.hqc_round

    def verify(self, verifier: ValidatorVerifier) -> None:
        self.timeout.verify(verifier)
        self._verified_by(verifier, lambda: self._verify_signatures(verifier))

    def _verify_signatures(self, verifier: ValidatorVerifier) -> None:
        rounds = [r for r, _ in self.signatures.values()]
        if not rounds or max(rounds) != self.timeout.hqc_round:
            raise VerifyError(
                f"timeout certificate's QC round {self.timeout.hqc_round} is not the highest "
                f"signed round {max(rounds, default=None)}"
            )
        verifier.check_voting_power(list(self.signatures))
        for author, (hqc_round, sig) in self.signatures.items():
            msg = self.timeout.signing_repr(hqc_round).signing_message()
            _check_signature(verifier, author, msg, sig)


@bcs.struct
class Timeout:
    """DiemBFT v3 timeout (kept for layout compatibility; v4 uses :class:`TwoChainTimeout`)."""

    epoch: bcs.U64
    round: bcs.U64

    def signing_message(self) -> bytes:
        return _TIMEOUT_V3_PREFIX + bcs.encode(self)


@bcs.struct
class TimeoutCertificate:
    """DiemBFT v3 timeout certificate (kept for layout compatibility; never produced)."""

    timeout: Timeout
    signatures: dict[AccountAddress, Ed25519Signature]

    def verify(self, verifier: ValidatorVerifier) -> None:
        _check_quorum(verifier, self.timeout.signing_message(), self.signatures)


# --------------------------------------------------------------------------------------------
# Votes


@bcs.struct
class Vote:
    """A validator's vote on an executed block, optionally carrying its 2-chain timeout."""

    vote_data: VoteData
    author: AccountAddress
    ledger_info: LedgerInfo
    signature: Ed25519Signature
    timeout_signature: Ed25519Signature | None = None
    two_chain_timeout: tuple[TwoChainTimeout, Ed25519Signature] | None = None

    @property
    def epoch(self) -> int:
        return self.vote_data.proposed.epoch

    @property
    def round(self) -> int:
        return self.vote_data.proposed.round

    def is_timeout(self) -> bool:
        return self.two_chain_timeout is not None

    def with_timeout(self, timeout: TwoChainTimeout, signature: Ed25519Signature) -> Vote:
        return Vote(
            self.vote_data,
            self.author,
            self.ledger_info,
            self.signature,
            self.timeout_signature,
            (timeout, signature),
        )

    def verify(self, verifier: ValidatorVerifier) -> None:
        if self.ledger_info.consensus_data_hash != self.vote_data.hash():
            raise VerifyError("vote's consensus data hash does not match its vote data")
        if self.timeout_signature is not None:
            raise VerifyError("DiemBFT v3 timeout signatures are not accepted")
        _check_signature(verifier, self.author, self.ledger_info.signing_message(), self.signature)
        if self.two_chain_timeout is not None:
            timeout, sig = self.two_chain_timeout
            if timeout.epoch != self.epoch or timeout.round != self.round:
                raise VerifyError(
                    f"timeout (epoch {timeout.epoch}, round {timeout.round}) does not match the "
                    f"vote (epoch {self.epoch}, round {self.round})"
                )
            timeout.verify(verifier)
            _check_signature(verifier, self.author, timeout.signing_message(), sig)
        self.vote_data.verify()


# --------------------------------------------------------------------------------------------
# Sync info and network messages


@bcs.struct
class SyncInfo:
    """A validator's highest certificates, attached to every proposal and vote."""

    highest_quorum_cert: QuorumCert
    highest_commit_cert: QuorumCert | None
    highest_timeout_cert: TimeoutCertificate | None = None
    highest_2chain_timeout_cert: TwoChainTimeoutCertificate | None = None

    @property
    def commit_cert(self) -> QuorumCert:
        return self.highest_commit_cert or self.highest_quorum_cert

    @property
    def epoch(self) -> int:
        return self.highest_quorum_cert.certified_block.epoch

    @property
    def hqc_round(self) -> int:
        return self.highest_quorum_cert.certified_block.round

    @property
    def commit_round(self) -> int:
        return self.commit_cert.commit_info.round

    @property
    def htc_round(self) -> int:
        tc = self.highest_2chain_timeout_cert
        return tc.round if tc is not None else 0

    @property
    def highest_round(self) -> int:
        return max(self.hqc_round, self.htc_round)

    def verify(self, verifier: ValidatorVerifier) -> None:
        epoch = self.epoch
        cc = self.commit_cert
        if cc.certified_block.epoch != epoch:
            raise VerifyError("sync info's commit cert is from another epoch")
        tc = self.highest_2chain_timeout_cert
        if tc is not None and tc.epoch != epoch:
            raise VerifyError("sync info's timeout cert is from another epoch")
        if self.highest_timeout_cert is not None:
            raise VerifyError("DiemBFT v3 timeout certificates are not accepted")
        if cc.certified_block.round > self.hqc_round:
            raise VerifyError(
                f"commit cert round {cc.certified_block.round} above highest QC round "
                f"{self.hqc_round}"
            )
        self.highest_quorum_cert.verify(verifier)
        if self.highest_commit_cert is not None and cc is not self.highest_quorum_cert:
            cc.verify(verifier)
        if tc is not None:
            tc.verify(verifier)


@bcs.struct
class ProposalMsg:
    """A leader's proposal with its sync info."""

    proposal: Block
    sync_info: SyncInfo

    def verify(self, verifier: ValidatorVerifier) -> None:
        if not isinstance(self.proposal.block_data.block_type, Proposal):
            raise VerifyError("a proposal message must carry a proposal block")
        if self.proposal.epoch != self.sync_info.epoch:
            raise VerifyError(
                f"proposal epoch {self.proposal.epoch} != sync info epoch {self.sync_info.epoch}"
            )
        previous = self.sync_info.highest_round
        if self.proposal.round != previous + 1:
            raise VerifyError(
                f"proposal round {self.proposal.round} does not follow the sync info's highest "
                f"round {previous}"
            )
        if self.proposal.quorum_cert.certified_block.round > self.sync_info.hqc_round:
            raise VerifyError("proposal's quorum cert is above the sync info's highest QC")
        self.proposal.verify_well_formed()
        self.proposal.validate_signature(verifier)
        self.sync_info.verify(verifier)


@bcs.struct
class VoteMsg:
    """A vote with the voter's sync info."""

    vote: Vote
    sync_info: SyncInfo

    def verify(self, verifier: ValidatorVerifier) -> None:
        if self.vote.epoch != self.sync_info.epoch:
            raise VerifyError(
                f"vote epoch {self.vote.epoch} != sync info epoch {self.sync_info.epoch}"
            )
        self.vote.verify(verifier)
        self.sync_info.verify(verifier)


@bcs.struct
class BlockRetrievalRequest:
    """Asks for ``num_blocks`` blocks: ``block_id`` and then its ancestors."""

    block_id: HashValue
    num_blocks: bcs.U64


class BlockRetrievalStatus(bcs.Enum):
    __slots__ = ()


@bcs.variant(0)
@bcs.struct
class RetrievalSucceeded(BlockRetrievalStatus):
    pass


@bcs.variant(1)
@bcs.struct
class RetrievalIdNotFound(BlockRetrievalStatus):
    pass


@bcs.variant(2)
@bcs.struct
class RetrievalNotEnoughBlocks(BlockRetrievalStatus):
    pass


@bcs.struct
class BlockRetrievalResponse:
    """Blocks from the requested one back towards genesis, child first."""

    status: BlockRetrievalStatus
    blocks: tuple[Block, ...]

    def verify(self, block_id: HashValue, num_blocks: int, verifier: ValidatorVerifier) -> None:
        """Checks the chain answers the request: ids link child to parent and every block is
        signed and well formed."""
        if isinstance(self.status, RetrievalSucceeded) and len(self.blocks) != num_blocks:
            raise VerifyError(f"expected {num_blocks} blocks, got {len(self.blocks)}")
        if len(self.blocks) > num_blocks:
            raise VerifyError(f"asked for {num_blocks} blocks, got {len(self.blocks)}")
        expected = block_id
        for block in self.blocks:
            if block.id != expected:
                raise VerifyError(f"block {block.id.hex()} is not the expected {expected.hex()}")
            if not block.is_genesis():
                block.verify_well_formed()
                block.validate_signature(verifier)
            expected = block.parent_id


@bcs.struct
class EpochRetrievalRequest:
    """Asks for the ledger infos that ended epochs ``start_epoch`` .. ``end_epoch - 1``."""

    start_epoch: bcs.U64
    end_epoch: bcs.U64


@bcs.struct
class EpochChangeProof:
    """Epoch-ending ledger infos, each signed by the validators of its epoch."""

    ledger_info_with_sigs: tuple[LedgerInfoWithSignatures, ...]
    more: bool

    def verify(self, epoch: int, verifier: ValidatorVerifier) -> LedgerInfoWithV0:
        """Follows the chain of epoch changes from ``epoch`` (trusted ``verifier``) and returns
        the last ledger info, whose next epoch state is the new trusted validator set."""
        if not self.ledger_info_with_sigs:
            raise VerifyError("empty epoch change proof")
        current_epoch, current = epoch, verifier
        last: LedgerInfoWithV0 | None = None
        for item in self.ledger_info_with_sigs:
            li = ledger_info_v0(item)
            if li.ledger_info.epoch != current_epoch:
                raise VerifyError(
                    f"epoch change proof skips from epoch {current_epoch} to {li.ledger_info.epoch}"
                )
            nes = li.ledger_info.commit_info.next_epoch_state
            if nes is None:
                raise VerifyError(f"ledger info of epoch {current_epoch} does not end the epoch")
            _check_quorum(current, li.ledger_info.signing_message(), li.signatures)
            current_epoch, current = nes.epoch, nes.verifier
            last = li
        if last is None:  # pragma: no cover - the loop ran at least once
            raise VerifyError("empty epoch change proof")
        return last


class ConsensusMsg(bcs.Enum):
    """Everything validators send each other for consensus."""

    __slots__ = ()


@bcs.variant(0)
@bcs.struct
class MsgBlockRetrievalRequest(ConsensusMsg):
    value: BlockRetrievalRequest


@bcs.variant(1)
@bcs.struct
class MsgBlockRetrievalResponse(ConsensusMsg):
    value: BlockRetrievalResponse


@bcs.variant(2)
@bcs.struct
class MsgEpochRetrievalRequest(ConsensusMsg):
    value: EpochRetrievalRequest


@bcs.variant(3)
@bcs.struct
class MsgProposal(ConsensusMsg):
    value: ProposalMsg


@bcs.variant(4)
@bcs.struct
class MsgSyncInfo(ConsensusMsg):
    value: SyncInfo


@bcs.variant(5)
@bcs.struct
class MsgEpochChangeProof(ConsensusMsg):
    value: EpochChangeProof


@bcs.variant(6)
@bcs.struct
class MsgVote(ConsensusMsg):
    value: VoteMsg
