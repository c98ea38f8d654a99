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
