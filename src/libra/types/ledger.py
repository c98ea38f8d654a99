"""Ledger types: transaction infos, block infos, ledger infos and the validator set."""

from __future__ import annotations

from dataclasses import field

from libra import bcs
from libra.crypto import CryptoHasher, Ed25519PublicKey, Ed25519Signature, HashValue, hash_prefix
from libra.types.account_address import AccountAddress
from libra.types.move import ModuleId


class VerifyError(ValueError):
    """A signature or quorum check failed; the message says which and why."""


# ---------------------------------------------------------------------------------------------
# Transaction outcomes


class AbortLocation(bcs.Enum):
    __slots__ = ()


@bcs.variant(0)
@bcs.struct
class AbortInModule(AbortLocation):
    module: ModuleId

    def __str__(self) -> str:
        return str(self.module)


@bcs.variant(1)
@bcs.struct
class AbortInScript(AbortLocation):
    def __str__(self) -> str:
        return "Script"


class KeptVMStatus(bcs.Enum):
    """The status of a committed transaction."""

    __slots__ = ()


@bcs.variant(0)
@bcs.struct
class Executed(KeptVMStatus):
    pass


@bcs.variant(1)
@bcs.struct
class OutOfGas(KeptVMStatus):
    pass


@bcs.variant(2)
@bcs.struct
class MoveAbort(KeptVMStatus):
    location: AbortLocation
    code: bcs.U64


@bcs.variant(3)
@bcs.struct
class ExecutionFailure(KeptVMStatus):
    location: AbortLocation
    function: bcs.U16
    code_offset: bcs.U16


@bcs.variant(4)
@bcs.struct
class MiscellaneousError(KeptVMStatus):
    pass


_TXN_INFO_HASHER = CryptoHasher("TransactionInfo")


@bcs.struct
class TransactionInfo:
    """What the transaction accumulator commits to for each version."""

    transaction_hash: HashValue
    state_root_hash: HashValue
    event_root_hash: HashValue
    gas_used: bcs.U64
    status: KeptVMStatus

    def hash(self) -> HashValue:
        return _TXN_INFO_HASHER.hash(bcs.encode(self))


# ---------------------------------------------------------------------------------------------
# Validator set


@bcs.struct
class ValidatorConsensusInfo:
    public_key: Ed25519PublicKey
    voting_power: bcs.U64


def _quorum(total: int) -> int:
    return total * 2 // 3 + 1


@bcs.struct
class ValidatorVerifier:
    """The validators of an epoch with their consensus keys and voting power.

    A quorum is more than two thirds of the total voting power (2f+1 of 3f+1 equal votes).
    """

    address_to_validator_info: dict[AccountAddress, ValidatorConsensusInfo]
    quorum_voting_power: bcs.U64
    total_voting_power: bcs.U64

    def __post_init__(self) -> None:
        total = sum(v.voting_power for v in self.address_to_validator_info.values())
        if total != self.total_voting_power:
            raise ValueError(f"total voting power {self.total_voting_power} != sum {total}")
        expected = _quorum(total) if total else 0
        if self.quorum_voting_power != expected:
            raise ValueError(f"quorum voting power {self.quorum_voting_power} != {expected}")

    @classmethod
    def create(cls, validators: dict[AccountAddress, ValidatorConsensusInfo]) -> ValidatorVerifier:
        total = sum(v.voting_power for v in validators.values())
        ordered = dict(sorted(validators.items()))
        return cls(ordered, _quorum(total) if total else 0, total)

    def __len__(self) -> int:
        return len(self.address_to_validator_info)

    def public_key(self, author: AccountAddress) -> Ed25519PublicKey | None:
        info = self.address_to_validator_info.get(author)
        return info.public_key if info is not None else None

    def voting_power(self, author: AccountAddress) -> int:
        info = self.address_to_validator_info.get(author)
        return info.voting_power if info is not None else 0

    def verify_signature(
        self, author: AccountAddress, message: bytes, signature: Ed25519Signature
    ) -> None:
        """Raises VerifyError unless ``author`` is a validator and signed ``message``."""
        key = self.public_key(author)
        if key is None:
            raise VerifyError(f"unknown validator {author.hex()}")
        if not key.verify(message, signature):
            raise VerifyError(f"invalid signature from validator {author.hex()}")

    def check_voting_power(self, authors: list[AccountAddress] | tuple[AccountAddress, ...]) -> int:
        """Raises VerifyError unless ``authors`` (distinct validators) hold a quorum."""
        seen: set[AccountAddress] = set()
        power = 0
        for a in authors:
            if a in seen:
                raise VerifyError(f"validator {a.hex()} counted twice")
            seen.add(a)
            info = self.address_to_validator_info.get(a)
            if info is None:
                raise VerifyError(f"unknown validator {a.hex()}")
            power += info.voting_power
        if power < self.quorum_voting_power:
            raise VerifyError(
                f"voting power {power} is below the quorum {self.quorum_voting_power}"
            )
        return power

    def verify_quorum(
        self, message: bytes, signatures: dict[AccountAddress, Ed25519Signature]
    ) -> None:
        """Raises VerifyError unless the signatures are valid and hold a quorum."""
        self.check_voting_power(list(signatures))
        for author, sig in signatures.items():
            self.verify_signature(author, message, sig)


@bcs.struct
class EpochState:
    """An epoch and the validators that sign its ledger infos."""

    epoch: bcs.U64
    verifier: ValidatorVerifier


# ---------------------------------------------------------------------------------------------
# Blocks and ledger infos

_LEDGER_INFO_PREFIX = hash_prefix("LedgerInfo")
_LEDGER_INFO_HASHER = CryptoHasher("LedgerInfo")


@bcs.struct
class BlockInfo:
    """What consensus certifies about a block: its position, id and the state after it."""

    epoch: bcs.U64
    round: bcs.U64
    id: HashValue
    executed_state_id: HashValue
    version: bcs.U64
    timestamp_usecs: bcs.U64
    next_epoch_state: EpochState | None = None

    def has_reconfiguration(self) -> bool:
        return self.next_epoch_state is not None


@bcs.struct
class LedgerInfo:
    """The state of the ledger at a committed block; validators sign it."""

    commit_info: BlockInfo
    consensus_data_hash: HashValue

    @property
    def epoch(self) -> int:
        return self.commit_info.epoch

    @property
    def version(self) -> int:
        return self.commit_info.version

    @property
    def transaction_accumulator_hash(self) -> HashValue:
        return self.commit_info.executed_state_id

    def ends_epoch(self) -> bool:
        return self.commit_info.next_epoch_state is not None

    def signing_message(self) -> bytes:
        """``sha3_256(b"DIEM::LedgerInfo") || bcs(self)``, what each validator signs."""
        return _LEDGER_INFO_PREFIX + bcs.encode(self)

    def hash(self) -> HashValue:
        return _LEDGER_INFO_HASHER.hash(bcs.encode(self))


class LedgerInfoWithSignatures(bcs.Enum):
    __slots__ = ()


@bcs.variant(0)
@bcs.struct
class LedgerInfoWithV0(LedgerInfoWithSignatures):
    """A ledger info with the validators' signatures over it."""

    ledger_info: LedgerInfo
    signatures: dict[AccountAddress, Ed25519Signature] = field(default_factory=dict)

    def verify(self, verifier: ValidatorVerifier) -> None:
        """Raises VerifyError unless a quorum of ``verifier`` signed the ledger info."""
        verifier.verify_quorum(self.ledger_info.signing_message(), self.signatures)
