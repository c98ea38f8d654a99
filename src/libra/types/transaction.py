"""Transactions, payloads, authenticators, write sets and events, byte-compatible with Diem."""

from __future__ import annotations

import hashlib
import struct
from typing import ClassVar

from libra import bcs
from libra.crypto import (
    CryptoHasher,
    Ed25519PrivateKey,
    Ed25519PublicKey,
    Ed25519Signature,
    HashValue,
    MultiEd25519PublicKey,
    MultiEd25519Signature,
    hash_prefix,
)
from libra.types.account_address import AccountAddress, AuthenticationKey
from libra.types.move import Identifier, ModuleId, TypeTag

MAX_TRANSACTION_SIZE_BYTES = 4096
"""Diem's limit on the size of a user transaction (its BCS encoding)."""

EVENT_KEY_LENGTH = 24


# ---------------------------------------------------------------------------------------------
# Transaction arguments and payloads


class TransactionArgument(bcs.Enum):
    """An argument of a (bytecode) script."""

    __slots__ = ()


@bcs.variant(0)
@bcs.struct
class ArgU8(TransactionArgument):
    value: bcs.U8


@bcs.variant(1)
@bcs.struct
class ArgU64(TransactionArgument):
    value: bcs.U64


@bcs.variant(2)
@bcs.struct
class ArgU128(TransactionArgument):
    value: bcs.U128


@bcs.variant(3)
@bcs.struct
class ArgAddress(TransactionArgument):
    value: AccountAddress


@bcs.variant(4)
@bcs.struct
class ArgU8Vector(TransactionArgument):
    value: bytes


@bcs.variant(5)
@bcs.struct
class ArgBool(TransactionArgument):
    value: bool


@bcs.struct
class Script:
    """A Move bytecode script with its type arguments and arguments."""

    code: bytes
    ty_args: tuple[TypeTag, ...]
    args: tuple[TransactionArgument, ...]


@bcs.struct
class ScriptFunction:
    """A call of a public script function of a published module; arguments are BCS bytes."""

    module: ModuleId
    function: Identifier
    ty_args: tuple[TypeTag, ...]
    args: tuple[bytes, ...]


@bcs.struct
class Module:
    """Move module bytecode to publish."""

    code: bytes


@bcs.struct
class AccessPath:
    """A location in global storage: an account and a path under it."""

    address: AccountAddress
    path: bytes


class WriteOp(bcs.Enum):
    __slots__ = ()


@bcs.variant(0)
@bcs.struct
class WriteOpDeletion(WriteOp):
    pass


@bcs.variant(1)
@bcs.struct
class WriteOpValue(WriteOp):
    value: bytes


@bcs.struct
class WriteSet:
    """The writes of one transaction, in order."""

    write_set: tuple[tuple[AccessPath, WriteOp], ...] = ()


class EventKey(bytes):
    """A 24-byte event stream key: an 8-byte little-endian creation number, then the address."""

    __slots__ = ()
    LENGTH = EVENT_KEY_LENGTH

    def __new__(cls, value: bytes) -> EventKey:
        if len(value) != EVENT_KEY_LENGTH:
            raise ValueError(f"an event key is {EVENT_KEY_LENGTH} bytes, not {len(value)}")
        return super().__new__(cls, value)

    @classmethod
    def create(cls, creation_number: int, address: AccountAddress) -> EventKey:
        return cls(creation_number.to_bytes(8, "little") + bytes(address))

    @classmethod
    def from_hex(cls, text: str) -> EventKey:
        return cls(bytes.fromhex(text.removeprefix("0x")))

    @property
    def creation_number(self) -> int:
        return int.from_bytes(self[:8], "little")

    @property
    def address(self) -> AccountAddress:
        return AccountAddress(self[8:])

    def __repr__(self) -> str:
        return f"EventKey({self.hex()})"

    def __str__(self) -> str:
        return self.hex()


bcs.register_bytes_type(EventKey, EVENT_KEY_LENGTH, length_prefixed=True)

_EVENT_HASH_BASE = hashlib.sha3_256(hash_prefix("ContractEvent"))
_U64_LE = struct.Struct("<Q")
_U64_MAX = (1 << 64) - 1
_SHORT_LENGTH = tuple(bytes((n,)) for n in range(128))
_TYPE_TAG_BYTES: dict[int, tuple[TypeTag, bytes]] = {}
"""The BCS bytes of the type tags events carry, by object identity (execution gives the events
of one kind the same tag object). Each entry holds its tag, so its id cannot be reused while it
is cached."""
_TYPE_TAG_CACHE_SIZE = 256


