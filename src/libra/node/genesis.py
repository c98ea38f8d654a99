"""Creating a network: keys, the genesis transaction and each validator's configuration.

The genesis transaction is what every validator starts from; its ledger info (version 0,
epoch 0, naming epoch 1's validators) is computed by every node from it, so it is not signed.
Each validator publishes where it listens and its Noise static key in its on-chain
``validator_network_addresses`` (a BCS list of :class:`NetworkAddress`).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from libra import bcs
from libra.crypto import Ed25519PrivateKey, HashValue
from libra.framework.genesis import (
    CustodianConfig,
    DealerConfig,
    GenesisConfig,
    MemberConfig,
    build_genesis,
)
from libra.network import NetworkPrivateKey
from libra.node.config import NodeConfig, NodeFiles, write_secret
from libra.types import AccountAddress, AuthenticationKey, Transaction

GENESIS_FILE = "genesis.bcs"
KEYS_DIR = "keys"


@bcs.struct
class NetworkAddress:
    """Where a validator listens and the Noise IK static key it authenticates with."""

    host: str
    port: bcs.U16
    network_public_key: bytes


def encode_network_addresses(addresses: list[NetworkAddress]) -> bytes:
    return bcs.encode_as(tuple[NetworkAddress, ...], tuple(addresses))


def decode_network_addresses(raw: bytes) -> tuple[NetworkAddress, ...]:
    """The addresses a validator published; raises bcs.DecodeError if malformed."""
    value: tuple[NetworkAddress, ...] = bcs.decode_as(tuple[NetworkAddress, ...], raw)
    return value


@dataclasses.dataclass(frozen=True, slots=True)
class TestnetKeys:
    """The association's keys of a test network (kept in its ``keys`` directory)."""

    root: Ed25519PrivateKey
    treasury: Ed25519PrivateKey
    dealer: Ed25519PrivateKey
    custodian: Ed25519PrivateKey

    @property
    def dealer_address(self) -> AccountAddress:
        return AuthenticationKey.ed25519(self.dealer.public_key).derived_address()

    @property
    def custodian_address(self) -> AccountAddress:
        return AuthenticationKey.ed25519(self.custodian.public_key).derived_address()


def _auth(key: Ed25519PrivateKey) -> bytes:
    return bytes(AuthenticationKey.ed25519(key.public_key))


def create_testnet(
    root: Path,
    validators: int,
    *,
    host: str = "127.0.0.1",
    validator_base_port: int = 6180,
    api_base_port: int = 8080,
    faucet_port: int | None = 8000,
    chain_id: int = 4,
    timestamp_usecs: int = 0,
    max_block_transactions: int = 2_000,
) -> list[NodeFiles]:
    """Writes a new test network under ``root``: the keys, ``genesis.bcs`` and one directory
    per validator (``validator-0`` ...) with its ``node.json``. Validator i listens on
    ``validator_base_port + i`` and serves its API on ``api_base_port + i``; validator 0 also
    serves the faucet."""
    if validators < 1:
        raise ValueError("a network needs at least one validator")
    root.mkdir(parents=True, exist_ok=True)
    keys_dir = root / KEYS_DIR
    keys_dir.mkdir(exist_ok=True)
    keys = TestnetKeys(*(Ed25519PrivateKey.generate() for _ in range(4)))
    for name, key in (
        ("root", keys.root),
        ("treasury", keys.treasury),
        ("dealer", keys.dealer),
        ("custodian", keys.custodian),
    ):
        write_secret(keys_dir / f"{name}.key", key.to_bytes())

    members = []
    nodes: list[tuple[NodeConfig, Ed25519PrivateKey, NetworkPrivateKey, Ed25519PrivateKey]] = []
    for i in range(validators):
        owner = Ed25519PrivateKey.generate()
        consensus = Ed25519PrivateKey.generate()
        network = NetworkPrivateKey.generate()
        address = AuthenticationKey.ed25519(owner.public_key).derived_address()
        port = validator_base_port + i
        published = encode_network_addresses(
            [NetworkAddress(host, port, bytes(network.public_key))]
        )
        members.append(
            MemberConfig(
                address=address,
                auth_key=_auth(owner),
                human_name=f"validator-{i}".encode(),
                consensus_public_key=bytes(consensus.public_key),
                validator_network_addresses=published,
            )
        )
        config = NodeConfig(
            address=address.hex(),
            chain_id=chain_id,
            listen_host=host,
            listen_port=port,
            api_host=host,
            api_port=api_base_port + i,
            genesis_file=f"../{GENESIS_FILE}",
            faucet_port=faucet_port if i == 0 else None,
            faucet_key_file=f"../{KEYS_DIR}/treasury.key" if i == 0 and faucet_port else None,
            max_block_transactions=max_block_transactions,
        )
        nodes.append((config, consensus, network, owner))

    genesis_config = GenesisConfig(
        root_auth_key=_auth(keys.root),
        tc_auth_key=_auth(keys.treasury),
        members=tuple(members),
        dealers=(
            DealerConfig(
                keys.dealer_address, _auth(keys.dealer), b"testnet dealer", ("LBR", "XUS")
            ),
        ),
        custodians=(
            CustodianConfig(keys.custodian_address, _auth(keys.custodian), b"testnet custodian"),
        ),
        chain_id=chain_id,
        timestamp_usecs=timestamp_usecs,
    )
    genesis_txn, _ = build_genesis(genesis_config)
    (root / GENESIS_FILE).write_bytes(bcs.encode(genesis_txn))

    files = []
    for i, (config, consensus, network, owner) in enumerate(nodes):
        node = NodeFiles(root / f"validator-{i}", config)
        node.save()
        write_secret(node.directory / config.consensus_key_file, consensus.to_bytes())
        write_secret(node.directory / config.network_key_file, network.secret_bytes())
        write_secret(node.directory / "owner.key", owner.to_bytes())
        files.append(node)
    return files


def load_testnet_keys(root: Path) -> TestnetKeys:
    """The association keys written by :func:`create_testnet`."""
    keys_dir = root / KEYS_DIR

    def read(name: str) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_hex((keys_dir / f"{name}.key").read_text())

    return TestnetKeys(read("root"), read("treasury"), read("dealer"), read("custodian"))


def decode_genesis(raw: bytes) -> Transaction:
    """The genesis transaction of a genesis file; raises bcs.DecodeError if malformed."""
    return bcs.decode(Transaction, raw)


def genesis_id(raw: bytes) -> HashValue:
    """A short fingerprint of a genesis file (the hash of its transaction)."""
    return decode_genesis(raw).hash()
