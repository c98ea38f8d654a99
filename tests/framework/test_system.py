"""Validator administration, system administration, block metadata and epochs."""

from __future__ import annotations

import pytest
from framework_world import (
    MEMBER_KEYS,
    ROOT,
    TC,
    World,
    aborted,
    addr_of,
    executed,
    key,
    prefix,
    sf,
    state,
    u64,
    vec,
)

from libra.crypto import HashValue
from libra.execution import InvalidBlockError
from libra.framework import Retry, epoch_state, root_config
from libra.framework import events as ev
from libra.framework.errors import Category, ConfigReason, RolesReason, ValidatorReason
from libra.types import RESERVED_VM_ADDRESS, BlockMetadata, BlockMetadataTransaction

ACS = "AccountCreationScripts"
VAS = "ValidatorAdministrationScripts"


def _validator_with_operator(w: World) -> tuple:  # type: ignore[type-arg]
    kv, v = w.new_key_account(1000)
    ko, o = w.new_key_account(1001)
    executed(
        w.run(
            w.txn(
                ROOT,
                sf(
                    ACS,
                    "create_validator_account",
                    [u64(0), bytes(v), vec(prefix(kv)), vec(b"val")],
                ),
            )
        )
    )
    executed(
        w.run(
            w.txn(
                ROOT,
                sf(
                    ACS,
                    "create_validator_operator_account",
                    [u64(0), bytes(o), vec(prefix(ko)), vec(b"op")],
                ),
            )
        )
    )
    return v, o


def test_validator_lifecycle_and_epochs() -> None:
    w = World()
    v, o = _validator_with_operator(w)
    consensus = bytes(key(1002).public_key)
    cfg_args = [bytes(v), vec(consensus), vec(b"/ip4/1"), vec(b"/ip4/2")]
    aborted(
        w.run(w.txn(o, sf(VAS, "register_validator_config", cfg_args))),
        "ValidatorConfig",
        Category.INVALID_ARGUMENT,
        ValidatorReason.EINVALID_TRANSACTION_SENDER,
    )
    aborted(
        w.run(w.txn(v, sf(VAS, "set_validator_operator", [vec(b"wrong"), bytes(o)]))),
        "ValidatorConfig",
        Category.INVALID_ARGUMENT,
        ValidatorReason.ENOT_AN_OPERATOR,
    )
    executed(w.run(w.txn(v, sf(VAS, "set_validator_operator", [vec(b"op"), bytes(o)]))))
    aborted(
        w.run(
            w.txn(
                o,
                sf(VAS, "register_validator_config", [bytes(v), vec(b"\x01"), vec(b""), vec(b"")]),
            )
        ),
        "ValidatorConfig",
        Category.INVALID_ARGUMENT,
        ValidatorReason.EINVALID_CONSENSUS_KEY,
    )
    aborted(
        w.run(w.txn(v, sf(VAS, "register_validator_config", cfg_args))),
        "Roles",
        Category.REQUIRES_ROLE,
        RolesReason.EVALIDATOR_OPERATOR,
    )
    add = [u64(0), vec(b"val"), bytes(v)]
    aborted(
        w.run(w.txn(ROOT, sf(VAS, "add_validator_and_reconfigure", add))),
        "DiemSystem",
        Category.INVALID_ARGUMENT,
        ValidatorReason.EINVALID_PROSPECTIVE_VALIDATOR,
    )
    executed(w.run(w.txn(o, sf(VAS, "register_validator_config", cfg_args))))
    epoch = root_config(w.view).epoch
    out = w.run(w.txn(ROOT, sf(VAS, "add_validator_and_reconfigure", add)))
    executed(out)
    assert out.outputs[0].events[-1].type_tag == ev.NEW_EPOCH
    assert out.epoch_state is not None and out.epoch_state.epoch == epoch + 1
    assert v in out.epoch_state.verifier.address_to_validator_info
    assert epoch_state(w.view) == out.epoch_state
    aborted(
        w.run(w.txn(ROOT, sf(VAS, "add_validator_and_reconfigure", add))),
        "DiemSystem",
        Category.INVALID_ARGUMENT,
        ValidatorReason.EALREADY_A_VALIDATOR,
    )
    new_key = bytes(key(1003).public_key)
    out = w.run(
        w.txn(
            o,
            sf(
                VAS,
                "set_validator_config_and_reconfigure",
                [bytes(v), vec(new_key), vec(b""), vec(b"")],
            ),
        )
    )
    executed(out)
    assert out.epoch_state is not None
    assert bytes(out.epoch_state.verifier.public_key(v)) == new_key  # type: ignore[arg-type]
    rm = [u64(0), vec(b"val"), bytes(v)]
    aborted(
        w.run(w.txn(TC, sf(VAS, "remove_validator_and_reconfigure", rm))),
        "CoreAddresses",
        Category.REQUIRES_ADDRESS,
        0,
    )
    executed(w.run(w.txn(ROOT, sf(VAS, "remove_validator_and_reconfigure", rm))))
    aborted(
        w.run(w.txn(ROOT, sf(VAS, "remove_validator_and_reconfigure", rm))),
        "DiemSystem",
        Category.INVALID_ARGUMENT,
        ValidatorReason.ENOT_AN_ACTIVE_VALIDATOR,
    )


