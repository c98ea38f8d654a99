"""A validator's configuration file and key files.

A node directory holds ``node.json`` (this configuration), its key files (hex, readable only
by their owner) and its databases. Paths in the file are relative to the node directory.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import typing
from pathlib import Path
from typing import Any

from libra.crypto import Ed25519PrivateKey
from libra.network import NetworkPrivateKey
from libra.types import AccountAddress

CONFIG_NAME = "node.json"
FORMAT_VERSION = 1


class ConfigError(ValueError):
    """A configuration or key file is missing or malformed; the message names the file."""


@dataclasses.dataclass(frozen=True, slots=True)
class NodeConfig:
    """Everything one validator process needs to start."""

    address: str
    """The validator's account address (hex)."""
    chain_id: int
    listen_host: str
    listen_port: int
    """Where peers reach this validator (the validator network, Noise IK over TCP)."""
    api_host: str
    api_port: int
    """JSON-RPC (``POST /v1``), REST and operations endpoints."""
    consensus_key_file: str = "consensus.key"
    network_key_file: str = "network.key"
    genesis_file: str = "../genesis.bcs"
    """The BCS genesis transaction shared by every validator of the network."""
    data_dir: str = "data"
    faucet_port: int | None = None
    """Serve the test-network faucet on this port (one validator of a testnet does)."""
    faucet_key_file: str | None = None
    """The Treasury Compliance key the faucet signs with (test networks only)."""
    max_block_transactions: int = 2_000
    round_timeout_ms: int = 1_000
    idle_block_wait_ms: int = 200
    """A leader with nothing to propose (empty mempool, no transactions in uncommitted blocks)
    waits up to this long for a transaction before proposing an empty block: an idle network
    makes a few blocks a second, enough for the ledger clock, instead of as many as it can."""
    api_rate_limit_per_second: float | None = None
    """Requests per second each client IP may make of the API (beyond: HTTP 429, with a
    JSON-RPC error on ``/v1``); None: no limit."""
    api_rate_limit_burst: int = 100
    """Requests a client IP may make at once before the rate applies."""
    format_version: int = FORMAT_VERSION

    @property
    def account_address(self) -> AccountAddress:
        return AccountAddress.from_hex(self.address)


_PORTS = ("listen_port", "api_port", "faucet_port")
_POSITIVE = (
    "max_block_transactions",
    "round_timeout_ms",
    "api_rate_limit_per_second",
    "api_rate_limit_burst",
)
_NON_NEGATIVE = ("idle_block_wait_ms",)


def _kinds(annotation: Any) -> tuple[type, ...]:
    """The JSON value types a setting of type ``annotation`` takes (None for null)."""
    out: list[type] = []
    for t in typing.get_args(annotation) or (annotation,):
        out += [float, int] if t is float else [t]
    return tuple(out)


def _check_values(config_path: Path, data: dict[str, Any]) -> None:
    """Each setting has its type (JSON booleans are not numbers) and its range."""
    hints = typing.get_type_hints(NodeConfig)
    for name, value in data.items():
        kinds = _kinds(hints[name])
        if isinstance(value, bool) or not isinstance(value, kinds):
            want = " or ".join("null" if k is type(None) else k.__name__ for k in kinds)
            raise ConfigError(f"{config_path}: {name} must be {want}, not {json.dumps(value)[:60]}")
        if not isinstance(value, (int, float)):
            continue
        if name in _PORTS and not 1 <= value <= 65535:
            raise ConfigError(f"{config_path}: {name} {value} is not a port (1-65535)")
        if name in _POSITIVE and not (math.isfinite(value) and value > 0):
            raise ConfigError(f"{config_path}: {name} must be positive, not {value}")
        if name in _NON_NEGATIVE and value < 0:
            raise ConfigError(f"{config_path}: {name} must not be negative, not {value}")
    if not 0 <= data.get("chain_id", 0) <= 255:
        raise ConfigError(f"{config_path}: chain_id {data['chain_id']} is not a u8 (0-255)")


def _read_hex_key(path: Path) -> bytes:
    try:
        text = path.read_text().strip()
    except OSError as e:
        raise ConfigError(f"cannot read key file {path}: {e.strerror}") from None
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise ConfigError(f"key file {path} does not hold hex") from None
    if len(raw) != 32:
        raise ConfigError(f"key file {path} holds {len(raw)} bytes, not 32")
    return raw


def write_secret(path: Path, secret: bytes) -> None:
    """Writes a key file (hex) that only its owner can read."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        os.fchmod(fd, 0o600)
        f.write(secret.hex() + "\n")


class NodeFiles:
    """A node directory: its configuration and the files it names."""

    def __init__(self, directory: Path, config: NodeConfig) -> None:
        self.directory = directory
        self.config = config

    @classmethod
    def load(cls, config_path: Path) -> NodeFiles:
        try:
            data = json.loads(config_path.read_text())
        except OSError as e:
            raise ConfigError(f"cannot read {config_path}: {e.strerror}") from None
        except json.JSONDecodeError as e:
            raise ConfigError(f"{config_path} is not valid JSON: {e}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{config_path} must hold a JSON object")
        names = {f.name for f in dataclasses.fields(NodeConfig)}
        unknown = set(data) - names
        if unknown:
            raise ConfigError(f"{config_path}: unknown settings {sorted(unknown)}")
        _check_values(config_path, data)
        try:
            config = NodeConfig(**data)
        except TypeError as e:
            raise ConfigError(f"{config_path}: {e}") from None
        if config.format_version != FORMAT_VERSION:
            raise ConfigError(f"{config_path}: format version {config.format_version} unknown")
        try:
            config.account_address  # noqa: B018 - validates the address
        except ValueError as e:
            raise ConfigError(f"{config_path}: {e}") from None
        return cls(config_path.parent, config)

    def save(self) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / CONFIG_NAME
        data: dict[str, Any] = dataclasses.asdict(self.config)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        tmp.replace(path)
        return path

    def path(self, name: str) -> Path:
        return (self.directory / name).resolve()

    def consensus_key(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey(_read_hex_key(self.path(self.config.consensus_key_file)))

    def network_key(self) -> NetworkPrivateKey:
        return NetworkPrivateKey(_read_hex_key(self.path(self.config.network_key_file)))

    def faucet_key(self) -> Ed25519PrivateKey | None:
        if self.config.faucet_key_file is None:
            return None
        return Ed25519PrivateKey(_read_hex_key(self.path(self.config.faucet_key_file)))

    def genesis_bytes(self) -> bytes:
        path = self.path(self.config.genesis_file)
        try:
            return path.read_bytes()
        except OSError as e:
            raise ConfigError(f"cannot read genesis file {path}: {e.strerror}") from None

    @property
    def data_path(self) -> Path:
        return self.path(self.config.data_dir)
