"""Who proposes in each round: round-robin, leader reputation, or a fixed script (Twins)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from libra.crypto import sha3_256
from libra.types.account_address import AccountAddress

__all__ = [
    "CommitHistory",
    "CommittedBlockMeta",
    "LeaderReputation",
    "ProposerElection",
    "RoundRobin",
    "ScriptedElection",
]


class ProposerElection(Protocol):
    """Deterministic: every honest validator with the same inputs names the same proposer."""

    def get_valid_proposer(self, round: int) -> AccountAddress: ...


class RoundRobin:
    """Validators in turn, each for ``contiguous_rounds`` rounds."""

    def __init__(self, proposers: Sequence[AccountAddress], contiguous_rounds: int = 1) -> None:
        if not proposers or contiguous_rounds < 1:
            raise ValueError("round-robin needs proposers and at least one round each")
        self.proposers = tuple(proposers)
        self.contiguous_rounds = contiguous_rounds

    def get_valid_proposer(self, round: int) -> AccountAddress:
        return self.proposers[(round // self.contiguous_rounds) % len(self.proposers)]


class ScriptedElection:
    """Leaders given per round (Twins scenarios); other rounds fall back to ``fallback``."""

    def __init__(self, leaders: Mapping[int, AccountAddress], fallback: ProposerElection) -> None:
        self.leaders = dict(leaders)
        self.fallback = fallback

    def get_valid_proposer(self, round: int) -> AccountAddress:
        leader = self.leaders.get(round)
        return leader if leader is not None else self.fallback.get_valid_proposer(round)


@dataclass(frozen=True, slots=True)
class CommittedBlockMeta:
    """What a committed block says about participation: its round, proposer (None for NIL
    blocks) and the validators whose votes certified its parent."""

    epoch: int
    round: int
    proposer: AccountAddress | None
    voters: tuple[AccountAddress, ...]


class CommitHistory:
    """The most recent committed blocks' metadata, in commit order."""

    def __init__(self, capacity: int = 1000) -> None:
        self._items: deque[CommittedBlockMeta] = deque(maxlen=capacity)

    def record(self, meta: CommittedBlockMeta) -> None:
        self._items.append(meta)

    def window(self, epoch: int, max_round: int, size: int) -> list[CommittedBlockMeta]:
        """The last ``size`` blocks of ``epoch`` with round at most ``max_round``."""
        out: list[CommittedBlockMeta] = []
        for meta in reversed(self._items):
            if meta.epoch != epoch or meta.round > max_round:
                continue
            out.append(meta)
            if len(out) >= size:
                break
        return out


def choose_index(weights: Sequence[int], seed: bytes) -> int:
    """A deterministic weighted choice: the SHA3-256 of ``seed`` read as a number below the
    total weight picks the validator whose cumulative weight range contains it."""
    total = sum(weights)
    if total <= 0:
        raise ValueError("weights must have a positive sum")
    point = int.from_bytes(sha3_256(seed)[:16], "little") % total
    acc = 0
    for i, w in enumerate(weights):
        acc += w
        if point < acc:
            return i
    return len(weights) - 1  # pragma: no cover - point < total


class LeaderReputation:
    """Diem's active/inactive heuristic: validators that proposed or voted in the recent
    committed window weigh ``active_weight``, the others ``inactive_weight``; the leader of a
    round is a weighted choice seeded by (epoch, round).

    The window only includes blocks committed at rounds at most ``round - exclude_rounds``, so
    validators that have committed the same prefix agree on the leader."""

    def __init__(
        self,
        epoch: int,
        proposers: Sequence[AccountAddress],
        history: CommitHistory,
        window_size: int = 10,
        exclude_rounds: int = 4,
        active_weight: int = 100,
        inactive_weight: int = 1,
    ) -> None:
        if not proposers:
            raise ValueError("leader reputation needs proposers")
        self.epoch = epoch
        self.proposers = tuple(sorted(proposers))
        self.history = history
        self.window_size = window_size
        self.exclude_rounds = exclude_rounds
        self.active_weight = active_weight
        self.inactive_weight = inactive_weight

    def weights(self, round: int) -> list[int]:
        window = self.history.window(self.epoch, round - self.exclude_rounds, self.window_size)
        active: set[AccountAddress] = set()
        for meta in window:
            if meta.proposer is not None:
                active.add(meta.proposer)
            active.update(meta.voters)
        return [self.active_weight if p in active else self.inactive_weight for p in self.proposers]

    def get_valid_proposer(self, round: int) -> AccountAddress:
        seed = self.epoch.to_bytes(8, "little") + round.to_bytes(8, "little")
        return self.proposers[choose_index(self.weights(round), seed)]


def ordered_validators(addresses: Iterable[AccountAddress]) -> list[AccountAddress]:
    """Validators in canonical (address) order."""
    return sorted(addresses)
