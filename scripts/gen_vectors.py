r"""Generate deterministic Diem-compatible test vectors with the official Diem Python SDK.

The SDK is only needed to *generate* the vectors; the JSON files written to ``tests/vectors/``
contain plain fields and hex strings so the project's own implementation can be tested against
them without the SDK installed.

Run from the repository root (the SDK lives in a throw-away virtualenv, ignored by git)::

    python -m venv .venv-vectors \
      && .venv-vectors/bin/pip install diem==1.7.1 protobuf==3.20.3 \
      && .venv-vectors/bin/python scripts/gen_vectors.py

Everything is deterministic: private keys are ``sha3_256(b"libra-vector-key-" + str(i))``,
all sequence numbers, gas values and expiration timestamps are fixed, and Ed25519 signatures
are deterministic, so running the script twice produces byte-identical files.

Files written (top level ``{"generator": "diem==1.7.1", "vectors": [...]}``):

* ``accounts.json``            Ed25519 / MultiEd25519 keys, authentication keys, addresses
* ``signed_transactions.json`` RawTransaction / SignedTransaction BCS, signing messages, hashes
* ``account_identifiers.json`` DIP-5 bech32 account identifiers, intent URIs, invalid strings
* ``payment_metadata.json``    DIP-4 transaction metadata BCS and dual-attestation messages
* ``hashes.json``              ``sha3_256(b"DIEM::" + type_name)`` hasher prefixes
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from diem import AuthKey, diem_types, identifier, stdlib, txnmetadata, utils
from diem import serde_types as st
from diem.identifier import bech32 as diem_bech32

GENERATOR = "diem==1.7.1"
OUT_DIR = Path(__file__).resolve().parent.parent / "tests" / "vectors"
CORE = diem_types.AccountAddress.from_hex("00000000000000000000000000000001")
BASE_EXPIRATION = 1_700_000_000
U64_MAX = 2**64 - 1
U128_MAX = 2**128 - 1

JSON = dict[str, Any]


# --------------------------------------------------------------------------------------------
# keys
# --------------------------------------------------------------------------------------------


def sha3(data: bytes) -> bytes:
    return hashlib.sha3_256(data).digest()


def private_key(i: int) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(sha3(b"libra-vector-key-" + str(i).encode()))


def priv_bytes(i: int) -> bytes:
    return utils.private_key_bytes(private_key(i))


def pub_bytes(i: int) -> bytes:
    return utils.public_key_bytes(private_key(i).public_key())


def auth_key(i: int) -> AuthKey:
    return AuthKey.from_public_key(private_key(i).public_key())


def address(i: int) -> diem_types.AccountAddress:
    return auth_key(i).account_address()


@dataclass(frozen=True)
class MultiKey:
    """A k-of-n MultiEd25519 key made of the deterministic keys ``indices``."""

    indices: tuple[int, ...]
    threshold: int

    @property
    def public_keys(self) -> list[bytes]:
        return [pub_bytes(i) for i in self.indices]

    @property
    def public_key(self) -> bytes:
        # Diem's MultiEd25519PublicKey::to_bytes: pk_1 || ... || pk_n || threshold (u8)
        return b"".join(self.public_keys) + bytes([self.threshold])

    @property
    def auth_key(self) -> bytes:
        # The SDK has no MultiEd25519 helper: sha3_256(multi_pk_bytes || scheme 0x01).
        return utils.hash(self.public_key, b"\x01")

    @property
    def address(self) -> diem_types.AccountAddress:
        return utils.account_address(self.auth_key[-16:])


def multi_signature(signatures: Sequence[tuple[int, bytes]]) -> tuple[bytes, bytes]:
    """Diem's MultiEd25519Signature::to_bytes: sigs in index order || 4-byte bitmap (MSB = 0)."""
    bitmap = bytearray(4)
    for pos, _ in signatures:
        bitmap[pos // 8] |= 0x80 >> (pos % 8)
    ordered = sorted(signatures, key=lambda item: item[0])
    return b"".join(sig for _, sig in ordered) + bytes(bitmap), bytes(bitmap)


# --------------------------------------------------------------------------------------------
# type tags and plain-field descriptions
# --------------------------------------------------------------------------------------------


def struct_tag(
    module: str,
    name: str,
    params: Sequence[diem_types.TypeTag] = (),
    addr: diem_types.AccountAddress = CORE,
) -> diem_types.TypeTag:
    return diem_types.TypeTag__Struct(
        value=diem_types.StructTag(
            address=addr,
            module=diem_types.Identifier(module),
            name=diem_types.Identifier(name),
            type_params=list(params),
        )
    )


def currency_tag(code: str) -> diem_types.TypeTag:
    return utils.currency_code(code)


def short_address(addr: diem_types.AccountAddress) -> str:
    return "0x" + (addr.to_hex().lstrip("0") or "0")


def type_tag_str(tag: diem_types.TypeTag) -> str:
    simple = {
        diem_types.TypeTag__Bool: "bool",
        diem_types.TypeTag__U8: "u8",
        diem_types.TypeTag__U64: "u64",
        diem_types.TypeTag__U128: "u128",
        diem_types.TypeTag__Address: "address",
        diem_types.TypeTag__Signer: "signer",
    }
    if type(tag) in simple:
        return simple[type(tag)]
    if isinstance(tag, diem_types.TypeTag__Vector):
        return f"vector<{type_tag_str(tag.value)}>"
    if isinstance(tag, diem_types.TypeTag__Struct):
        s = tag.value
        text = f"{short_address(s.address)}::{s.module.value}::{s.name.value}"
        if s.type_params:
            text += "<" + ", ".join(type_tag_str(p) for p in s.type_params) + ">"
        return text
    raise TypeError(f"unknown type tag {tag!r}")


def describe_type_tags(tags: Sequence[diem_types.TypeTag]) -> list[JSON]:
    return [{"display": type_tag_str(t), "bcs": t.bcs_serialize().hex()} for t in tags]


def describe_txn_arg(arg: diem_types.TransactionArgument) -> JSON:
    kind = type(arg).__name__.split("__", 1)[1]
    value: Any
    if isinstance(arg, diem_types.TransactionArgument__Address):
        value = arg.value.to_hex()
    elif isinstance(arg, diem_types.TransactionArgument__U8Vector):
        value = arg.value.hex()
    elif isinstance(arg, diem_types.TransactionArgument__Bool):
        value = bool(arg.value)
    else:
        value = int(arg.value)
    return {"kind": kind, "value": value, "bcs": arg.bcs_serialize().hex()}


def describe_script(script: diem_types.Script) -> JSON:
    return {
        "code": script.code.hex(),
        "ty_args": describe_type_tags(script.ty_args),
        "args": [describe_txn_arg(a) for a in script.args],
    }


def describe_event(event: diem_types.ContractEvent) -> JSON:
    assert isinstance(event, diem_types.ContractEvent__V0)
    v0 = event.value
    return {
        "key": v0.key.value.hex(),
        "sequence_number": int(v0.sequence_number),
        "type_tag": describe_type_tags([v0.type_tag])[0],
        "event_data": v0.event_data.hex(),
        "bcs": event.bcs_serialize().hex(),
    }


def describe_payload(payload: diem_types.TransactionPayload) -> JSON:
    out: JSON = {"bcs": payload.bcs_serialize().hex()}
    if isinstance(payload, diem_types.TransactionPayload__Script):
        out["script"] = describe_script(payload.value)
    elif isinstance(payload, diem_types.TransactionPayload__Module):
        out["module_code"] = payload.value.code.hex()
    elif isinstance(payload, diem_types.TransactionPayload__ScriptFunction):
        sf = payload.value
        out["script_function"] = {
            "module_address": sf.module.address.to_hex(),
            "module_name": sf.module.name.value,
            "function": sf.function.value,
            "ty_args": describe_type_tags(sf.ty_args),
            "args": [a.hex() for a in sf.args],
        }
    elif isinstance(payload, diem_types.TransactionPayload__WriteSet):
        ws = payload.value
        if isinstance(ws, diem_types.WriteSetPayload__Direct):
            ops = []
            for access_path, op in ws.value.write_set.value.write_set:
                entry: JSON = {
                    "address": access_path.address.to_hex(),
                    "path": access_path.path.hex(),
                }
                if isinstance(op, diem_types.WriteOp__Value):
                    entry.update(op="value", value=op.value.hex())
                else:
                    entry.update(op="deletion", value=None)
                ops.append(entry)
            out["write_set"] = {
                "variant": "direct",
                "write_set": ops,
                "events": [describe_event(e) for e in ws.value.events],
            }
        else:
            assert isinstance(ws, diem_types.WriteSetPayload__Script)
            out["write_set"] = {
                "variant": "script",
                "execute_as": ws.execute_as.to_hex(),
                "script": describe_script(ws.script),
            }
    return out


# --------------------------------------------------------------------------------------------
# output
# --------------------------------------------------------------------------------------------


def write_json(name: str, doc: JSON) -> None:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    text = json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=True) + "\n"
    (OUT_DIR / name).write_text(text, encoding="utf-8")
    count = len(doc.get("vectors", []))
    print(f"wrote tests/vectors/{name} ({count} vectors)")