def _type_tag_bytes(tag: TypeTag) -> bytes:
    entry = _TYPE_TAG_BYTES.get(id(tag))
    if entry is not None and entry[0] is tag:
        return entry[1]
    encoded = bcs.encode_as(TypeTag, tag)
    if len(_TYPE_TAG_BYTES) >= _TYPE_TAG_CACHE_SIZE:
        _TYPE_TAG_BYTES.clear()
    _TYPE_TAG_BYTES[id(tag)] = (tag, encoded)
    return encoded


class ContractEvent(bcs.Enum):
    __slots__ = ()

    def encoded(self) -> bytes:
        """This event's BCS bytes (what ``bcs.encode(self)`` gives)."""
        return bcs.encode(self)

    def hash(self) -> HashValue:
        """The ``ContractEvent`` hash of :meth:`encoded`."""
        h = _EVENT_HASH_BASE.copy()
        h.update(self.encoded())
        return HashValue(h.digest())


@bcs.variant(0)
@bcs.struct
class ContractEventV0(ContractEvent):
    """An event: its stream key, its sequence number in that stream, its type and data."""

    key: EventKey
    sequence_number: bcs.U64
    type_tag: TypeTag
    event_data: bytes

    def encoded(self) -> bytes:
        """This event's BCS bytes, built directly (the variant tag, the key with its length,
        the sequence number, the type tag's cached bytes, the data with its length); values
        of unexpected types go through :func:`libra.bcs.encode`, which checks them."""
        key = self.key
        seq = self.sequence_number
        data = self.event_data
        if (
            type(key) is EventKey
            and len(key) == EVENT_KEY_LENGTH
            and type(seq) is int
            and 0 <= seq <= _U64_MAX
            and type(data) is bytes
        ):
            n = len(data)
            tag = _type_tag_bytes(self.type_tag)
            if n < 128:
                return b"".join((b"\x00\x18", key, _U64_LE.pack(seq), tag, _SHORT_LENGTH[n], data))
            return b"".join((b"\x00\x18", key, _U64_LE.pack(seq), tag, bcs.encode_as(bytes, data)))
        return bcs.encode(self)


@bcs.struct
class ChangeSet:
    write_set: WriteSet
    events: tuple[ContractEvent, ...]


class WriteSetPayload(bcs.Enum):
    __slots__ = ()


@bcs.variant(0)
@bcs.struct
class WriteSetDirect(WriteSetPayload):
    change_set: ChangeSet


@bcs.variant(1)
@bcs.struct
class WriteSetScript(WriteSetPayload):
    execute_as: AccountAddress
    script: Script


class TransactionPayload(bcs.Enum):
    __slots__ = ()


@bcs.variant(0)
@bcs.struct
class PayloadWriteSet(TransactionPayload):
    value: WriteSetPayload


@bcs.variant(1)
@bcs.struct
class PayloadScript(TransactionPayload):
    value: Script


@bcs.variant(2)
@bcs.struct
class PayloadModule(TransactionPayload):
    value: Module


@bcs.variant(3)
@bcs.struct
class PayloadScriptFunction(TransactionPayload):
    value: ScriptFunction


# ---------------------------------------------------------------------------------------------
# Raw and signed transactions

_RAW_TXN_PREFIX = hash_prefix("RawTransaction")
_RAW_TXN_WITH_DATA_PREFIX = hash_prefix("RawTransactionWithData")
_TXN_HASHER = CryptoHasher("Transaction")
_USER_TXN_HASH_PREFIX = hash_prefix("Transaction") + b"\x00"
"""What precedes a signed transaction's BCS bytes in its hash (salt, ``UserTransaction``)."""
_ED25519_AUTHENTICATOR_SIZE = 1 + 1 + 32 + 1 + 64
"""The BCS length of an :class:`Ed25519Authenticator`: tag, key with length, signature with
length."""
_sha3_256 = hashlib.sha3_256
_new_bytes = bytes.__new__


def _uleb128_size(n: int) -> int:
    size = 1
    while n >= 0x80:
        n >>= 7
        size += 1
    return size


