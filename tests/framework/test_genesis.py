"""Genesis from a typed config."""

from __future__ import annotations

import dataclasses

import pytest
from framework_world import (
    CUSTODIAN,
    DD,
    MEMBER_KEYS,
    ROOT,
    ROOT_KEY,
    TC,
    World,
    addr_of,
    auth,
    key,
)

from libra import bcs
from libra.execution import InvalidBlockError, execute_block
from libra.framework import (
    ACCOUNT_STATE_PATH,
    ConfigError,
    DictStateView,
    GenesisConfig,
    MemberConfig,
    build_genesis,
    epoch_state,
    reserve_report,
    root_config,
    treasury_config,
)
from libra.framework.state import (
    ROLE_CUSTODIAN,
    ROLE_DESIGNATED_DEALER,
    ROLE_DIEM_ROOT,
    ROLE_TREASURY_COMPLIANCE,
    ROLE_VALIDATOR,
    decode_account_state,
)
from libra.types import GenesisTransaction, WriteOpValue, WriteSetDirect


def test_genesis_accounts_and_globals() -> None:
    w = World(members=3)
    roles = {a: decode_account_state(b).role for a, b in w.view.blobs.items()}
    assert roles[ROOT] == ROLE_DIEM_ROOT and roles[TC] == ROLE_TREASURY_COMPLIANCE
    assert roles[DD] == ROLE_DESIGNATED_DEALER and roles[CUSTODIAN] == ROLE_CUSTODIAN
    for k in MEMBER_KEYS:
        assert roles[addr_of(k)] == ROLE_VALIDATOR
    root = root_config(w.view)
    assert root.chain_id == 4 and root.epoch == 1
    assert set(root.currencies) == {"LBR", "XUS", "XDX"}
    assert root.currencies["XDX"].is_synthetic and not root.currencies["XDX"].can_mint
    assert len(root.association.members) == 3
    es = epoch_state(w.view)
    assert es.epoch == 1 and len(es.verifier) == 3
    reserve = treasury_config(w.view).reserve
    assert {c: a.units_per_coin for c, a in reserve.assets.items()} == {
        "USD": 50,
        "EUR": 16,
        "JPY": 15,
        "GBP": 9,
        "SGD": 10,
    }
    assert reserve_report(w.view).coverage_bps is None


def test_genesis_transaction_carries_the_blobs() -> None:
    w = World()
    txn = w.genesis_txn
    assert isinstance(txn, GenesisTransaction) and isinstance(txn.value, WriteSetDirect)
    writes = txn.value.change_set.write_set.write_set
    assert {p.address: op.value for p, op in writes if isinstance(op, WriteOpValue)} == w.view.blobs
    assert all(p.path == ACCOUNT_STATE_PATH for p, _ in writes)
    assert bcs.decode(GenesisTransaction, bcs.encode(txn)) == txn
    # executing it on an empty state produces the same state
    out = execute_block(DictStateView(), [txn])
    assert out.changed == w.view.blobs
    with pytest.raises(InvalidBlockError, match="already"):
        execute_block(w.view, [txn])


def test_genesis_is_deterministic() -> None:
    assert World().genesis_txn == World().genesis_txn


def test_bad_configs() -> None:
    good = GenesisConfig(
        root_auth_key=auth(ROOT_KEY),
        tc_auth_key=auth(key(2)),
        members=(MemberConfig(addr_of(key(10)), auth(key(10)), b"m", bytes(key(10).public_key)),),
    )
    build_genesis(good)
    bad = [
        dataclasses.replace(good, chain_id=300),
        dataclasses.replace(good, root_auth_key=b"x"),
        dataclasses.replace(good, members=()),
        dataclasses.replace(good, currencies=good.currencies[1:]),
        dataclasses.replace(good, basket=()),
        dataclasses.replace(good, members=good.members * 2),
        dataclasses.replace(
            good, members=(dataclasses.replace(good.members[0], consensus_public_key=b"\x01"),)
        ),
    ]
    for config in bad:
        with pytest.raises(ConfigError):
            build_genesis(config)
