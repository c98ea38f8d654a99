"""AccountCreationScripts and AccountAdministrationScripts."""

from __future__ import annotations

from framework_world import (
    DD,
    ROOT,
    TC,
    World,
    aborted,
    boolean,
    create_child,
    create_parent,
    executed,
    funded_world,
    key,
    pay,
    prefix,
    sf,
    state,
    u64,
    vec,
)

from libra.framework import events as ev
from libra.framework.errors import (
    Category,
    DiemAccountReason,
    DualAttestationReason,
    RecoveryAddressReason,
    RolesReason,
    SharedKeyReason,
    VaspReason,
)
from libra.framework.state import (
    ROLE_CHILD_VASP,
    ROLE_DESIGNATED_DEALER,
    ROLE_PARENT_VASP,
    ROLE_VALIDATOR,
    ROLE_VALIDATOR_OPERATOR,
)
from libra.types import AccountAddress, AuthenticationKey, EventKey

ACS = "AccountCreationScripts"
AAS = "AccountAdministrationScripts"


def test_create_parent_vasp() -> None:
    w = World()
    k, a = w.new_key_account(300)
    out = w.run(
        w.txn(
            TC,
            sf(
                ACS,
                "create_parent_vasp_account",
                [u64(0), bytes(a), vec(prefix(k)), vec(b"V"), boolean(False)],
                "XUS",
            ),
        )
    )
    executed(out)
    s = state(w, a)
    assert s.role == ROLE_PARENT_VASP and s.balances == {"XUS": 0}
    assert s.received_events.key == EventKey.create(2, a)
    assert s.sent_events.key == EventKey.create(3, a)
    assert s.details.credential is not None and s.details.credential.human_name == b"V"
    (create,) = out.outputs[0].events
    assert create.type_tag == ev.CREATE_ACCOUNT
    assert create.event_data == bytes(a) + (ROLE_PARENT_VASP).to_bytes(8, "little")
    # the account can sign with its key
    executed(w.run(w.txn(a, sf(AAS, "add_currency_to_account", [], "LBR"))))


def test_create_parent_vasp_failures() -> None:
    w = World()
    k, a = w.new_key_account(301)
    args = [u64(0), bytes(a), vec(prefix(k)), vec(b"V"), boolean(True)]
    aborted(
        w.run(w.txn(DD, sf(ACS, "create_parent_vasp_account", args, "LBR"))),
        "CoreAddresses",
        Category.REQUIRES_ADDRESS,
        1,
    )
    aborted(
        w.run(
            w.txn(
                TC,
                sf(
                    ACS,
                    "create_parent_vasp_account",
                    [u64(0), bytes(a), vec(b"short"), vec(b"V"), boolean(True)],
                    "LBR",
                ),
            )
        ),
        "DiemAccount",
        Category.INVALID_ARGUMENT,
        DiemAccountReason.EMALFORMED_AUTHENTICATION_KEY,
    )
    aborted(
        w.run(
            w.txn(
                TC,
                sf(
                    ACS,
                    "create_parent_vasp_account",
                    [
                        u64(0),
                        bytes(AccountAddress.from_int(0)),
                        vec(prefix(k)),
                        vec(b"V"),
                        boolean(True),
                    ],
                    "LBR",
                ),
            )
        ),
        "DiemAccount",
        Category.INVALID_ARGUMENT,
        DiemAccountReason.ECANNOT_CREATE_AT_VM_RESERVED,
    )
    aborted(
        w.run(
            w.txn(
                TC,
                sf(
                    ACS,
                    "create_parent_vasp_account",
                    [
                        u64(0),
                        bytes(AccountAddress.from_int(1)),
                        vec(prefix(k)),
                        vec(b"V"),
                        boolean(True),
                    ],
                    "LBR",
                ),
            )
        ),
        "DiemAccount",
        Category.INVALID_ARGUMENT,
        DiemAccountReason.ECANNOT_CREATE_AT_CORE_CODE,
    )
    aborted(
        w.run(w.txn(TC, sf(ACS, "create_parent_vasp_account", args, "NOPE"))),
        "Diem",
        Category.NOT_PUBLISHED,
        15,
    )
    executed(w.run(w.txn(TC, sf(ACS, "create_parent_vasp_account", args, "LBR"))))
    aborted(
        w.run(w.txn(TC, sf(ACS, "create_parent_vasp_account", args, "LBR"))),
        "DiemAccount",
        Category.ALREADY_PUBLISHED,
        DiemAccountReason.EACCOUNT,
    )