# --------------------------------------------------------------------------------------------
# 1. accounts
# --------------------------------------------------------------------------------------------

MULTI_KEYS = {
    "2of3": MultiKey(indices=(20, 21, 22), threshold=2),
    "1of2": MultiKey(indices=(23, 24), threshold=1),
    "3of5": MultiKey(indices=(25, 26, 27, 28, 29), threshold=3),
}


def gen_accounts() -> JSON:
    vectors: list[JSON] = []
    for i in range(12):
        ak = auth_key(i)
        addr = ak.account_address()
        assert ak.data == sha3(pub_bytes(i) + b"\x00")
        assert addr.to_bytes() == ak.data[-16:]
        vectors.append(
            {
                "scheme": "ed25519",
                "seed_index": i,
                "private_key": priv_bytes(i).hex(),
                "public_key": pub_bytes(i).hex(),
                "auth_key": ak.hex(),
                "auth_key_prefix": ak.prefix().hex(),
                "address": utils.account_address_hex(addr),
                "computed_by": "sdk",
            }
        )
    for label, mk in MULTI_KEYS.items():
        assert mk.auth_key == sha3(mk.public_key + b"\x01")
        vectors.append(
            {
                "scheme": "multi_ed25519",
                "name": label,
                "seed_indices": list(mk.indices),
                "private_keys": [priv_bytes(i).hex() for i in mk.indices],
                "public_keys": [pk.hex() for pk in mk.public_keys],
                "threshold": mk.threshold,
                "multi_public_key": mk.public_key.hex(),
                "auth_key": mk.auth_key.hex(),
                "auth_key_prefix": mk.auth_key[:16].hex(),
                "address": mk.address.to_hex(),
                "computed_by": "formula",
            }
        )
    return {
        "generator": GENERATOR,
        "key_derivation": 'private_key = sha3_256(b"libra-vector-key-" + str(seed_index))',
        "vectors": vectors,
    }


# --------------------------------------------------------------------------------------------
# 2. signed transactions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signer:
    key: int | None = None  # single Ed25519 key seed index
    multi: str | None = None  # key into MULTI_KEYS
    positions: tuple[int, ...] = ()  # which positions of the multi key sign


@dataclass(frozen=True)
class TxnSpec:
    name: str
    kind: str
    payload: diem_types.TransactionPayload
    signer: Signer
    currency: str = "XUS"
    chain_id: int = 2
    sequence_number: int = 0
    max_gas_amount: int = 1_000_000
    gas_unit_price: int = 0
    expiration_offset: int = 0
    function: str = ""


def p2p_travel_rule() -> tuple[bytes, bytes]:
    """Travel-rule metadata and the payee compliance key's signature over the attest message."""
    metadata, msg = txnmetadata.travel_rule("ref-0001", address(0), 1_000_000_000)
    return metadata, private_key(40).sign(msg)


def all_args_script() -> diem_types.Script:
    return diem_types.Script(
        code=bytes.fromhex("a11ceb0b010000000501000202020a070c1d08291000000001000100"),
        ty_args=[
            diem_types.TypeTag__Bool(),
            diem_types.TypeTag__U8(),
            diem_types.TypeTag__U64(),
            diem_types.TypeTag__U128(),
            diem_types.TypeTag__Address(),
            diem_types.TypeTag__Signer(),
            diem_types.TypeTag__Vector(value=diem_types.TypeTag__Vector(diem_types.TypeTag__U8())),
            struct_tag("Diem", "Diem", [currency_tag("LBR")]),
        ],
        args=[
            diem_types.TransactionArgument__U8(value=st.uint8(255)),
            diem_types.TransactionArgument__U64(value=st.uint64(U64_MAX)),
            diem_types.TransactionArgument__U128(value=st.uint128(U128_MAX)),
            diem_types.TransactionArgument__Address(value=address(3)),
            diem_types.TransactionArgument__U8Vector(value=b"libra\x00\xff"),
            diem_types.TransactionArgument__Bool(value=True),
            diem_types.TransactionArgument__Bool(value=False),
            diem_types.TransactionArgument__U8(value=st.uint8(0)),
            diem_types.TransactionArgument__U64(value=st.uint64(0)),
            diem_types.TransactionArgument__U128(value=st.uint128(2**64)),
            diem_types.TransactionArgument__U8Vector(value=b""),
        ],
    )