@bcs.struct
class RawTransaction:
    """What a sender signs."""

    sender: AccountAddress
    sequence_number: bcs.U64
    payload: TransactionPayload
    max_gas_amount: bcs.U64
    gas_unit_price: bcs.U64
    gas_currency_code: str
    expiration_timestamp_secs: bcs.U64
    chain_id: bcs.U8

    def signing_message(self) -> bytes:
        """``sha3_256(b"DIEM::RawTransaction") || bcs(self)``: the bytes that are signed."""
        return _RAW_TXN_PREFIX + bcs.encode(self)

    def sign(self, key: Ed25519PrivateKey) -> SignedTransaction:
        sig = key.sign(self.signing_message())
        return SignedTransaction(self, Ed25519Authenticator(key.public_key, sig))


class RawTransactionWithData(bcs.Enum):
    """What the signers of a multi-agent transaction sign."""

    __slots__ = ()

    def signing_message(self) -> bytes:
        return _RAW_TXN_WITH_DATA_PREFIX + bcs.encode(self)


@bcs.variant(0)
@bcs.struct
class RawTransactionMultiAgent(RawTransactionWithData):
    raw_txn: RawTransaction
    secondary_signer_addresses: tuple[AccountAddress, ...]


class AccountAuthenticator(bcs.Enum):
    """One account's signature in a multi-agent transaction."""

    __slots__ = ()

    def verify(self, message: bytes) -> bool:
        raise NotImplementedError

    def authentication_key(self) -> AuthenticationKey:
        raise NotImplementedError


@bcs.variant(0)
@bcs.struct
class AccountEd25519(AccountAuthenticator):
    public_key: Ed25519PublicKey
    signature: Ed25519Signature

    def verify(self, message: bytes) -> bool:
        return self.public_key.verify(message, self.signature)

    def authentication_key(self) -> AuthenticationKey:
        return AuthenticationKey.ed25519(self.public_key)


@bcs.variant(1)
@bcs.struct
class AccountMultiEd25519(AccountAuthenticator):
    public_key: MultiEd25519PublicKey
    signature: MultiEd25519Signature

    def verify(self, message: bytes) -> bool:
        return self.public_key.verify(message, self.signature)

    def authentication_key(self) -> AuthenticationKey:
        return AuthenticationKey.multi_ed25519(self.public_key)


class TransactionAuthenticator(bcs.Enum):
    """The signatures on a transaction."""

    __slots__ = ()

    def verify(self, raw_txn: RawTransaction) -> bool:
        """True when every signature is valid over the right message."""
        raise NotImplementedError

    def sender_authentication_key(self) -> AuthenticationKey:
        raise NotImplementedError


@bcs.variant(0)
@bcs.struct
class Ed25519Authenticator(TransactionAuthenticator):
    public_key: Ed25519PublicKey
    signature: Ed25519Signature

    def verify(self, raw_txn: RawTransaction) -> bool:
        return self.public_key.verify(raw_txn.signing_message(), self.signature)

    def sender_authentication_key(self) -> AuthenticationKey:
        return AuthenticationKey.ed25519(self.public_key)


@bcs.variant(1)
@bcs.struct
class MultiEd25519Authenticator(TransactionAuthenticator):
    public_key: MultiEd25519PublicKey
    signature: MultiEd25519Signature

    def verify(self, raw_txn: RawTransaction) -> bool:
        return self.verify_message(raw_txn.signing_message())

    def verify_message(self, message: bytes) -> bool:
        """True when the signatures are valid over ``message`` (a signing message)."""
        return self.public_key.verify(message, self.signature)

    def sender_authentication_key(self) -> AuthenticationKey:
        return AuthenticationKey.multi_ed25519(self.public_key)


@bcs.variant(2)
@bcs.struct
class MultiAgentAuthenticator(TransactionAuthenticator):
    sender: AccountAuthenticator
    secondary_signer_addresses: tuple[AccountAddress, ...]
    secondary_signers: tuple[AccountAuthenticator, ...]

    def verify(self, raw_txn: RawTransaction) -> bool:
        if len(self.secondary_signer_addresses) != len(self.secondary_signers):
            return False
        message = RawTransactionMultiAgent(
            raw_txn, self.secondary_signer_addresses
        ).signing_message()
        return self.sender.verify(message) and all(
            s.verify(message) for s in self.secondary_signers
        )

    def sender_authentication_key(self) -> AuthenticationKey:
        return self.sender.authentication_key()