def test_create_child_vasp() -> None:
    w, a, _ = funded_world()
    c = create_child(w, a, 400, initial=5)
    s = state(w, c)
    assert s.role == ROLE_CHILD_VASP and s.balances == {"LBR": 5}
    assert s.details.child_vasp is not None and s.details.child_vasp.parent == a
    assert s.received_events.key == EventKey.create(0, c)
    assert state(w, a).details.parent_vasp.num_children == 1  # type: ignore[union-attr]
    k, d = w.new_key_account(401)
    aborted(
        w.run(
            w.txn(
                c,
                sf(
                    ACS,
                    "create_child_vasp_account",
                    [bytes(d), vec(prefix(k)), boolean(False), u64(0)],
                    "LBR",
                ),
            )
        ),
        "Roles",
        Category.REQUIRES_ROLE,
        RolesReason.EPARENT_VASP,
    )
    aborted(
        w.run(
            w.txn(
                a,
                sf(
                    ACS,
                    "create_child_vasp_account",
                    [bytes(d), vec(prefix(k)), boolean(False), u64(10**18)],
                    "LBR",
                ),
            )
        ),
        "DiemAccount",
        Category.LIMIT_EXCEEDED,
        DiemAccountReason.EINSUFFICIENT_BALANCE,
    )
    assert state(w, a).details.parent_vasp.num_children == 1  # type: ignore[union-attr]


def test_too_many_children() -> None:
    import dataclasses

    from libra.framework.account import Account, Journal
    from libra.framework.state import ParentVasp

    w, a, _ = funded_world()
    acct = Account.decode(a, w.view.blobs[a])
    acct.set_details(Journal(), dataclasses.replace(acct.details, parent_vasp=ParentVasp(256)))
    w.view.blobs[a] = acct.encode()
    k, d = w.new_key_account(402)
    aborted(
        w.run(
            w.txn(
                a,
                sf(
                    ACS,
                    "create_child_vasp_account",
                    [bytes(d), vec(prefix(k)), boolean(False), u64(0)],
                    "LBR",
                ),
            )
        ),
        "VASP",
        Category.LIMIT_EXCEEDED,
        VaspReason.ETOO_MANY_CHILDREN,
    )


def test_create_dealer_validator_operator() -> None:
    w = World()
    k, d = w.new_key_account(500)
    executed(
        w.run(
            w.txn(
                TC,
                sf(
                    ACS,
                    "create_designated_dealer",
                    [u64(0), bytes(d), vec(prefix(k)), vec(b"D"), boolean(False)],
                    "XUS",
                ),
            )
        )
    )
    s = state(w, d)
    assert s.role == ROLE_DESIGNATED_DEALER and s.details.dealer is not None
    assert s.details.dealer.received_mint_events.key == EventKey.create(0, d)
    assert s.received_events.key == EventKey.create(3, d)
    kv, v = w.new_key_account(501)
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
    assert state(w, v).role == ROLE_VALIDATOR and state(w, v).balances == {}
    ko, o = w.new_key_account(502)
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
    assert state(w, o).role == ROLE_VALIDATOR_OPERATOR
    k2, x = w.new_key_account(503)
    aborted(
        w.run(
            w.txn(
                TC,
                sf(
                    ACS,
                    "create_validator_account",
                    [u64(0), bytes(x), vec(prefix(k2)), vec(b"val")],
                ),
            )
        ),
        "CoreAddresses",
        Category.REQUIRES_ADDRESS,
        0,
    )
    aborted(
        w.run(w.txn(v, sf(AAS, "add_currency_to_account", [], "LBR"))),
        "DiemAccount",
        Category.INVALID_ARGUMENT,
        DiemAccountReason.EROLE_CANT_STORE_BALANCE,
    )


