"""The ``libra`` command."""

from __future__ import annotations

import json
import os
import sys
from importlib import metadata
from pathlib import Path

import click

from libra import bcs
from libra.cli.bench import bench
from libra.cli.db import db
from libra.cli.node import node, testnet
from libra.cli.render import describe_signed_transaction, to_text
from libra.cli.sim import sim
from libra.crypto import Ed25519PrivateKey
from libra.types import AuthenticationKey, SignedTransaction, encode_account, hrp_for_chain_id


def _version() -> str:
    try:
        return metadata.version("libra")
    except metadata.PackageNotFoundError:
        return "unknown"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(_version(), prog_name="libra")
def main() -> None:
    """libra: a Libra-style, Diem-compatible payment network."""


@main.command()
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("libra.key"),
    show_default=True,
    help="Where to write the private key (hex); readable only by its owner.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing key file.")
@click.option("--chain-id", type=click.IntRange(0, 255), default=4, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def keygen(output: Path, force: bool, chain_id: int, as_json: bool) -> None:
    """Create an Ed25519 account key; print its address, auth key and public key."""
    key = Ed25519PrivateKey.generate()
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    try:
        fd = os.open(output, flags, 0o600)
    except FileExistsError:
        raise click.ClickException(f"{output} exists; pass --force to overwrite it") from None
    except OSError as e:
        raise click.ClickException(f"cannot write {output}: {e.strerror}") from None
    with os.fdopen(fd, "w") as f:
        os.fchmod(fd, 0o600)
        f.write(key.to_bytes().hex() + "\n")
    auth = AuthenticationKey.ed25519(key.public_key)
    address = auth.derived_address()
    info = {
        "address": address.hex(),
        "auth_key": auth.hex(),
        "public_key": key.public_key.hex(),
        "account_identifier": encode_account(address, None, hrp_for_chain_id(chain_id)),
        "private_key_file": str(output),
    }
    if as_json:
        click.echo(json.dumps(info, indent=2))
    else:
        for k, v in info.items():
            click.echo(f"{k + ':':<20}{v}")


_SIGNED_TRANSACTIONS = tuple[SignedTransaction, ...]


def decode_signed_transactions(raw: bytes) -> SignedTransaction | tuple[SignedTransaction, ...]:
    """``raw`` as one SignedTransaction, else as a BCS sequence of them (what the faucet
    answers with ``return_txns=true``): the first shape that decodes it whole. Raises
    :class:`click.ClickException` naming each shape tried and why it did not fit."""
    try:
        return bcs.decode(SignedTransaction, raw)
    except bcs.DecodeError as e:
        as_one = str(e)
    try:
        txns: tuple[SignedTransaction, ...] = bcs.decode_as(_SIGNED_TRANSACTIONS, raw)
        return txns
    except bcs.DecodeError as e:
        as_many = str(e)
    raise click.ClickException(
        "not a SignedTransaction, nor a BCS sequence of SignedTransactions "
        "(the faucet's return_txns=true answer):\n"
        f"  as a SignedTransaction: {as_one}\n"
        f"  as a sequence of SignedTransactions: {as_many}"
    )


@main.command()
@click.argument("hex_input", metavar="HEX")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def decode(hex_input: str, as_json: bool) -> None:
    """Decode a hex SignedTransaction, or a BCS sequence of them such as the faucet's
    return_txns=true answer (use - to read it from standard input)."""
    text = sys.stdin.read() if hex_input == "-" else hex_input
    text = "".join(text.split()).removeprefix("0x")
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise click.ClickException("input is not hex") from None
    decoded = decode_signed_transactions(raw)
    if isinstance(decoded, SignedTransaction):
        data = describe_signed_transaction(decoded)
        click.echo(json.dumps(data, indent=2) if as_json else to_text(data))
        return
    many = [describe_signed_transaction(t) for t in decoded]
    click.echo(json.dumps(many, indent=2) if as_json else to_text({"transactions": many}))


main.add_command(bench)
main.add_command(sim)
main.add_command(node)
main.add_command(testnet)
main.add_command(db)


if __name__ == "__main__":
    main()
