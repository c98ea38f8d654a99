"""DiemBFT v4 consensus: safety rules, pacemaker, block tree, proposer election, round manager,
epoch changes, and a deterministic in-process simulation (with Twins) of whole networks.

Consensus knows execution only through :class:`StateComputer` and the mempool only through
:class:`PayloadSource`; it performs no I/O: a driver feeds it messages and timer ticks with the
current time and carries out the actions it returns.
"""

from __future__ import annotations

from libra.consensus.block_store import BlockStore, CommitOutcome, ExecutedBlock
from libra.consensus.errors import (
    BlockStoreError,
    ConsensusError,
    ExecutionMismatch,
    IncorrectEpoch,
    IncorrectLastVotedRound,
    InvalidCertificate,
    InvalidProposal,
    MissingBlock,
    NotInitialized,
    NotSafeToTimeout,
    NotSafeToVote,
    SafetyError,
    SafetyStorageError,
    StateComputerError,
)
from libra.consensus.node import (
    ConsensusNode,
    ElectionFactory,
    EpochStarted,
    find_root,
    leader_reputation,
    round_robin,
)
from libra.consensus.persistence import BlockPersistence, MemoryBlockPersistence, PersistedTree
from libra.consensus.proposer_election import (
    CommitHistory,
    CommittedBlockMeta,
    LeaderReputation,
    ProposerElection,
    RoundRobin,
    ScriptedElection,
)
from libra.consensus.round_manager import (
    Action,
    Broadcast,
    Committed,
    ConsensusConfig,
    RoundManager,
    Send,
    SetTimer,
    SyncedTo,
)
from libra.consensus.round_state import ExponentialTimeInterval, PendingVotes, RoundState
from libra.consensus.safety_rules import (
    MemorySafetyStorage,
    SafetyData,
    SafetyRules,
    SafetyStorage,
)
from libra.consensus.state_computer import PayloadSource, StateComputer, StateComputeResult

__all__ = [
    "Action",
    "BlockPersistence",
    "BlockStore",
    "BlockStoreError",
    "Broadcast",
    "CommitHistory",
    "CommitOutcome",
    "Committed",
    "CommittedBlockMeta",
    "ConsensusConfig",
    "ConsensusError",
    "ConsensusNode",
    "ElectionFactory",
    "EpochStarted",
    "ExecutedBlock",
    "ExecutionMismatch",
    "ExponentialTimeInterval",
    "IncorrectEpoch",
    "IncorrectLastVotedRound",
    "InvalidCertificate",
    "InvalidProposal",
    "LeaderReputation",
    "MemoryBlockPersistence",
    "MemorySafetyStorage",
    "MissingBlock",
    "NotInitialized",
    "NotSafeToTimeout",
    "NotSafeToVote",
    "PayloadSource",
    "PendingVotes",
    "PersistedTree",
    "ProposerElection",
    "RoundManager",
    "RoundRobin",
    "RoundState",
    "SafetyData",
    "SafetyError",
    "SafetyRules",
    "SafetyStorage",
    "SafetyStorageError",
    "ScriptedElection",
    "Send",
    "SetTimer",
    "StateComputeResult",
    "StateComputer",
    "StateComputerError",
    "SyncedTo",
    "find_root",
    "leader_reputation",
    "round_robin",
]