def test_add_currency() -> None:
    w = World()
    a = create_parent(w, 600, add_all=False, currency="XUS")
    executed(w.run(w.txn(a, sf(AAS, "add_currency_to_account", [], "LBR"))))
    assert state(w, a).balances == {"XUS": 0, "LBR": 0}
    aborted(
        w.run(w.txn(a, sf(AAS, "add_currency_to_account", [], "LBR"))),
        "DiemAccount",
        Category.ALREADY_PUBLISHED,
        DiemAccountReason.EADD_EXISTING_CURRENCY,
    )
    aborted(
        w.run(w.txn(a, sf(AAS, "add_currency_to_account", [], "ZZZ"))),
        "Diem",
        Category.NOT_PUBLISHED,
        15,
    )


def test_rotate_authentication_key() -> None:
    w, a, b = funded_world()
    new = key(900)
    new_auth = bytes(AuthenticationKey.ed25519(new.public_key))
    aborted(
        w.run(w.txn(a, sf(AAS, "rotate_authentication_key", [vec(b"\x01" * 31)]))),
        "DiemAccount",
        Category.INVALID_ARGUMENT,
        DiemAccountReason.EMALFORMED_AUTHENTICATION_KEY,
    )
    executed(w.run(w.txn(a, sf(AAS, "rotate_authentication_key", [vec(new_auth)]))))
    assert state(w, a).authentication_key == new_auth
    w.keys[a] = new
    executed(pay(w, a, b, 1))
    aborted(
        w.run(w.txn(a, sf(AAS, "rotate_authentication_key_with_nonce", [u64(1), vec(new_auth)]))),
        "SlidingNonce",
        Category.NOT_PUBLISHED,
        0,
    )


def test_recovery_address_flow() -> None:
    w, a, b = funded_world()
    c = create_child(w, a, 700)
    aborted(
        w.run(w.txn(DD, sf(AAS, "create_recovery_address", []))),
        "RecoveryAddress",
        Category.INVALID_ARGUMENT,
        RecoveryAddressReason.ENOT_A_VASP,
    )
    executed(w.run(w.txn(a, sf(AAS, "create_recovery_address", []))))
    aborted(
        w.run(w.txn(a, sf(AAS, "create_recovery_address", []))),
        "RecoveryAddress",
        Category.ALREADY_PUBLISHED,
        RecoveryAddressReason.ERECOVERY_ADDRESS_ALREADY_PUBLISHED,
    )
    aborted(
        w.run(w.txn(b, sf(AAS, "add_recovery_rotation_capability", [bytes(a)]))),
        "RecoveryAddress",
        Category.INVALID_ARGUMENT,
        RecoveryAddressReason.EINVALID_KEY_ROTATION_DELEGATION,
    )
    aborted(
        w.run(w.txn(c, sf(AAS, "add_recovery_rotation_capability", [bytes(b)]))),
        "RecoveryAddress",
        Category.NOT_PUBLISHED,
        RecoveryAddressReason.ERECOVERY_ADDRESS,
    )
    executed(w.run(w.txn(c, sf(AAS, "add_recovery_rotation_capability", [bytes(a)]))))
    # c delegated its capability: it can no longer rotate its own key
    aborted(
        w.run(w.txn(c, sf(AAS, "rotate_authentication_key", [vec(b"\x05" * 32)]))),
        "DiemAccount",
        Category.INVALID_STATE,
        DiemAccountReason.EKEY_ROTATION_CAPABILITY_ALREADY_EXTRACTED,
    )
    new_auth = b"\x07" * 32
    args = [bytes(a), bytes(c), vec(new_auth)]
    aborted(
        w.run(w.txn(b, sf(AAS, "rotate_authentication_key_with_recovery_address", args))),
        "RecoveryAddress",
        Category.INVALID_ARGUMENT,
        RecoveryAddressReason.ECANNOT_ROTATE_KEY,
    )
    aborted(
        w.run(
            w.txn(
                a,
                sf(
                    AAS,
                    "rotate_authentication_key_with_recovery_address",
                    [bytes(b), bytes(c), vec(new_auth)],
                ),
            )
        ),
        "RecoveryAddress",
        Category.NOT_PUBLISHED,
        RecoveryAddressReason.ERECOVERY_ADDRESS,
    )
    executed(w.run(w.txn(a, sf(AAS, "rotate_authentication_key_with_recovery_address", args))))
    assert state(w, c).authentication_key == new_auth