def write_set_direct() -> diem_types.TransactionPayload:
    writes: list[tuple[diem_types.AccessPath, diem_types.WriteOp]] = [
        (
            diem_types.AccessPath(address=address(1), path=b"\x01" + sha3(b"DiemAccount")),
            diem_types.WriteOp__Value(value=bytes(range(40))),
        ),
        (
            diem_types.AccessPath(address=address(2), path=b"\x00" + sha3(b"module")),
            diem_types.WriteOp__Deletion(),
        ),
        (
            diem_types.AccessPath(address=CORE, path=b"\x01\x02\x03"),
            diem_types.WriteOp__Value(value=b""),
        ),
    ]
    events: list[diem_types.ContractEvent] = [
        diem_types.ContractEvent__V0(
            value=diem_types.ContractEventV0(
                key=diem_types.EventKey(value=(2).to_bytes(8, "little") + address(1).to_bytes()),
                sequence_number=st.uint64(7),
                type_tag=struct_tag("DiemAccount", "ReceivedPaymentEvent"),
                event_data=b"\x10\x27\x00\x00\x00\x00\x00\x00",
            )
        ),
        diem_types.ContractEvent__V0(
            value=diem_types.ContractEventV0(
                key=diem_types.EventKey(value=(0).to_bytes(8, "little") + CORE.to_bytes()),
                sequence_number=st.uint64(0),
                type_tag=diem_types.TypeTag__Vector(value=diem_types.TypeTag__U8()),
                event_data=b"",
            )
        ),
    ]
    change_set = diem_types.ChangeSet(
        write_set=diem_types.WriteSet(value=diem_types.WriteSetMut(write_set=writes)),
        events=events,
    )
    return diem_types.TransactionPayload__WriteSet(
        value=diem_types.WriteSetPayload__Direct(value=change_set)
    )


def write_set_script() -> diem_types.TransactionPayload:
    return diem_types.TransactionPayload__WriteSet(
        value=diem_types.WriteSetPayload__Script(
            execute_as=address(4),
            script=stdlib.encode_update_diem_version_script(
                sliding_nonce=st.uint64(0), major=st.uint64(3)
            ),
        )
    )


def script(s: diem_types.Script) -> diem_types.TransactionPayload:
    return diem_types.TransactionPayload__Script(value=s)


