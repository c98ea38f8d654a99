"""The checked-in test vectors generated with the official Diem Python SDK
(scripts/gen_vectors.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

VECTORS = Path(__file__).resolve().parent / "vectors"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VECTORS / name).read_text())
    return data


SIGNED: list[dict[str, Any]] = load("signed_transactions.json")["vectors"]
ACCOUNTS: list[dict[str, Any]] = load("accounts.json")["vectors"]
IDENTIFIERS: dict[str, Any] = load("account_identifiers.json")
METADATA: list[dict[str, Any]] = load("payment_metadata.json")["vectors"]
HASHES: dict[str, Any] = load("hashes.json")