class _KeptEncoding:
    """Slots for an immutable transaction's BCS bytes (kept by :mod:`libra.bcs` when it
    decodes or first encodes one) and its hash, each computed at most once."""

    __slots__ = ("_bcs_encoding", "_hash")
    _bcs_keep_encoding: ClassVar[bool] = True


@bcs.struct
class SignedTransaction(_KeptEncoding):
    """A raw transaction with its authenticator, as submitted by clients.

    Every field is immutable (frozen structs, bytes, ints, tuples), so the hash is computed
    once per instance and kept, as are its BCS bytes (neither is a field: equality and
    ``repr`` ignore them)."""

    raw_txn: RawTransaction
    authenticator: TransactionAuthenticator

    @property
    def sender(self) -> AccountAddress:
        return self.raw_txn.sender

    @property
    def sequence_number(self) -> int:
        return self.raw_txn.sequence_number

    def verify_signature(self) -> bool:
        """True when the authenticator's signatures are valid (the auth key is checked against
        the sender's account by the prologue, not here).

        With one signer and the BCS bytes kept, the signed message is made from those bytes
        without re-encoding the raw transaction: they are the raw transaction's bytes followed
        by the authenticator's, whose length its keys and signatures give."""
        auth = self.authenticator
        kept: bytes | None = getattr(self, "_bcs_encoding", None)
        if kept is not None:
            if type(auth) is Ed25519Authenticator:
                message = _RAW_TXN_PREFIX + kept[:-_ED25519_AUTHENTICATOR_SIZE]
                return auth.public_key.verify(message, auth.signature)
            if type(auth) is MultiEd25519Authenticator:
                k = len(auth.public_key)
                n = len(auth.signature)
                tail = 1 + _uleb128_size(k) + k + _uleb128_size(n) + n
                return auth.verify_message(_RAW_TXN_PREFIX + kept[:-tail])
        return auth.verify(self.raw_txn)

    def hash(self) -> HashValue:
        """The hash of ``Transaction::UserTransaction(self)``, as Diem's JSON-RPC reports it."""
        h: HashValue | None = getattr(self, "_hash", None)
        if h is None:
            encoded: bytes | None = getattr(self, "_bcs_encoding", None)
            if encoded is None:
                encoded = bcs.encode(self)  # which keeps them
            # sha3_256(salt || 0 || bytes) in one call; a digest is 32 bytes, a valid HashValue.
            h = _new_bytes(HashValue, _sha3_256(_USER_TXN_HASH_PREFIX + encoded).digest())
            object.__setattr__(self, "_hash", h)
        return h

    def encoded(self) -> bytes:
        """This transaction's BCS bytes (kept once known)."""
        kept: bytes | None = getattr(self, "_bcs_encoding", None)
        if kept is None:
            return bcs.encode(self)  # which keeps them
        return kept


def _fast_signed_transaction_decoder() -> bcs.FastDec:
    from libra.types.fast_txn import make_decoder  # it imports this module, hence not above

    return make_decoder()


bcs.register_fast_decoder(SignedTransaction, _fast_signed_transaction_decoder)


@bcs.struct
class BlockMetadata:
    """The first transaction of every block: its id, round, time, voters and proposer."""

    id: HashValue
    round: bcs.U64
    timestamp_usecs: bcs.U64
    previous_block_votes: tuple[AccountAddress, ...]
    proposer: AccountAddress


class Transaction(bcs.Enum):
    """Anything committed at a ledger version."""

    __slots__ = ()

    def hash(self) -> HashValue:
        return _TXN_HASHER.hash(bcs.encode(self))


@bcs.variant(0)
@bcs.struct
class UserTransaction(Transaction):
    value: SignedTransaction

    def hash(self) -> HashValue:
        """The signed transaction's hash, which is this wrapper's (kept, not re-encoded)."""
        return self.value.hash()


@bcs.variant(1)
@bcs.struct
class GenesisTransaction(Transaction):
    value: WriteSetPayload


@bcs.variant(2)
@bcs.struct
class BlockMetadataTransaction(Transaction):
    value: BlockMetadata