def txn_specs() -> list[TxnSpec]:
    xus, xdx, lbr = currency_tag("XUS"), currency_tag("XDX"), currency_tag("LBR")
    tr_metadata, tr_signature = p2p_travel_rule()
    general = txnmetadata.general_metadata(b"\x00" * 7 + b"\x01", b"\x00" * 7 + b"\x02")
    k = 0  # single-key signer rotation

    def one() -> Signer:
        nonlocal k
        k += 1
        return Signer(key=k % 12)

    sf = "script_function"
    specs = [
        # ---- WriteSet ----------------------------------------------------------------------
        TxnSpec("writeset_direct", "write_set", write_set_direct(), one(), "XUS", 4, 0),
        TxnSpec("writeset_script", "write_set", write_set_script(), one(), "XDX", 4, 1),
        # ---- Module ------------------------------------------------------------------------
        TxnSpec(
            "module_publish",
            "module",
            diem_types.TransactionPayload__Module(
                value=diem_types.Module(code=bytes.fromhex("a11ceb0b0100000006") + bytes(range(64)))
            ),
            one(),
            "LBR",
            4,
            2,
        ),
        TxnSpec(
            "module_empty_code",
            "module",
            diem_types.TransactionPayload__Module(value=diem_types.Module(code=b"")),
            one(),
            "XUS",
            1,
            3,
        ),
        # ---- Script (stdlib bytecode) ------------------------------------------------------
        TxnSpec(
            "script_p2p_with_metadata_xus",
            "script",
            script(
                stdlib.encode_peer_to_peer_with_metadata_script(
                    xus, address(5), st.uint64(1_234_567), general, b""
                )
            ),
            one(),
            "XUS",
            2,
            10,
            function="peer_to_peer_with_metadata",
        ),
        TxnSpec(
            "script_p2p_travel_rule_lbr",
            "script",
            script(
                stdlib.encode_peer_to_peer_with_metadata_script(
                    lbr, address(6), st.uint64(1_000_000_000), tr_metadata, tr_signature
                )
            ),
            Signer(key=0),
            "LBR",
            2,
            11,
            max_gas_amount=400_000,
            gas_unit_price=1,
            function="peer_to_peer_with_metadata",
        ),
        TxnSpec(
            "script_create_child_vasp",
            "script",
            script(
                stdlib.encode_create_child_vasp_account_script(
                    xdx, address(7), auth_key(7).prefix(), False, st.uint64(0)
                )
            ),
            one(),
            "XDX",
            2,
            12,
            function="create_child_vasp_account",
        ),
        TxnSpec(
            "script_rotate_dual_attestation_info",
            "script",
            script(
                stdlib.encode_rotate_dual_attestation_info_script(
                    b"https://vasp.example/offchain", pub_bytes(40)
                )
            ),
            one(),
            "XUS",
            1,
            13,
            function="rotate_dual_attestation_info",
        ),
        TxnSpec(
            "script_add_currency_lbr",
            "script",
            script(stdlib.encode_add_currency_to_account_script(lbr)),
            one(),
            "LBR",
            4,
            14,
            function="add_currency_to_account",
        ),
        TxnSpec(
            "script_tiered_mint",
            "script",
            script(
                stdlib.encode_tiered_mint_script(
                    xus, st.uint64(5), address(8), st.uint64(10**12), st.uint64(1)
                )
            ),
            one(),
            "XUS",
            4,
            15,
            function="tiered_mint",
        ),
        TxnSpec(
            "script_all_argument_kinds",
            "script",
            script(all_args_script()),
            one(),
            "LBR",
            4,
            U64_MAX,
            max_gas_amount=U64_MAX,
            gas_unit_price=U64_MAX,
            expiration_offset=U64_MAX - BASE_EXPIRATION,
        ),
        # ---- ScriptFunction (stdlib) -------------------------------------------------------
        TxnSpec(
            "sf_peer_to_peer_with_metadata_xus",
            sf,
            stdlib.encode_peer_to_peer_with_metadata_script_function(
                xus, address(9), st.uint64(100), b"", b""
            ),
            one(),
            "XUS",
            2,
            20,
            function="peer_to_peer_with_metadata",
        ),
        TxnSpec(
            "sf_peer_to_peer_travel_rule_xdx",
            sf,
            stdlib.encode_peer_to_peer_with_metadata_script_function(
                xdx, address(6), st.uint64(1_000_000_000), tr_metadata, tr_signature
            ),
            Signer(key=0),
            "XDX",
            2,
            21,
            gas_unit_price=30,
            function="peer_to_peer_with_metadata",
        ),
        TxnSpec(
            "sf_create_parent_vasp_account",
            sf,
            stdlib.encode_create_parent_vasp_account_script_function(
                xus, st.uint64(0), address(10), auth_key(10).prefix(), b"Parent VASP", True
            ),
            one(),
            "XUS",
            4,
            22,
            function="create_parent_vasp_account",
        ),
        TxnSpec(
            "sf_create_child_vasp_account",
            sf,
            stdlib.encode_create_child_vasp_account_script_function(
                lbr, address(11), auth_key(11).prefix(), True, st.uint64(50_000_000)
            ),
            one(),
            "LBR",
            4,
            23,
            function="create_child_vasp_account",
        ),
        TxnSpec(
            "sf_create_designated_dealer",
            sf,
            stdlib.encode_create_designated_dealer_script_function(
                xus, st.uint64(1), address(2), auth_key(2).prefix(), b"Dealer", False
            ),
            one(),
            "XUS",
            4,
            24,
            function="create_designated_dealer",
        ),
        TxnSpec(
            "sf_rotate_authentication_key",
            sf,
            stdlib.encode_rotate_authentication_key_script_function(auth_key(3).data),
            one(),
            "XDX",
            1,
            25,
            function="rotate_authentication_key",
        ),
        TxnSpec(
            "sf_add_currency_to_account_lbr",
            sf,
            stdlib.encode_add_currency_to_account_script_function(lbr),
            one(),
            "LBR",
            2,
            26,
            function="add_currency_to_account",
        ),
        TxnSpec(
            "sf_tiered_mint_lbr",
            sf,
            stdlib.encode_tiered_mint_script_function(
                lbr, st.uint64(2), address(2), st.uint64(10**15), st.uint64(3)
            ),
            one(),
            "LBR",
            4,
            27,
            function="tiered_mint",
        ),
        TxnSpec(
            "sf_preburn",
            sf,
            stdlib.encode_preburn_script_function(xus, st.uint64(777)),
            one(),
            "XUS",
            4,
            28,
            function="preburn",
        ),
        TxnSpec(
            "sf_burn_with_amount",
            sf,
            stdlib.encode_burn_with_amount_script_function(
                xus, st.uint64(3), address(2), st.uint64(777)
            ),
            one(),
            "XUS",
            4,
            29,
            function="burn_with_amount",
        ),
        TxnSpec(
            "sf_cancel_burn_with_amount",
            sf,
            stdlib.encode_cancel_burn_with_amount_script_function(lbr, address(2), st.uint64(778)),
            one(),
            "LBR",
            4,
            30,
            function="cancel_burn_with_amount",
        ),
        TxnSpec(
            "sf_burn_txn_fees",
            sf,
            stdlib.encode_burn_txn_fees_script_function(xdx),
            one(),
            "XDX",
            4,
            31,
            function="burn_txn_fees",
        ),
        TxnSpec(
            "sf_freeze_account",
            sf,
            stdlib.encode_freeze_account_script_function(st.uint64(4), address(5)),
            one(),
            "XUS",
            2,
            32,
            function="freeze_account",
        ),
        TxnSpec(
            "sf_unfreeze_account",
            sf,
            stdlib.encode_unfreeze_account_script_function(st.uint64(5), address(5)),
            one(),
            "XUS",
            2,
            33,
            function="unfreeze_account",
        ),
        TxnSpec(
            "sf_update_dual_attestation_limit",
            sf,
            stdlib.encode_update_dual_attestation_limit_script_function(
                st.uint64(6), st.uint64(1_000_000_000)
            ),
            one(),
            "XDX",
            1,
            34,
            function="update_dual_attestation_limit",
        ),
        TxnSpec(
            "sf_update_exchange_rate_lbr",
            sf,
            stdlib.encode_update_exchange_rate_script_function(
                lbr, st.uint64(7), st.uint64(3), st.uint64(2)
            ),
            one(),
            "LBR",
            1,
            35,
            function="update_exchange_rate",
        ),
        TxnSpec(
            "sf_update_minting_ability",
            sf,
            stdlib.encode_update_minting_ability_script_function(xus, False),
            one(),
            "XUS",
            1,
            36,
            function="update_minting_ability",
        ),
        TxnSpec(
            "sf_rotate_dual_attestation_info",
            sf,
            stdlib.encode_rotate_dual_attestation_info_script_function(
                b"https://lbr.example/api", pub_bytes(41)
            ),
            one(),
            "LBR",
            2,
            37,
            function="rotate_dual_attestation_info",
        ),
        TxnSpec(
            "sf_create_recovery_address",
            sf,
            stdlib.encode_create_recovery_address_script_function(),
            one(),
            "XUS",
            2,
            38,
            function="create_recovery_address",
        ),
        TxnSpec(
            "sf_add_recovery_rotation_capability",
            sf,
            stdlib.encode_add_recovery_rotation_capability_script_function(address(1)),
            one(),
            "XUS",
            2,
            39,
            function="add_recovery_rotation_capability",
        ),
        TxnSpec(
            "sf_rotate_authentication_key_with_nonce",
            sf,
            stdlib.encode_rotate_authentication_key_with_nonce_script_function(
                st.uint64(8), auth_key(4).data
            ),
            one(),
            "XDX",
            2,
            40,
            function="rotate_authentication_key_with_nonce",
        ),
        TxnSpec(
            "sf_publish_shared_ed25519_public_key",
            sf,
            stdlib.encode_publish_shared_ed25519_public_key_script_function(pub_bytes(42)),
            one(),
            "XUS",
            2,
            41,
            function="publish_shared_ed25519_public_key",
        ),
        TxnSpec(
            "sf_update_diem_version",
            sf,
            stdlib.encode_update_diem_version_script_function(st.uint64(9), st.uint64(4)),
            one(),
            "XUS",
            4,
            42,
            function="update_diem_version",
        ),
        TxnSpec(
            "sf_create_validator_account",
            sf,
            stdlib.encode_create_validator_account_script_function(
                st.uint64(10), address(3), auth_key(3).prefix(), b"validator-0"
            ),
            one(),
            "XUS",
            4,
            43,
            function="create_validator_account",
        ),
        TxnSpec(
            "sf_hand_built_nested_type_args",
            sf,
            diem_types.TransactionPayload__ScriptFunction(
                value=diem_types.ScriptFunction(
                    module=diem_types.ModuleId(
                        address=address(1), name=diem_types.Identifier("LibraTest")
                    ),
                    function=diem_types.Identifier("nested_generics"),
                    ty_args=[
                        diem_types.TypeTag__Vector(
                            value=diem_types.TypeTag__Vector(value=diem_types.TypeTag__U64())
                        ),
                        struct_tag("Diem", "Diem", [lbr]),
                        struct_tag(
                            "Pair",
                            "Pair",
                            [diem_types.TypeTag__Vector(value=xdx), diem_types.TypeTag__Bool()],
                            addr=address(1),
                        ),
                        diem_types.TypeTag__U128(),
                        diem_types.TypeTag__Address(),
                        diem_types.TypeTag__Signer(),
                    ],
                    args=[b"", b"\x01", (2**64 - 2).to_bytes(8, "little"), address(2).to_bytes()],
                )
            ),
            one(),
            "LBR",
            2,
            44,
        ),
        # ---- MultiEd25519 ------------------------------------------------------------------
        TxnSpec(
            "multi_2of3_p2p_xus",
            sf,
            stdlib.encode_peer_to_peer_with_metadata_script_function(
                xus, address(1), st.uint64(5_000), b"", b""
            ),
            Signer(multi="2of3", positions=(0, 1)),
            "XUS",
            1,
            0,
            function="peer_to_peer_with_metadata",
        ),
        TxnSpec(
            "multi_2of3_positions_0_2_lbr",
            sf,
            stdlib.encode_add_currency_to_account_script_function(lbr),
            Signer(multi="2of3", positions=(2, 0)),
            "LBR",
            2,
            1,
            function="add_currency_to_account",
        ),
        TxnSpec(
            "multi_1of2_second_key_script",
            "script",
            script(stdlib.encode_add_currency_to_account_script(xdx)),
            Signer(multi="1of2", positions=(1,)),
            "XDX",
            4,
            2,
            function="add_currency_to_account",
        ),
        TxnSpec(
            "multi_3of5_positions_1_3_4_writeset",
            "write_set",
            write_set_direct(),
            Signer(multi="3of5", positions=(1, 3, 4)),
            "LBR",
            4,
            3,
        ),
        TxnSpec(
            "multi_3of5_all_five_sign_rotate",
            sf,
            stdlib.encode_rotate_authentication_key_script_function(MULTI_KEYS["2of3"].auth_key),
            Signer(multi="3of5", positions=(0, 1, 2, 3, 4)),
            "XUS",
            2,
            4,
            function="rotate_authentication_key",
        ),
    ]
    return specs


