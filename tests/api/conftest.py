"""Makes the API test helpers importable whatever pytest's import mode, and provides the test
network."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from api_helpers import Net, Submitter, build_net


@pytest.fixture
def net(tmp_path: Path) -> Iterator[Net]:
    n = build_net(tmp_path / "db")
    yield n
    n.db.close()


@pytest.fixture
def submitter(net: Net) -> Submitter:
    return Submitter(net)
