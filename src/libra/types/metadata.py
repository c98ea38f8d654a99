"""Payment metadata (DIP-4) carried in peer-to-peer payments, and the travel-rule message."""

from __future__ import annotations

from typing import Annotated

from libra import bcs
from libra.types.account_address import AccountAddress

DUAL_ATTESTATION_DOMAIN = b"@@$$DIEM_ATTEST$$@@"
"""The suffix of the message a receiver signs to attest a travel-rule payment."""

SUBADDRESS_LENGTH = 8


@bcs.struct
class GeneralMetadataV0:
    """Subaddresses of a payment between custodial accounts, and an optional refunded event."""

    to_subaddress: bytes | None = None
    from_subaddress: bytes | None = None
    referenced_event: bcs.U64 | None = None


class GeneralMetadata(bcs.Enum):
    __slots__ = ()


@bcs.variant(0)
@bcs.struct
class GeneralMetadataVersion0(GeneralMetadata):
    value: GeneralMetadataV0


@bcs.struct
class TravelRuleMetadataV0:
    """The off-chain reference of a payment above the dual-attestation limit."""

    off_chain_reference_id: str | None = None


class TravelRuleMetadata(bcs.Enum):
    __slots__ = ()


@bcs.variant(0)
@bcs.struct
class TravelRuleMetadataVersion0(TravelRuleMetadata):
    value: TravelRuleMetadataV0


@bcs.struct
class UnstructuredBytesMetadata:
    metadata: bytes | None = None


class RefundReason(bcs.Enum):
    __slots__ = ()


@bcs.variant(0)
@bcs.struct
class RefundOtherReason(RefundReason):
    pass


@bcs.variant(1)
@bcs.struct
class RefundInvalidSubaddress(RefundReason):
    pass


@bcs.variant(2)
@bcs.struct
class RefundUserInitiatedPartialRefund(RefundReason):
    pass


@bcs.variant(3)
@bcs.struct
class RefundUserInitiatedFullRefund(RefundReason):
    pass


@bcs.variant(4)
@bcs.struct
class RefundInvalidReferenceId(RefundReason):
    pass


@bcs.struct
class RefundMetadataV0:
    """A refund of the payment committed at ``transaction_version``."""

    transaction_version: bcs.U64
    reason: RefundReason


class RefundMetadata(bcs.Enum):
    __slots__ = ()


@bcs.variant(0)
@bcs.struct
class RefundMetadataVersion0(RefundMetadata):
    value: RefundMetadataV0


@bcs.struct
class CoinTradeMetadataV0:
    """The trades a dealer's mint or burn settles."""

    trade_ids: tuple[str, ...] = ()


class CoinTradeMetadata(bcs.Enum):
    __slots__ = ()


@bcs.variant(0)
@bcs.struct
class CoinTradeMetadataVersion0(CoinTradeMetadata):
    value: CoinTradeMetadataV0


@bcs.struct
class PaymentMetadataV0:
    """A 16-byte (UUID) reference to an off-chain payment command."""

    reference_id: Annotated[bytes, bcs.Fixed(16)]


class PaymentMetadata(bcs.Enum):
    __slots__ = ()


@bcs.variant(0)
@bcs.struct
class PaymentMetadataVersion0(PaymentMetadata):
    value: PaymentMetadataV0


class Metadata(bcs.Enum):
    """The ``metadata`` argument of a peer-to-peer payment."""

    __slots__ = ()


@bcs.variant(0)
@bcs.struct
class MetadataUndefined(Metadata):
    pass


@bcs.variant(1)
@bcs.struct
class MetadataGeneral(Metadata):
    value: GeneralMetadata


@bcs.variant(2)
@bcs.struct
class MetadataTravelRule(Metadata):
    value: TravelRuleMetadata


@bcs.variant(3)
@bcs.struct
class MetadataUnstructuredBytes(Metadata):
    value: UnstructuredBytesMetadata


@bcs.variant(4)
@bcs.struct
class MetadataRefund(Metadata):
    value: RefundMetadata


@bcs.variant(5)
@bcs.struct
class MetadataCoinTrade(Metadata):
    value: CoinTradeMetadata


@bcs.variant(6)
@bcs.struct
class MetadataPayment(Metadata):
    value: PaymentMetadata


def general_metadata(
    to_subaddress: bytes | None = None,
    from_subaddress: bytes | None = None,
    referenced_event: int | None = None,
) -> Metadata:
    return MetadataGeneral(
        GeneralMetadataVersion0(GeneralMetadataV0(to_subaddress, from_subaddress, referenced_event))
    )


def travel_rule_metadata(off_chain_reference_id: str | None) -> Metadata:
    return MetadataTravelRule(
        TravelRuleMetadataVersion0(TravelRuleMetadataV0(off_chain_reference_id))
    )


def refund_metadata(transaction_version: int, reason: RefundReason) -> Metadata:
    return MetadataRefund(RefundMetadataVersion0(RefundMetadataV0(transaction_version, reason)))


def dual_attestation_message(metadata: bytes, sender: AccountAddress, amount: int) -> bytes:
    """What the receiver's compliance key signs for a travel-rule payment:
    ``metadata || sender || amount (u64, little-endian) || b"@@$$DIEM_ATTEST$$@@"``."""
    return (
        bytes(metadata) + bytes(sender) + bcs.encode_as(bcs.U64, amount) + DUAL_ATTESTATION_DOMAIN
    )