def build_signed(spec: TxnSpec, index: int) -> JSON:
    signer = spec.signer
    if signer.key is not None:
        sender = address(signer.key)
    else:
        assert signer.multi is not None
        sender = MULTI_KEYS[signer.multi].address
    if spec.expiration_offset:
        expiration = BASE_EXPIRATION + spec.expiration_offset
    else:
        expiration = BASE_EXPIRATION + index * 60
    raw = diem_types.RawTransaction(
        sender=sender,
        sequence_number=st.uint64(spec.sequence_number),
        payload=spec.payload,
        max_gas_amount=st.uint64(spec.max_gas_amount),
        gas_unit_price=st.uint64(spec.gas_unit_price),
        gas_currency_code=spec.currency,
        expiration_timestamp_secs=st.uint64(expiration),
        chain_id=diem_types.ChainId.from_int(spec.chain_id),
    )
    raw_bcs = raw.bcs_serialize()
    msg = utils.raw_transaction_signing_msg(raw)
    assert msg == sha3(b"DIEM::RawTransaction") + raw_bcs
    entry: JSON = {
        "name": spec.name,
        "payload_kind": spec.kind,
        "currency": spec.currency,
        "chain_id": spec.chain_id,
        "sender": sender.to_hex(),
        "sequence_number": spec.sequence_number,
        "max_gas_amount": spec.max_gas_amount,
        "gas_unit_price": spec.gas_unit_price,
        "expiration_timestamp_secs": expiration,
        "raw_txn_bcs": raw_bcs.hex(),
        "signing_message": msg.hex(),
        "payload": describe_payload(spec.payload),
    }
    if spec.function:
        entry["function"] = spec.function
    if signer.key is not None:
        sk = private_key(signer.key)
        sig = sk.sign(msg)
        sk.public_key().verify(sig, msg)
        signed = utils.create_signed_transaction(raw, pub_bytes(signer.key), sig)
        entry.update(
            authenticator="ed25519",
            private_key=priv_bytes(signer.key).hex(),
            public_key=pub_bytes(signer.key).hex(),
            signature=sig.hex(),
        )
    else:
        assert signer.multi is not None
        mk = MULTI_KEYS[signer.multi]
        assert len(signer.positions) >= mk.threshold
        sigs = []
        for pos in signer.positions:
            sk = private_key(mk.indices[pos])
            sig = sk.sign(msg)
            sk.public_key().verify(sig, msg)
            sigs.append((pos, sig))
        multi_sig, bitmap = multi_signature(sigs)
        signed = diem_types.SignedTransaction(
            raw_txn=raw,
            authenticator=diem_types.TransactionAuthenticator__MultiEd25519(
                public_key=diem_types.MultiEd25519PublicKey(value=mk.public_key),
                signature=diem_types.MultiEd25519Signature(value=multi_sig),
            ),
        )
        entry.update(
            authenticator="multi_ed25519",
            multi_key=signer.multi,
            threshold=mk.threshold,
            public_key=[pk.hex() for pk in mk.public_keys],
            signature=[sig.hex() for _, sig in sorted(sigs)],
            signer_positions=sorted(signer.positions),
            private_keys=[priv_bytes(mk.indices[p]).hex() for p in sorted(signer.positions)],
            bitmap=bitmap.hex(),
            multi_public_key=mk.public_key.hex(),
            multi_signature=multi_sig.hex(),
        )
    signed_bcs = signed.bcs_serialize()
    assert diem_types.SignedTransaction.bcs_deserialize(signed_bcs) == signed
    assert diem_types.RawTransaction.bcs_deserialize(raw_bcs) == raw
    txn_hash = utils.transaction_hash(signed)
    assert txn_hash == sha3(sha3(b"DIEM::Transaction") + b"\x00" + signed_bcs).hex()
    entry.update(
        signed_txn_bcs=signed_bcs.hex(),
        authenticator_bcs=signed.authenticator.bcs_serialize().hex(),
        txn_hash=txn_hash,
    )
    return entry


