"""Account identifiers and payment URIs (DIP-5).

An account identifier is bech32 (BIP-173) with a network prefix (``dm`` mainnet, ``tdm``
testnet, ``pdm`` pre-mainnet), version 1, and 24 bytes of data: the 16-byte on-chain address
and an 8-byte subaddress (eight zero bytes when there is none). A payment URI (an "intent") is
``diem://IDENTIFIER`` with optional ``c=CURRENCY`` and ``am=AMOUNT`` query parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib import parse

import bech32

from libra.types.account_address import ADDRESS_LENGTH, AccountAddress
from libra.types.metadata import SUBADDRESS_LENGTH

MAINNET_HRP = "dm"
TESTNET_HRP = "tdm"
PREMAINNET_HRP = "pdm"
HRPS = (MAINNET_HRP, TESTNET_HRP, PREMAINNET_HRP)
VERSION = 1
IDENTIFIER_LENGTHS = (49, 50)
ZERO_SUBADDRESS = bytes(SUBADDRESS_LENGTH)
URI_SCHEME = "diem"


class AccountIdentifierError(ValueError):
    """A string is not a valid account identifier or payment URI."""


def hrp_for_chain_id(chain_id: int) -> str:
    """The identifier prefix Diem uses on a chain: ``dm`` on MAINNET (1), ``pdm`` on
    PREMAINNET (5), ``tdm`` on every other (test) chain."""
    return {1: MAINNET_HRP, 5: PREMAINNET_HRP}.get(chain_id, TESTNET_HRP)


def encode_account(address: AccountAddress, subaddress: bytes | None, hrp: str) -> str:
    """The bech32 identifier of ``address`` and an optional 8-byte ``subaddress``."""
    if len(address) != ADDRESS_LENGTH:
        raise AccountIdentifierError(f"an address is {ADDRESS_LENGTH} bytes, not {len(address)}")
    sub = ZERO_SUBADDRESS if subaddress is None or subaddress == b"" else bytes(subaddress)
    if len(sub) != SUBADDRESS_LENGTH:
        raise AccountIdentifierError(f"a subaddress is {SUBADDRESS_LENGTH} bytes, not {len(sub)}")
    data = bech32.convertbits(bytes(address) + sub, 8, 5, True)
    if data is None:
        raise AccountIdentifierError("cannot convert the address to base32")
    encoded = bech32.bech32_encode(hrp, [VERSION, *data])
    if encoded is None:
        raise AccountIdentifierError(f"cannot encode with prefix {hrp!r}")
    return str(encoded)


def decode_account(encoded: str, hrp: str) -> tuple[AccountAddress, bytes | None]:
    """The address and subaddress (None when it is all zeros) of an identifier with prefix
    ``hrp``; raises AccountIdentifierError saying what is wrong."""
    if len(encoded) not in IDENTIFIER_LENGTHS:
        raise AccountIdentifierError(
            f"an account identifier is {' or '.join(map(str, IDENTIFIER_LENGTHS))} characters,"
            f" not {len(encoded)}"
        )
    if encoded != encoded.lower() and encoded != encoded.upper():
        raise AccountIdentifierError("mixed-case account identifier")
    lowered = encoded.lower()
    if not lowered.startswith(hrp + "1"):
        raise AccountIdentifierError(f"expected prefix {hrp!r}: {encoded!r}")
    got_hrp, data = bech32.bech32_decode(lowered)
    if got_hrp is None or data is None:
        raise AccountIdentifierError(f"invalid bech32 characters or checksum: {encoded!r}")
    if got_hrp != hrp:
        raise AccountIdentifierError(f"expected prefix {hrp!r}, got {got_hrp!r}")
    if not data or data[0] != VERSION:
        raise AccountIdentifierError(f"unsupported identifier version {data[0] if data else None}")
    raw = bech32.convertbits(data[1:], 5, 8, False)
    if raw is None or len(raw) != ADDRESS_LENGTH + SUBADDRESS_LENGTH:
        raise AccountIdentifierError("identifier does not hold a 16-byte address and subaddress")
    address = AccountAddress(bytes(raw[:ADDRESS_LENGTH]))
    sub = bytes(raw[ADDRESS_LENGTH:])
    return address, (None if sub == ZERO_SUBADDRESS else sub)


@dataclass(frozen=True, slots=True)
class Intent:
    """A payment request: who to pay, and optionally in which currency and how much."""

    address: AccountAddress
    subaddress: bytes | None
    hrp: str
    currency: str | None = None
    amount: int | None = None

    @property
    def account_identifier(self) -> str:
        return encode_account(self.address, self.subaddress, self.hrp)

    def to_uri(self) -> str:
        params = []
        if self.currency:
            params.append(f"c={self.currency}")
        if self.amount is not None and self.amount > 0:
            params.append(f"am={self.amount}")
        query = "?" + "&".join(params) if params else ""
        return f"{URI_SCHEME}://{self.account_identifier}{query}"


def encode_intent(
    address: AccountAddress,
    subaddress: bytes | None,
    hrp: str,
    currency: str | None = None,
    amount: int | None = None,
) -> str:
    return Intent(address, subaddress, hrp, currency, amount).to_uri()


def decode_intent(uri: str, hrp: str) -> Intent:
    """Parses a ``diem://`` payment URI; raises AccountIdentifierError saying what is wrong."""
    parsed = parse.urlparse(uri)
    if parsed.scheme != URI_SCHEME:
        raise AccountIdentifierError(f"unknown payment URI scheme {parsed.scheme!r}")
    try:
        params = parse.parse_qs(parsed.query, strict_parsing=bool(parsed.query))
    except ValueError as e:
        raise AccountIdentifierError(f"malformed query: {e}") from None
    for key, values in params.items():
        if key not in ("c", "am"):
            raise AccountIdentifierError(f"unknown payment URI parameter {key!r}")
        if len(values) != 1:
            raise AccountIdentifierError(f"parameter {key!r} given {len(values)} times")
    amount: int | None = None
    if "am" in params:
        text = params["am"][0]
        if not text.isdigit():
            raise AccountIdentifierError(f"amount must be a non-negative integer, not {text!r}")
        amount = int(text)
    currency = params["c"][0] if "c" in params else None
    address, sub = decode_account(parsed.netloc, hrp)
    return Intent(address, sub, hrp, currency, amount)