def test_rotate_dual_attestation_info() -> None:
    w, a, _ = funded_world()
    k = key(800)
    out = w.run(
        w.txn(
            a,
            sf(
                AAS,
                "rotate_dual_attestation_info",
                [vec(b"https://vasp"), vec(bytes(k.public_key))],
            ),
        )
    )
    executed(out)
    cred = state(w, a).details.credential
    assert cred is not None and cred.base_url == b"https://vasp"
    assert cred.compliance_public_key == bytes(k.public_key)
    url_ev, key_ev = out.outputs[0].events
    assert url_ev.type_tag == ev.BASE_URL_ROTATION and url_ev.key == EventKey.create(1, a)
    assert key_ev.type_tag == ev.COMPLIANCE_KEY_ROTATION and key_ev.key == EventKey.create(0, a)
    aborted(
        w.run(w.txn(a, sf(AAS, "rotate_dual_attestation_info", [vec(b"u"), vec(b"\x01" * 5)]))),
        "DualAttestation",
        Category.INVALID_ARGUMENT,
        DualAttestationReason.EINVALID_PUBLIC_KEY,
    )
    c = create_child(w, a, 801)
    aborted(
        w.run(
            w.txn(c, sf(AAS, "rotate_dual_attestation_info", [vec(b"u"), vec(bytes(k.public_key))]))
        ),
        "DualAttestation",
        Category.NOT_PUBLISHED,
        DualAttestationReason.ECREDENTIAL,
    )


def test_shared_ed25519_key() -> None:
    w, a, b = funded_world()
    k = key(850)
    aborted(
        w.run(w.txn(a, sf(AAS, "rotate_shared_ed25519_public_key", [vec(bytes(k.public_key))]))),
        "SharedEd25519PublicKey",
        Category.NOT_PUBLISHED,
        SharedKeyReason.ESHARED_KEY,
    )
    aborted(
        w.run(w.txn(a, sf(AAS, "publish_shared_ed25519_public_key", [vec(b"\x00" * 3)]))),
        "SharedEd25519PublicKey",
        Category.INVALID_ARGUMENT,
        SharedKeyReason.EMALFORMED_PUBLIC_KEY,
    )
    executed(
        w.run(w.txn(a, sf(AAS, "publish_shared_ed25519_public_key", [vec(bytes(k.public_key))])))
    )
    assert state(w, a).authentication_key == bytes(AuthenticationKey.ed25519(k.public_key))
    w.keys[a] = k
    aborted(
        w.run(w.txn(a, sf(AAS, "publish_shared_ed25519_public_key", [vec(bytes(k.public_key))]))),
        "SharedEd25519PublicKey",
        Category.ALREADY_PUBLISHED,
        SharedKeyReason.ESHARED_KEY,
    )
    k2 = key(851)
    executed(
        w.run(w.txn(a, sf(AAS, "rotate_shared_ed25519_public_key", [vec(bytes(k2.public_key))])))
    )
    w.keys[a] = k2
    executed(pay(w, a, b, 1))