def gen_signed_transactions() -> JSON:
    vectors = [build_signed(spec, i) for i, spec in enumerate(txn_specs())]
    names = [v["name"] for v in vectors]
    assert len(names) == len(set(names))
    return {
        "generator": GENERATOR,
        "notes": [
            'signing_message = sha3_256(b"DIEM::RawTransaction") || raw_txn_bcs '
            "(diem.utils.raw_transaction_signing_msg)",
            'txn_hash = sha3_256(sha3_256(b"DIEM::Transaction") || 0x00 || signed_txn_bcs), '
            "i.e. Transaction::UserTransaction (variant 0) (diem.utils.transaction_hash)",
            "multi_ed25519: public key = pk_1..pk_n || threshold u8; signature = signatures in "
            "ascending signer position || 4-byte bitmap, bit (0x80 >> (pos % 8)) of byte pos // 8",
        ],
        "vectors": vectors,
    }


# --------------------------------------------------------------------------------------------
# 3. account identifiers (DIP-5)
# --------------------------------------------------------------------------------------------


def error_of(fn: Callable[[], object]) -> BaseException:
    try:
        fn()
    except Exception as exc:
        return exc
    raise AssertionError("expected the SDK to raise")


def gen_account_identifiers() -> JSON:
    cases: list[tuple[str, diem_types.AccountAddress, bytes | None]] = [
        ("dm", address(0), None),
        ("dm", address(1), bytes.fromhex("cf64428bdeb62af2")),
        ("tdm", address(2), None),
        ("tdm", address(3), bytes.fromhex("0000000000000001")),
        ("pdm", address(4), None),
        ("pdm", address(5), bytes.fromhex("ffffffffffffffff")),
        ("dm", CORE, None),
        ("tdm", diem_types.AccountAddress.from_hex("0000000000000000000000000a550c18"), None),
        ("pdm", diem_types.AccountAddress.from_hex("0000000000000000000000000b1e55ed"), None),
        ("dm", diem_types.AccountAddress.from_hex("f72589b71ff4f8d139674a3f7369c69b"), None),
        (
            "dm",
            diem_types.AccountAddress.from_hex("f72589b71ff4f8d139674a3f7369c69b"),
            bytes.fromhex("cf64428bdeb62af2"),
        ),
        ("tdm", address(6), b"\x00" * 8),  # explicit zero subaddress == no subaddress
        ("tdm", diem_types.AccountAddress.from_bytes(b"\xff" * 16), bytes(range(1, 9))),
        ("pdm", diem_types.AccountAddress.from_bytes(b"\x00" * 16), None),
    ]
    vectors: list[JSON] = []
    for hrp, addr, sub in cases:
        encoded = identifier.encode_account(addr, sub, hrp)
        dec_addr, dec_sub = identifier.decode_account(encoded, hrp)
        assert dec_addr == addr
        _, _, sub_bytes = diem_bech32.bech32_address_decode(hrp, encoded)
        assert sub_bytes == (sub if sub is not None else b"\x00" * 8)
        vectors.append(
            {
                "hrp": hrp,
                "address": addr.to_hex(),
                "subaddress": sub.hex() if sub is not None else "",
                "subaddress_bytes": sub_bytes.hex(),
                "decoded_subaddress": dec_sub.hex() if dec_sub is not None else "",
                "encoded": encoded,
            }
        )

    intent_cases: list[tuple[str, diem_types.AccountAddress, bytes | None, str | None, int | None]]
    intent_cases = [
        ("dm", address(0), None, None, None),
        ("dm", address(1), bytes.fromhex("cf64428bdeb62af2"), "XUS", 123_000_000),
        ("tdm", address(2), None, "XDX", None),
        ("tdm", address(3), bytes.fromhex("0000000000000001"), None, 1),
        ("pdm", address(4), None, "LBR", 5_000_000),
        ("pdm", address(5), bytes.fromhex("ffffffffffffffff"), "LBR", None),
        ("tdm", address(6), bytes.fromhex("0102030405060708"), "XUS", U64_MAX),
        ("dm", address(7), None, "XUS", 0),  # the SDK drops am=0
        ("tdm", address(8), None, None, 42),
    ]
    intents: list[JSON] = []
    for hrp, addr, sub, currency, amount in intent_cases:
        account_id = identifier.encode_account(addr, sub, hrp)
        uri = identifier.encode_intent(account_id, currency, amount)
        intent = identifier.decode_intent(uri, hrp)
        assert intent.account_address == addr
        assert intent.account_id == account_id
        intents.append(
            {
                "uri": uri,
                "hrp": hrp,
                "account_identifier": account_id,
                "address": addr.to_hex(),
                "subaddress": sub.hex() if sub is not None else "",
                "currency": intent.currency_code,
                "amount": intent.amount,
                "encode_args": {"currency": currency, "amount": amount},
            }
        )

    good_dm = vectors[1]["encoded"]
    good_tdm = vectors[3]["encoded"]
    good_pdm = vectors[4]["encoded"]
    payload = address(1).to_bytes() + bytes.fromhex("cf64428bdeb62af2")
    five = diem_bech32._convertbits(payload, 8, 5, True)
    assert five is not None
    # padding bits (3 low bits of the last 5-bit group) must be zero for a valid identifier
    bad_padding = diem_bech32._bech32_encode("dm", [1, *five[:-1], five[-1] | 0x01])
    long_five = diem_bech32._convertbits(payload + b"\x00", 8, 5, True)
    assert long_five is not None

    def flip_last(s: str) -> str:
        charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
        return s[:-1] + charset[(charset.index(s[-1]) + 1) % 32]

    invalid_cases: list[tuple[str, str, str]] = [
        ("bad_checksum", flip_last(good_dm), "dm"),
        ("bad_checksum", good_tdm[:10] + flip_last(good_tdm[:11])[-1] + good_tdm[11:], "tdm"),
        ("wrong_hrp", good_tdm, "dm"),
        ("wrong_hrp", good_tdm, "pdm"),
        ("wrong_hrp", good_dm, "tdm"),
        ("wrong_version", diem_bech32._bech32_encode("dm", [0, *five]), "dm"),
        ("wrong_version", diem_bech32._bech32_encode("tdm", [2, *five]), "tdm"),
        ("wrong_length", good_dm[:-1], "dm"),
        ("wrong_length", good_pdm + "q", "pdm"),
        ("wrong_length", "", "dm"),
        ("wrong_payload_length", diem_bech32._bech32_encode("dm", [1, *long_five]), "dm"),
        ("nonzero_padding", bad_padding, "dm"),
        ("mixed_case", good_dm[:5] + good_dm[5:].upper(), "dm"),
        ("mixed_case", good_tdm.upper()[:-1] + good_tdm[-1], "tdm"),
        ("non_bech32_char", good_dm[:10] + "b" + good_dm[11:], "dm"),
        ("non_bech32_char", good_tdm[:20] + "i" + good_tdm[21:], "tdm"),
        ("non_bech32_char", good_pdm[:30] + "o" + good_pdm[31:], "pdm"),
        ("bad_separator", "dm2" + good_dm[3:], "dm"),
    ]
    invalid: list[JSON] = []
    for category, s, hrp in invalid_cases:
        exc = error_of(lambda s=s, hrp=hrp: identifier.decode_account(s, hrp))
        cause = exc.__context__
        invalid.append(
            {
                "category": category,
                "encoded": s,
                "hrp": hrp,
                "sdk_error": str(exc),
                "sdk_reason": str(cause) if cause is not None else "",
            }
        )

    uppercase: list[JSON] = []
    for v in vectors[:6]:
        upper = v["encoded"].upper()
        dec_addr, dec_sub = identifier.decode_account(upper, v["hrp"])
        uppercase.append(
            {
                "encoded": upper,
                "hrp": v["hrp"],
                "address": dec_addr.to_hex(),
                "decoded_subaddress": dec_sub.hex() if dec_sub is not None else "",
            }
        )

    return {
        "generator": GENERATOR,
        "notes": [
            "encode_account with no subaddress (None or b'') encodes 8 zero bytes; "
            'decode_account maps an all-zero subaddress back to None ("" here)',
            "encode_intent omits c= when currency is falsy and am= when amount is None or <= 0",
            "uppercase_accepted: the SDK accepts all-uppercase identifiers",
        ],
        "vectors": vectors,
        "intents": intents,
        "invalid": invalid,
        "uppercase_accepted": uppercase,
    }


