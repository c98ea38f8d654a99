"""Twins: Byzantine behaviour by running two honest nodes with the same identity.

Each scenario, generated from a seed, runs ``n`` validators of which ``twins`` have a twin (a
second instance with the same key but its own safety storage, so the pair can equivocate).
For every round the scenario names the leader and a partition of the instances; a message
sent by an instance in round r reaches only instances in its group of round r's partition.
After the scripted rounds the network heals. The check: no two honest instances (validators
without a twin) commit different states at the same version or different blocks at the same
round, and no honest validator signs twice in a round.

With ``twins <= f`` no scenario may violate safety; with ``f + 1`` twins some must (the
negative control showing the check has teeth).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from libra.consensus.node import ElectionFactory
from libra.consensus.proposer_election import (
    CommitHistory,
    ProposerElection,
    RoundRobin,
    ScriptedElection,
)
from libra.consensus.round_manager import ConsensusConfig
from libra.consensus.sim import (
    SharedPool,
    SimNetworkConfig,
    Simulation,
    genesis_ledger_info,
    make_transactions,
    make_validators,
)
from libra.types.consensus import ConsensusMsg
from libra.types.ledger import EpochState

__all__ = ["ScenarioResult", "TwinsSummary", "run", "run_scenario"]

_TWINS_CONFIG = ConsensusConfig(
    round_timeout_base_ms=100, round_timeout_max_exponent=2, max_block_txns=4
)
_TWINS_NET = SimNetworkConfig(min_delay_ms=1, max_delay_ms=10)


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    """One scenario's outcome."""

    index: int
    violations: tuple[str, ...]
    honest_commits: int
    max_round: int


@dataclass(frozen=True)
class TwinsSummary:
    """The outcome of a batch of scenarios (JSON-able through :meth:`to_json`)."""

    scenarios: int
    seed: int
    n: int
    f: int
    twins: int
    rounds: int
    scenarios_with_violations: int
    first_violating_scenarios: list[int] = field(default_factory=list)
    example_violation: str | None = None
    honest_commits: int = 0
    scenarios_with_commits: int = 0
    elapsed_seconds: float = 0.0

    @property
    def safe(self) -> bool:
        return self.scenarios_with_violations == 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _scenario_rng(seed: int, index: int) -> random.Random:
    return random.Random(seed * 1_000_003 + index)


def _partition(rng: random.Random, instances: int) -> list[int]:
    """Group id per instance: everyone together, or a random split into two groups."""
    if rng.random() < 0.3:
        return [0] * instances
    groups = [rng.randrange(2) for _ in range(instances)]
    return groups


def run_scenario(
    index: int,
    seed: int,
    n: int,
    twins: int,
    rounds: int = 8,
    partitions: int = 2,
    txns: int = 12,
) -> ScenarioResult:
    """Runs scenario ``index`` of the batch generated from ``seed``."""
    rng = _scenario_rng(seed, index)
    validators = make_validators(n)
    instances = [*validators, *validators[:twins]]
    honest = list(range(twins, n))
    addresses = [v.address for v in validators]
    leaders = {r: rng.choice(addresses) for r in range(1, rounds + 1)}
    pool_parts = [_partition(rng, len(instances)) for _ in range(partitions)]
    per_round = {r: rng.choice(pool_parts) for r in range(1, rounds + 1)}
    fallback = RoundRobin(sorted(addresses))

    def election(es: EpochState, history: CommitHistory) -> ProposerElection:
        return ScriptedElection(leaders, fallback)

    factory: ElectionFactory = election
    sim = Simulation(
        instances,
        genesis_ledger_info(validators),
        SharedPool(make_transactions(txns, senders=4)),
        seed=rng.randrange(2**32),
        network=_TWINS_NET,
        config=_TWINS_CONFIG,
        election=factory,
    )

    def link(src: int, dst: int, msg: ConsensusMsg, now: int) -> bool:
        rm = sim.instances[src].node.round_manager
        r = rm.current_round if rm is not None else 0
        groups = per_round.get(r)
        return groups is None or groups[src] == groups[dst]

    sim.link_filter = link
    sim.start()

    def done() -> bool:
        rm = sim.instances[honest[0]].node.round_manager
        return rm is not None and rm.current_round > rounds + 4

    sim.run(until_ms=rounds * 600 + 2000, max_events=20_000, stop=done)
    violations = tuple(sim.safety_violations(honest))
    commits = sum(len(sim.instances[i].commits) for i in honest)
    max_round = max(
        (
            inst.node.round_manager.current_round
            for inst in sim.instances
            if inst.node.round_manager
        ),
        default=0,
    )
    return ScenarioResult(index, violations, commits, max_round)


def _run_range(args: tuple[int, int, int, int, int, int]) -> list[ScenarioResult]:
    start, stop, seed, n, twins, rounds = args
    return [run_scenario(i, seed, n, twins, rounds) for i in range(start, stop)]


def run(
    scenarios: int,
    seed: int,
    n: int = 4,
    twins: int | None = None,
    rounds: int = 8,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> TwinsSummary:
    """Runs ``scenarios`` Twins scenarios of ``n`` validators (``twins`` of them twinned,
    default f) and summarises them; ``workers`` > 1 spreads them over processes.
    ``progress`` is called with the number of scenarios finished since its last call."""
    if n < 1 or scenarios < 0:
        raise ValueError(f"invalid twins run: n={n}, scenarios={scenarios}")
    f = (n - 1) // 3
    t = f if twins is None else twins
    if not 0 <= t <= n:
        raise ValueError(f"twins {t} outside 0..{n}")
    started = time.perf_counter()
    chunk = 25
    chunks = [
        (s, min(s + chunk, scenarios), seed, n, t, rounds) for s in range(0, scenarios, chunk)
    ]
    results: list[ScenarioResult] = []
    if workers > 1 and len(chunks) > 1:
        import multiprocessing

        with multiprocessing.get_context("fork").Pool(min(workers, len(chunks))) as p:
            for part in p.imap_unordered(_run_range, chunks):
                results.extend(part)
                if progress is not None:
                    progress(len(part))
    else:
        for c in chunks:
            part = _run_range(c)
            results.extend(part)
            if progress is not None:
                progress(len(part))
    results.sort(key=lambda r: r.index)
    bad = [r for r in results if r.violations]
    return TwinsSummary(
        scenarios=scenarios,
        seed=seed,
        n=n,
        f=f,
        twins=t,
        rounds=rounds,
        scenarios_with_violations=len(bad),
        first_violating_scenarios=[r.index for r in bad[:10]],
        example_violation=bad[0].violations[0] if bad else None,
        honest_commits=sum(r.honest_commits for r in results),
        scenarios_with_commits=sum(1 for r in results if r.honest_commits > 0),
        elapsed_seconds=round(time.perf_counter() - started, 3),
    )