def test_reconfiguration_ends_the_block() -> None:
    w = World()
    out = w.run(
        w.txn(ROOT, sf("SystemAdministrationScripts", "update_diem_version", [u64(0), u64(5)])),
        w.txn(
            TC, sf("TreasuryComplianceScripts", "update_dual_attestation_limit", [u64(0), u64(9)])
        ),
    )
    executed(type(out)(out.outputs[:1], out.changed, out.epoch_state))
    assert isinstance(out.outputs[1].status, Retry)
    assert root_config(w.view).diem_version == 5
    assert root_config(w.view).dual_attestation_limit != 9
    aborted(
        w.run(
            w.txn(ROOT, sf("SystemAdministrationScripts", "update_diem_version", [u64(0), u64(5)]))
        ),
        "DiemVersion",
        Category.INVALID_ARGUMENT,
        ConfigReason.EINVALID_VERSION,
    )


def test_block_metadata() -> None:
    w = World()
    out = w.run(w.block_metadata())
    executed(out)
    (e,) = out.outputs[0].events
    assert e.type_tag == ev.NEW_BLOCK
    cfg = root_config(w.view)
    assert cfg.block_height == 1 and cfg.timestamp_usecs == w.time
    # time drives expiry
    from framework_world import DD
    from framework_world import sf as sf_

    t = w.txn(
        DD,
        sf_("AccountAdministrationScripts", "add_currency_to_account", [], "XDX"),
        expiry=w.time // 1_000_000,
    )
    from framework_world import discarded

    from libra.framework import StatusCode

    discarded(w.run(t), StatusCode.TRANSACTION_EXPIRED)
    stranger = addr_of(key(4444))
    with pytest.raises(InvalidBlockError, match="not a validator"):
        w.run(w.block_metadata(proposer=stranger))
    now = root_config(w.view).timestamp_usecs
    member = addr_of(MEMBER_KEYS[0])
    stale = BlockMetadataTransaction(BlockMetadata(HashValue(bytes(32)), 9, now, (), member))
    with pytest.raises(InvalidBlockError, match="not after"):
        w.run(stale)
    nil = BlockMetadataTransaction(
        BlockMetadata(HashValue(bytes(32)), 9, now, (), RESERVED_VM_ADDRESS)
    )
    executed(w.run(nil))
    bad_nil = BlockMetadataTransaction(
        BlockMetadata(HashValue(bytes(32)), 9, now + 1, (), RESERVED_VM_ADDRESS)
    )
    with pytest.raises(InvalidBlockError, match="nil block"):
        w.run(bad_nil)
    assert state(w, ROOT).details.root.block_height == 2  # type: ignore[union-attr]