# --------------------------------------------------------------------------------------------
# 4. payment metadata (DIP-4)
# --------------------------------------------------------------------------------------------


def general(to_sub: bytes | None, from_sub: bytes | None, event: int | None) -> diem_types.Metadata:
    return diem_types.Metadata__GeneralMetadata(
        value=diem_types.GeneralMetadata__GeneralMetadataVersion0(
            value=diem_types.GeneralMetadataV0(
                to_subaddress=to_sub,
                from_subaddress=from_sub,
                referenced_event=st.uint64(event) if event is not None else None,
            )
        )
    )


def hex_or_none(b: bytes | None) -> str | None:
    return b.hex() if b is not None else None


def gen_payment_metadata() -> JSON:
    vectors: list[JSON] = []

    def add(name: str, kind: str, md: diem_types.Metadata, fields: JSON, **extra: Any) -> None:
        bcs = md.bcs_serialize()
        assert diem_types.Metadata.bcs_deserialize(bcs) == md
        vectors.append({"name": name, "kind": kind, "bcs": bcs.hex(), "fields": fields, **extra})

    sub_a, sub_b = bytes.fromhex("8f8b82153010a1bd"), bytes.fromhex("0000000000000001")
    general_cases: list[tuple[str, bytes | None, bytes | None, int | None]] = [
        ("general_to_and_from", sub_a, sub_b, None),
        ("general_to_only", sub_a, None, None),
        ("general_from_only", None, sub_b, None),
        ("general_all_none", None, None, None),
        ("general_with_referenced_event", sub_b, sub_a, 12_345),
        ("general_referenced_event_zero", None, None, 0),
    ]
    for name, to_sub, from_sub, event in general_cases:
        md = general(to_sub, from_sub, event)
        fields = {
            "to_subaddress": hex_or_none(to_sub),
            "from_subaddress": hex_or_none(from_sub),
            "referenced_event": event,
        }
        helper = txnmetadata.general_metadata(from_sub, to_sub, event)
        extra: JSON = {}
        if helper == md.bcs_serialize():
            extra["sdk_helper"] = "txnmetadata.general_metadata"
        else:
            extra["sdk_helper_bcs"] = helper.hex()
            extra["note"] = (
                "txnmetadata.general_metadata treats referenced_event=0 as None "
                "(truthiness check); bcs here is Some(0) built with diem_types"
            )
        add(name, "general", md, fields, **extra)

    for name, ref_id, sender_idx, amount in [
        ("travel_rule_with_reference_id", "ref-0001", 0, 1_000_000_000),
        ("travel_rule_uuid_reference_id", "3185027f-0574-6f55-2668-3a38fdb5de98", 3, 2**40),
    ]:
        sender = address(sender_idx)
        md_bytes, msg = txnmetadata.travel_rule(ref_id, sender, amount)
        md = diem_types.Metadata.bcs_deserialize(md_bytes)
        expected_msg = md_bytes + sender.to_bytes() + amount.to_bytes(8, "little")
        assert msg == expected_msg + b"@@$$DIEM_ATTEST$$@@"
        compliance = private_key(40)
        signature = compliance.sign(msg)
        add(
            name,
            "travel_rule",
            md,
            {"off_chain_reference_id": ref_id},
            dual_attestation_message=msg.hex(),
            sender_address=sender.to_hex(),
            amount=amount,
            compliance_private_key=priv_bytes(40).hex(),
            compliance_public_key=pub_bytes(40).hex(),
            metadata_signature=signature.hex(),
            sdk_helper="txnmetadata.travel_rule",
        )
    # off_chain_reference_id = None has no SDK helper; build it and its attest message by hand.
    md_none = diem_types.Metadata__TravelRuleMetadata(
        value=diem_types.TravelRuleMetadata__TravelRuleMetadataVersion0(
            value=diem_types.TravelRuleMetadataV0(off_chain_reference_id=None)
        )
    )
    attest = txnmetadata.Attest(metadata=md_none, sender_address=address(1), amount=st.uint64(1))
    add(
        "travel_rule_no_reference_id",
        "travel_rule",
        md_none,
        {"off_chain_reference_id": None},
        dual_attestation_message=(attest.bcs_serialize() + b"@@$$DIEM_ATTEST$$@@").hex(),
        sender_address=address(1).to_hex(),
        amount=1,
    )

    reasons: list[type[diem_types.RefundReason]] = list(diem_types.RefundReason.VARIANTS)
    for i, reason_cls in enumerate(reasons):
        reason = reason_cls()
        reason_name = reason_cls.__name__.split("__", 1)[1]
        version = [0, 1, 4_242, U64_MAX, 2**32][i % 5]
        md_bytes = txnmetadata.refund_metadata(version, reason)
        md = diem_types.Metadata.bcs_deserialize(md_bytes)
        add(
            f"refund_{utils.to_snake(reason_name)}",
            "refund",
            md,
            {
                "transaction_version": version,
                "reason": reason_name,
                "reason_index": reason_cls.INDEX,
            },
            sdk_helper="txnmetadata.refund_metadata",
        )

    for name, data in [
        ("unstructured_bytes", b"libra:\x00\x01\xfe\xff"),
        ("unstructured_bytes_empty", b""),
        ("unstructured_bytes_none", None),
    ]:
        md = diem_types.Metadata__UnstructuredBytesMetadata(
            value=diem_types.UnstructuredBytesMetadata(metadata=data)
        )
        add(name, "unstructured_bytes", md, {"metadata": hex_or_none(data)})

    for name, trade_ids in [
        ("coin_trade_two_ids", ["trade-1", "trade-2"]),
        ("coin_trade_empty", []),
    ]:
        md_bytes = txnmetadata.coin_trade_metadata(trade_ids)
        md = diem_types.Metadata.bcs_deserialize(md_bytes)
        add(
            name,
            "coin_trade",
            md,
            {"trade_ids": trade_ids},
            sdk_helper="txnmetadata.coin_trade_metadata",
        )

    for name, ref in [
        ("payment_reference_id", "3185027f-0574-6f55-2668-3a38fdb5de98"),
        ("payment_reference_id_max", "ffffffff-ffff-ffff-ffff-ffffffffffff"),
    ]:
        md_bytes = txnmetadata.payment_metadata(ref)
        md = diem_types.Metadata.bcs_deserialize(md_bytes)
        add(
            name,
            "payment",
            md,
            {"reference_id": uuid.UUID(ref).bytes.hex(), "reference_id_uuid": ref},
            sdk_helper="txnmetadata.payment_metadata",
        )

    add("undefined", "undefined", diem_types.Metadata__Undefined(), {})

    return {
        "generator": GENERATOR,
        "metadata_variants": [
            {"index": cls.INDEX, "name": cls.__name__.split("__", 1)[1]}
            for cls in diem_types.Metadata.VARIANTS
        ],
        "refund_reasons": [
            {"index": cls.INDEX, "name": cls.__name__.split("__", 1)[1]}
            for cls in diem_types.RefundReason.VARIANTS
        ],
        "missing": [],
        "notes": [
            "dual_attestation_message = bcs(metadata) || sender_address (16 bytes) || "
            'amount (u64 LE) || b"@@$$DIEM_ATTEST$$@@"',
            "metadata_signature is an Ed25519 signature by compliance_private_key over "
            "dual_attestation_message",
        ],
        "vectors": vectors,
    }


