"""``libra sim``: the deterministic whole-network simulation."""

from __future__ import annotations

import json
import sys

import click


@click.group()
def sim() -> None:
    """Run the network in one process under a simulated clock and network."""


@sim.command("twins")
@click.option("--scenarios", type=click.IntRange(0), default=500, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--validators", "-n", type=click.IntRange(1), default=4, show_default=True)
@click.option(
    "--twins",
    "twins_count",
    type=click.IntRange(0),
    default=None,
    help="Validators given a twin (sharing its keys) [default: f = (n - 1) // 3].",
)
@click.option("--rounds", type=click.IntRange(1), default=8, show_default=True)
@click.option("--workers", type=click.IntRange(1), default=2, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print only the JSON summary.")
def twins_command(
    scenarios: int,
    seed: int,
    validators: int,
    twins_count: int | None,
    rounds: int,
    workers: int,
    as_json: bool,
) -> None:
    """Twins: byzantine validators are twins sharing keys; per-round leaders and partitions
    come from the seed. Fails (exit 1) if two honest validators commit different blocks at
    the same height."""
    from libra.consensus import twins

    f = (validators - 1) // 3
    if twins_count is not None and twins_count > validators:
        raise click.BadParameter(f"at most {validators} twins", param_hint="--twins")
    with click.progressbar(
        length=scenarios, label="twins scenarios", file=sys.stderr, show_pos=True
    ) as bar:
        summary = twins.run(
            scenarios=scenarios,
            seed=seed,
            n=validators,
            twins=twins_count,
            rounds=rounds,
            workers=workers,
            progress=bar.update,
        )
    data = summary.to_json()
    if as_json:
        click.echo(json.dumps(data, indent=2))
    else:
        verdict = "SAFE" if summary.safe else "SAFETY VIOLATION"
        click.echo(
            f"{verdict}: {summary.scenarios} scenarios, n={summary.n} (f={f}), "
            f"{summary.twins} twins, seed {summary.seed}, {summary.rounds} rounds"
        )
        click.echo(
            f"  scenarios with violations: {summary.scenarios_with_violations}; "
            f"scenarios with honest commits: {summary.scenarios_with_commits}; "
            f"honest commits: {summary.honest_commits}; {summary.elapsed_seconds:.1f} s"
        )
        if summary.example_violation:
            click.echo(f"  first violating scenarios: {summary.first_violating_scenarios}")
            click.echo(f"  example: {summary.example_violation}")
    if not summary.safe:
        sys.exit(1)
