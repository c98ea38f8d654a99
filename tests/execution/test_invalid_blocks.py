"""Blocks that cannot be executed at all raise InvalidBlockError naming the transaction."""

from __future__ import annotations

import pytest

from libra.execution import InvalidBlockError, execute_block
from libra.framework import DictStateView
from libra.types import (
    AccessPath,
    AccountAddress,
    ChangeSet,
    GenesisTransaction,
    Script,
    WriteOpDeletion,
    WriteOpValue,
    WriteSet,
    WriteSetDirect,
    WriteSetScript,
)

A = AccountAddress.from_int(0x77)


def _genesis(*writes: tuple[AccessPath, object]) -> GenesisTransaction:
    return GenesisTransaction(WriteSetDirect(ChangeSet(WriteSet(tuple(writes)), ())))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("txn", "reason"),
    [
        (GenesisTransaction(WriteSetScript(A, Script(b"", (), ()))), "direct write set"),
        (_genesis((AccessPath(A, b"\x01"), WriteOpDeletion())), "only write values"),
        (_genesis((AccessPath(A, b"\x01"), WriteOpValue(b"\x00" * 10))), "undecodable"),
    ],
)
def test_malformed_genesis(txn: GenesisTransaction, reason: str) -> None:
    with pytest.raises(InvalidBlockError, match=reason) as e:
        execute_block(DictStateView(), [txn])
    assert e.value.index == 0


def test_unknown_transaction_kind() -> None:
    with pytest.raises(InvalidBlockError, match="unknown transaction kind str") as e:
        execute_block(DictStateView(), ["not a transaction"])  # type: ignore[list-item]
    assert e.value.index == 0