# --------------------------------------------------------------------------------------------
# 5. hasher prefixes
# --------------------------------------------------------------------------------------------

HASH_TYPE_NAMES = [
    "RawTransaction",
    "Transaction",
    "TransactionInfo",
    "LedgerInfo",
    "BlockInfo",
    "ContractEvent",
    "TransactionAccumulator",
    "EventAccumulator",
    "SparseMerkleInternal",
    "SparseMerkleLeafNode",
    "AccountStateBlob",
    "Block",
    "BlockData",
    "VoteData",
    "VoteProposal",
    "Timeout",
    "TimeoutForSigning",
    "WriteSet",
    "BlockMetadata",
    "SignedTransaction",
    "TransactionAccumulatorInternalNode",
]

SDK_USES = {
    "RawTransaction": "diem.utils.raw_transaction_signing_msg",
    "Transaction": "diem.utils.transaction_hash",
}

LITERAL_HASHES = [
    "ACCUMULATOR_PLACEHOLDER_HASH",
    "SPARSE_MERKLE_PLACEHOLDER_HASH",
    "PRE_GENESIS_BLOCK_ID",
    "GENESIS_BLOCK_ID",
]


def gen_hashes() -> JSON:
    vectors: list[JSON] = []
    for name in HASH_TYPE_NAMES:
        prefix = utils.diem_hash_seed(name.encode())
        assert prefix == sha3(b"DIEM::" + name.encode())
        entry: JSON = {
            "type_name": name,
            "prefix": prefix.hex(),
            "source": "sdk" if name in SDK_USES else "formula",
            "example_hash_of_empty_bcs": utils.hash(prefix, b"").hex(),
        }
        if name in SDK_USES:
            entry["sdk_function"] = SDK_USES[name]
        vectors.append(entry)
    literals = [
        {
            "name": name,
            "value": name.encode().ljust(32, b"\x00").hex(),
            "source": "formula",
        }
        for name in LITERAL_HASHES
    ]
    return {
        "generator": GENERATOR,
        "notes": [
            'prefix = sha3_256(b"DIEM::" + type_name); hash(x) = sha3_256(prefix || bcs(x))',
            'source "sdk": the SDK itself uses this hasher (RawTransaction signing message, '
            "Transaction hash); the SDK's generic utils.diem_hash_seed computed every prefix "
            'here, but "formula" ones are not used anywhere in the SDK',
            "literal_hashes: Diem's create_literal_hash (ASCII name right-padded with zero bytes "
            "to 32 bytes); not in the SDK",
        ],
        "vectors": vectors,
        "literal_hashes": literals,
    }


def main() -> None:
    write_json("accounts.json", gen_accounts())
    write_json("signed_transactions.json", gen_signed_transactions())
    write_json("account_identifiers.json", gen_account_identifiers())
    write_json("payment_metadata.json", gen_payment_metadata())
    write_json("hashes.json", gen_hashes())


if __name__ == "__main__":
    main()
