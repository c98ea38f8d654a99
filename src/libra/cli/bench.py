"""``libra bench``: benchmarks that write a JSON result."""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

import click


def _machine() -> dict[str, Any]:
    import os

    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }


def emit(name: str, result: dict[str, Any], output: Path | None) -> None:
    """Prints the result and writes it as JSON to ``output`` (default ``bench-NAME.json``)."""
    doc = {
        "benchmark": name,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": _machine(),
        "result": result,
    }
    path = output or Path(f"bench-{name}.json")
    path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
    click.echo(json.dumps(result, indent=2, sort_keys=True))
    click.echo(f"wrote {path}", err=True)


@click.group()
def bench() -> None:
    """Measure the subsystems; each writes a JSON result (medians over repeated runs)."""


_OUTPUT = click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the JSON result [default: bench-NAME.json].",
)


@bench.command("storage")
@click.option("--accounts", type=click.IntRange(1), default=1_000_000, show_default=True)
@click.option("--blocks", type=click.IntRange(1), default=10, show_default=True)
@click.option("--block-size", type=click.IntRange(1), default=1_000, show_default=True)
@click.option("--updates-per-block", type=click.IntRange(1), default=2_000, show_default=True)
@click.option("--proof-reads", type=click.IntRange(0), default=1_000, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@_OUTPUT
def bench_storage(
    accounts: int,
    blocks: int,
    block_size: int,
    updates_per_block: int,
    proof_reads: int,
    seed: int,
    output: Path | None,
) -> None:
    """Commit blocks that update accounts in the state tree; read states with proofs."""
    from libra.storage import bench as storage_bench

    click.echo(f"storage bench: {accounts:,} accounts, {blocks} blocks ...", err=True)
    result = storage_bench.run(
        accounts=accounts,
        blocks=blocks,
        block_size=block_size,
        updates_per_block=updates_per_block,
        proof_reads=proof_reads,
        seed=seed,
    )
    emit("storage", result, output)


@bench.command("execute")
@click.option("--accounts", type=click.IntRange(2), default=10_000, show_default=True)
@click.option(
    "--block-size",
    type=click.IntRange(1),
    default=10_000,
    show_default=True,
    help="LBR peer-to-peer transfers in the block.",
)
@click.option(
    "--repeat",
    type=click.IntRange(1),
    default=5,
    show_default=True,
    help="Timed executions of the block; the median is reported.",
)
@click.option("--seed", type=int, default=1, show_default=True)
@_OUTPUT
def bench_execute(
    accounts: int, block_size: int, repeat: int, seed: int, output: Path | None
) -> None:
    """Execute a block of LBR transfers through the framework; report transactions/s.

    Setup (not timed) builds a genesis state and funds ``--accounts`` parent VASPs with real
    signed transactions. The block is executed ``--repeat`` times on that state with
    signatures already checked; Ed25519 verification is timed separately. Fails if any
    transfer is not executed."""
    from libra.execution import bench as execute_bench

    click.echo(
        f"execute bench: {block_size:,} transfers among {accounts:,} accounts, {repeat} runs ...",
        err=True,
    )
    try:
        result = execute_bench.run(
            accounts=accounts, transactions=block_size, runs=repeat, seed=seed
        )
    except execute_bench.BenchError as e:
        raise click.ClickException(str(e)) from e
    emit("execute", result, output)


@bench.command("network")
@click.option("--validators", "-n", type=click.IntRange(1), default=4, show_default=True)
@click.option("--accounts", type=click.IntRange(2), default=1_000, show_default=True)
@click.option(
    "--transactions", type=click.IntRange(1), default=30_000, show_default=True,
    help="Pre-signed LBR transfers in the measured phase of each run.",
)  # fmt: skip
@click.option(
    "--inflight", type=click.IntRange(1), default=1_000, show_default=True,
    help="At most this many submitted transactions are uncommitted at a time.",
)  # fmt: skip
@click.option("--batch", type=click.IntRange(1, 20), default=20, show_default=True)
@click.option("--block-size", type=click.IntRange(1), default=2_000, show_default=True)
@click.option("--runs", type=click.IntRange(1), default=1, show_default=True)
@click.option("--timeout", type=float, default=120.0, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@_OUTPUT
def bench_network(
    validators: int,
    accounts: int,
    transactions: int,
    inflight: int,
    batch: int,
    block_size: int,
    runs: int,
    timeout: float,
    seed: int,
    output: Path | None,
) -> None:
    """Start validators as processes on loopback, load them with pre-signed LBR transfers
    through JSON-RPC submit; report committed tx/s, submit-to-commit latency and the Ed25519
    verification ceiling (medians over --runs, each on a new network)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar
    from rich.table import Table

    from libra.node import bench as network_bench

    console = Console(stderr=True)
    with Bar(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=console, transient=True,
    ) as bar:  # fmt: skip
        tasks: dict[str, Any] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(phase, total=total)
            bar.update(tasks[phase], completed=done, total=total)

        try:
            result = network_bench.run(
                runs=runs, validators=validators, accounts=accounts,
                transactions=transactions, inflight=inflight, batch=batch,
                max_block_transactions=block_size, timeout=timeout, seed=seed,
                progress=progress,
            )  # fmt: skip
        except network_bench.BenchError as e:
            raise click.ClickException(str(e)) from e
    table = Table(title="libra bench network")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for name, value in network_bench.table_rows(result):
        table.add_row(name, value)
    console.print(table)
    emit("network", result, output)
