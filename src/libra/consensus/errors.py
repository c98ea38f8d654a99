"""The ways consensus refuses to act: one hierarchy, each error carrying the values involved."""

from __future__ import annotations


class ConsensusError(Exception):
    """Base of every consensus error."""


class SafetyError(ConsensusError):
    """Safety rules refused to sign."""


class NotSafeToVote(SafetyError):
    """The DiemBFT v4 voting rule does not hold for the block."""

    def __init__(self, round: int, qc_round: int, tc_round: int, hqc_round: int) -> None:
        self.round = round
        self.qc_round = qc_round
        self.tc_round = tc_round
        self.hqc_round = hqc_round
        super().__init__(
            f"not safe to vote: round {round}, qc round {qc_round}, tc round {tc_round}, "
            f"tc highest qc round {hqc_round}"
        )


class NotSafeToTimeout(SafetyError):
    """The DiemBFT v4 timeout rule does not hold."""

    def __init__(self, round: int, qc_round: int, tc_round: int, one_chain_round: int) -> None:
        self.round = round
        self.qc_round = qc_round
        self.tc_round = tc_round
        self.one_chain_round = one_chain_round
        super().__init__(
            f"not safe to time out: round {round}, qc round {qc_round}, tc round {tc_round}, "
            f"one-chain round {one_chain_round}"
        )


class IncorrectLastVotedRound(SafetyError):
    """A vote or timeout for a round at or below the last one signed."""

    def __init__(self, round: int, last_voted_round: int) -> None:
        self.round = round
        self.last_voted_round = last_voted_round
        super().__init__(f"round {round} is not above the last voted round {last_voted_round}")


class IncorrectEpoch(SafetyError):
    """A message of another epoch than the one safety rules are in."""

    def __init__(self, epoch: int, expected: int) -> None:
        self.epoch = epoch
        self.expected = expected
        super().__init__(f"epoch {epoch} but safety rules are in epoch {expected}")


class InvalidProposal(SafetyError):
    """A block safety rules will not sign or vote for; the message says why."""


class InvalidCertificate(SafetyError):
    """A quorum or timeout certificate did not verify."""


class NotInitialized(SafetyError):
    """Safety rules have no epoch state yet, or this validator is not in it."""


class SafetyStorageError(SafetyError):
    """Safety data could not be read or made durable."""


class BlockStoreError(ConsensusError):
    """The block tree cannot take a block or certificate."""


class MissingBlock(BlockStoreError):
    """A block or its parent is not in the tree."""

    def __init__(self, block_id: bytes, what: str = "block") -> None:
        self.block_id = bytes(block_id)
        super().__init__(f"{what} {bytes(block_id).hex()} is not in the block tree")


class ExecutionMismatch(BlockStoreError):
    """Local execution disagrees with what a quorum certified."""

    def __init__(self, block_id: bytes, expected: bytes, got: bytes) -> None:
        self.block_id = bytes(block_id)
        self.expected = bytes(expected)
        self.got = bytes(got)
        super().__init__(
            f"block {bytes(block_id).hex()} executed to {bytes(got).hex()}, "
            f"certified {bytes(expected).hex()}"
        )


class StateComputerError(ConsensusError):
    """The state computer could not execute, commit or sync."""
