"""``libra db``: back up, restore and inspect a ledger database."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from libra.storage import LedgerDB, StorageError
from libra.storage.backup import BackupSummary, backup, parse_trust_anchor, restore, trust_anchor
from libra.storage.proof import ledger_info_of

_T = TypeVar("_T")


def _run(action: Callable[[], _T]) -> _T:
    """Runs ``action``, turning every expected failure into a one-line click error."""
    try:
        return action()
    except StorageError as err:
        raise click.ClickException(str(err)) from None
    except OSError as err:
        where = f"{err.filename}: " if err.filename else ""
        raise click.ClickException(f"{where}{err.strerror or err}") from None
    except ValueError as err:
        raise click.ClickException(str(err)) from None


@contextmanager
def _open(path: Path) -> Iterator[LedgerDB]:
    ledger = _run(lambda: LedgerDB.open(path, readonly=True, create=False))
    try:
        yield ledger
    finally:
        ledger.close()


def describe(ledger: LedgerDB) -> dict[str, Any]:
    """What ``libra db info`` reports about an open ledger database."""
    latest = ledger.latest_ledger_info()
    li = ledger_info_of(latest) if latest is not None else None
    lis = ledger.epoch_ending_ledger_infos()
    kept = ledger.state_versions()
    return {
        "path": ledger.path,
        "num_transactions": ledger.num_transactions,
        "latest_version": ledger.latest_version,
        "accumulator_root": ledger.accumulator_root.hex(),
        "state_version": ledger.state_version,
        "state_root": ledger.state_root.hex(),
        "ledger_info": None
        if li is None
        else {
            "version": li.version,
            "epoch": li.epoch,
            "ends_epoch": li.ends_epoch(),
            "accumulator_root": li.transaction_accumulator_hash.hex(),
        },
        "epoch": None if li is None else li.epoch,
        "epoch_changes": len(lis),
        "trust_anchor": trust_anchor(lis[0]) if lis else None,
        "state_versions": {
            "count": len(kept),
            "oldest": kept[0] if kept else None,
            "newest": kept[-1] if kept else None,
        },
    }


def _summary(s: BackupSummary) -> dict[str, Any]:
    return {
        "backup": s.path,
        "version": s.version,
        "num_transactions": s.num_transactions,
        "epoch": s.epoch,
        "accumulator_root": s.accumulator_root.hex(),
        "snapshot_version": s.snapshot_version,
        "state_root": s.state_root.hex(),
        "accounts": s.accounts,
        "trust_anchor": s.trust_anchor,
        "files": s.files,
        "bytes": s.total_bytes,
    }


def _text(data: dict[str, Any], prefix: str = "") -> list[str]:
    lines = []
    for k, v in data.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            lines += _text(v, f"{key}.")
        else:
            lines.append(f"{key + ':':<30}{'-' if v is None else v}")
    return lines


def _emit(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2))
    else:
        click.echo("\n".join(_text(data)))


def _trust(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        try:
            parse_trust_anchor(value)
        except ValueError as err:
            raise click.BadParameter(str(err)) from None
    return value


_DB_PATH = click.option(
    "--db",
    "db_path",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="The ledger database directory.",
)
_JSON = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


@click.group()
def db() -> None:
    """Back up, restore and inspect a ledger database."""


@db.command("backup")
@_DB_PATH
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Backup directory to create (must not exist, or be empty).",
)
@click.option(
    "--version",
    type=click.IntRange(0),
    default=None,
    help="State version to snapshot (a kept block end) [default: the newest at or before "
    "the latest signed ledger info].",
)
@_JSON
def backup_cmd(db_path: Path, out: Path, version: int | None, as_json: bool) -> None:
    """Write a verifiable backup: all transactions up to the latest signed ledger info, the
    ledger infos, and a state snapshot."""
    with _open(db_path) as ledger:
        summary = _run(lambda: backup(ledger, out, version))
    _emit(_summary(summary), as_json)


@db.command("restore")
@click.option(
    "--backup",
    "backup_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="The backup directory.",
)
@_DB_PATH
@click.option(
    "--trust",
    metavar="VERSION:HASH",
    default=None,
    callback=_trust,
    help="Pin the first epoch-ending ledger info (the trust anchor `db info` and `db backup` "
    "print) [default: trust the backup's own].",
)
@_JSON
def restore_cmd(backup_dir: Path, db_path: Path, trust: str | None, as_json: bool) -> None:
    """Create a NEW database from a backup, verifying checksums, signatures and roots."""
    summary = _run(lambda: restore(backup_dir, db_path, trust=trust))
    with _open(db_path) as ledger:
        data = describe(ledger)
    if trust is None:
        click.echo(
            f"note: trusted the backup's first epoch-ending ledger info {summary.trust_anchor}; "
            "pass --trust VERSION:HASH to pin it",
            err=True,
        )
    data["restored_from"] = str(backup_dir)
    data["snapshot_version"] = summary.snapshot_version
    _emit(data, as_json)


@db.command("info")
@_DB_PATH
@_JSON
def info_cmd(db_path: Path, as_json: bool) -> None:
    """Print the database's size, versions, epoch, roots and kept state versions."""
    with _open(db_path) as ledger:
        data = _run(lambda: describe(ledger))
    _emit(data, as_json)
