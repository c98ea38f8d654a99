"""Every way a transaction can fail, with Diem's names and numbers.

Two kinds of failure exist:

- :class:`PrologueError`: the transaction is invalid (bad signature, stale sequence number,
  unpayable gas...). It is *discarded*: never committed, the sender's sequence number does not
  move. Its :class:`StatusCode` is Diem's ``StatusCode`` with Diem's numeric value, so clients
  see the same numbers they would see from a Diem node.
- :class:`MoveAbort`: the transaction passed the prologue but its script aborted. It *is*
  committed with a ``MoveAbort(location, code)`` status; the sequence number advances and gas
  is charged, nothing else changes. The code is built the way Diem's ``Errors`` module builds
  it: ``category + (reason << 8)``, located in the Move module that would have aborted
  (``0x1::DiemAccount`` ...), with a readable reason.
"""

from __future__ import annotations

from enum import IntEnum

from libra.types import CORE_CODE_ADDRESS, ModuleId


class StatusCode(IntEnum):
    """Diem's validation status codes (the ones the prologue can produce), same numbers."""

    UNKNOWN_VALIDATION_STATUS = 0
    INVALID_SIGNATURE = 1
    INVALID_AUTH_KEY = 2
    SEQUENCE_NUMBER_TOO_OLD = 3
    SEQUENCE_NUMBER_TOO_NEW = 4
    INSUFFICIENT_BALANCE_FOR_TRANSACTION_FEE = 5
    TRANSACTION_EXPIRED = 6
    SENDING_ACCOUNT_DOES_NOT_EXIST = 7
    REJECTED_WRITE_SET = 8
    INVALID_WRITE_SET = 9
    EXCEEDED_MAX_TRANSACTION_SIZE = 10
    UNKNOWN_SCRIPT = 11
    UNKNOWN_MODULE = 12
    MAX_GAS_UNITS_EXCEEDS_MAX_GAS_UNITS_BOUND = 13
    MAX_GAS_UNITS_BELOW_MIN_TRANSACTION_GAS_UNITS = 14
    GAS_UNIT_PRICE_BELOW_MIN_BOUND = 15
    GAS_UNIT_PRICE_ABOVE_MAX_BOUND = 16
    INVALID_GAS_SPECIFIER = 17
    SENDING_ACCOUNT_FROZEN = 18
    UNABLE_TO_DESERIALIZE_ACCOUNT = 19
    CURRENCY_INFO_DOES_NOT_EXIST = 20
    INVALID_MODULE_PUBLISHER = 21
    NO_ACCOUNT_ROLE = 22
    BAD_CHAIN_ID = 23
    SEQUENCE_NUMBER_TOO_BIG = 24
    BAD_TRANSACTION_FEE_CURRENCY = 25
    FEATURE_UNDER_GATING = 26
    SECONDARY_KEYS_ADDRESSES_COUNT_MISMATCH = 27
    SIGNERS_CONTAIN_DUPLICATES = 28
    # Deserialization / verification failures of the payload itself
    NUMBER_OF_ARGUMENTS_MISMATCH = 1071
    TYPE_MISMATCH = 1072
    FAILED_TO_DESERIALIZE_ARGUMENT = 1105
    NUMBER_OF_TYPE_ARGUMENTS_MISMATCH = 1078


class Category(IntEnum):
    """The error categories of Diem's ``Errors`` module (the low byte of an abort code)."""

    INVALID_STATE = 1
    REQUIRES_ADDRESS = 2
    REQUIRES_ROLE = 3
    REQUIRES_CAPABILITY = 4
    NOT_PUBLISHED = 5
    ALREADY_PUBLISHED = 6
    INVALID_ARGUMENT = 7
    LIMIT_EXCEEDED = 8
    INTERNAL = 10
    CUSTOM = 255


class FrameworkError(Exception):
    """Base of every error raised by the framework."""


class PrologueError(FrameworkError):
    """The transaction is invalid and must be discarded; ``status`` says why."""

    def __init__(self, status: StatusCode, detail: str = "") -> None:
        self.status = status
        self.detail = detail
        super().__init__(f"{status.name}: {detail}" if detail else status.name)


def module_id(name: str) -> ModuleId:
    """``0x1::name``: a module of the framework."""
    return ModuleId(CORE_CODE_ADDRESS, name)


def abort_code(category: Category, reason: int) -> int:
    """``category + (reason << 8)``, as Diem's ``Errors`` module encodes abort codes."""
    return int(category) + (reason << 8)


class MoveAbort(FrameworkError):
    """A script aborted after the prologue: committed as ``MoveAbort(location, code)``.

    ``module`` is the framework module that aborts (``DiemAccount``, ``Diem``, ``Roles``...),
    ``category`` and ``reason`` make up Diem's abort code, ``message`` says in words what went
    wrong with the values involved.
    """

    def __init__(self, module: str, category: Category, reason: int, message: str) -> None:
        self.module = module
        self.category = category
        self.reason = reason
        self.message = message
        super().__init__(f"0x1::{module} {category.name}({reason}): {message}")

    @property
    def code(self) -> int:
        return abort_code(self.category, self.reason)

    @property
    def location(self) -> ModuleId:
        return module_id(self.module)


class ExecutionFailureError(FrameworkError):
    """The payload could not run at all after the prologue (bad arguments for a script
    function): committed as ``ExecutionFailure``, like a Move VM runtime error."""

    def __init__(self, status: StatusCode, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(f"{status.name}: {message}")


class ConfigError(FrameworkError):
    """A genesis configuration is inconsistent; the message names the offending value."""


class StateError(FrameworkError):
    """The state read from the view is not what the framework wrote (corrupt or foreign)."""


# ---------------------------------------------------------------------------------------------
# Abort reasons per module. Where Diem's Move framework defines the same failure, the number is
# Diem's; reasons marked "libra" are new (reserve, custodians, association).


class DiemAccountReason(IntEnum):
    EACCOUNT = 0
    ESEQUENCE_NUMBER = 1
    ECOIN_DEPOSIT_IS_ZERO = 2
    EDEPOSIT_EXCEEDS_LIMITS = 3
    EROLE_CANT_STORE_BALANCE = 4
    EINSUFFICIENT_BALANCE = 5
    EWITHDRAWAL_EXCEEDS_LIMITS = 6
    EWITHDRAW_CAPABILITY_ALREADY_EXTRACTED = 7
    EMALFORMED_AUTHENTICATION_KEY = 8
    EKEY_ROTATION_CAPABILITY_ALREADY_EXTRACTED = 9
    ECANNOT_CREATE_AT_VM_RESERVED = 10
    EWITHDRAW_CAPABILITY_NOT_EXTRACTED = 11
    EADD_EXISTING_CURRENCY = 15
    EPAYEE_DOES_NOT_EXIST = 17
    EPAYEE_CANT_ACCEPT_CURRENCY_TYPE = 18
    EPAYER_DOESNT_HOLD_CURRENCY = 19
    EGAS = 20
    ECANNOT_CREATE_AT_CORE_CODE = 24
    EACCOUNT_FROZEN = 25  # libra: payer frozen between validation and execution


class RolesReason(IntEnum):
    EROLE_ID = 0
    EDIEM_ROOT = 1
    ETREASURY_COMPLIANCE = 2
    EPARENT_VASP = 3
    EDIEM_ROOT_OR_TREASURY_COMPLIANCE = 4
    EPARENT_VASP_OR_DESIGNATED_DEALER = 5
    EDESIGNATED_DEALER = 6
    EVALIDATOR = 7
    EVALIDATOR_OPERATOR = 8
    ECHILD_VASP = 9
    ECUSTODIAN = 10  # libra
    EASSOCIATION_MEMBER = 11  # libra


class DiemReason(IntEnum):
    EBURN_CAPABILITY = 0
    ETOTAL_VALUE = 1
    ETOTAL_PREBURN_VALUE = 2
    EPREBURN = 3
    EPREBURN_OCCUPIED = 4
    EDESTRUCTION_OF_NONZERO_COIN = 5
    EMINT_CAPABILITY = 6
    EAMOUNT_EXCEEDS_COIN_VALUE = 7
    EPREBURN_EMPTY = 8
    EMINTING_NOT_ALLOWED = 9
    EIS_SYNTHETIC_CURRENCY = 10
    ECOIN = 11
    EPREBURN_QUEUE = 12
    EPREBURN_NOT_FOUND = 13
    EMAX_OUTSTANDING_PREBURNS_REACHED = 14
    ECURRENCY_INFO = 15


class SlidingNonceReason(IntEnum):
    ESLIDING_NONCE = 0
    ENONCE_TOO_OLD = 1
    ENONCE_TOO_NEW = 2
    ENONCE_ALREADY_RECORDED = 3


class DualAttestationReason(IntEnum):
    ECREDENTIAL = 0
    ELIMIT = 1
    EINVALID_PUBLIC_KEY = 2
    EMALFORMED_METADATA_SIGNATURE = 3
    EINVALID_METADATA_SIGNATURE = 4
    EPAYEE_COMPLIANCE_KEY_NOT_SET = 5


class AccountFreezingReason(IntEnum):
    EFREEZING_BIT = 2
    ECANNOT_FREEZE_DIEM_ROOT = 3
    ECANNOT_FREEZE_TC = 4
    EACCOUNT_FROZEN = 5


class VaspReason(IntEnum):
    EPARENT_VASP = 0
    ECHILD_VASP = 1
    ETOO_MANY_CHILDREN = 2
    ENOT_A_VASP = 3
    ENOT_A_PARENT_VASP = 4


class DesignatedDealerReason(IntEnum):
    EDEALER = 0
    EINVALID_MINT_AMOUNT = 4


class RecoveryAddressReason(IntEnum):
    ERECOVERY_ADDRESS = 0
    ENOT_A_VASP = 1
    ECANNOT_ROTATE_KEY = 2
    EINVALID_KEY_ROTATION_DELEGATION = 3
    EKEY_ROTATION_DEPENDENCY_CYCLE = 4
    ERECOVERY_ADDRESS_ALREADY_PUBLISHED = 5
    EMAX_KEYS_REGISTERED = 6


class SharedKeyReason(IntEnum):
    EMALFORMED_PUBLIC_KEY = 0
    ESHARED_KEY = 1


class ValidatorReason(IntEnum):
    EVALIDATOR_CONFIG = 0
    EINVALID_TRANSACTION_SENDER = 1
    EINVALID_CONSENSUS_KEY = 2
    ENOT_AN_OPERATOR = 3
    EINVALID_PROSPECTIVE_VALIDATOR = 4
    EALREADY_A_VALIDATOR = 5
    ENOT_AN_ACTIVE_VALIDATOR = 6
    EMAX_VALIDATORS = 7


class ConfigReason(IntEnum):
    ECONFIGURATION = 0
    EINVALID_BLOCK_TIME = 1
    EINVALID_VERSION = 2
    EINVALID_PROPOSER = 3


class DiemIdReason(IntEnum):
    EDIEM_ID_DOMAIN = 0
    EINVALID_DIEM_ID_DOMAIN = 1
    EDOMAIN_ALREADY_EXISTS = 2
    EDOMAIN_NOT_FOUND = 3


class ReserveReason(IntEnum):
    """libra: the reserve, its custodians and LBR's coverage."""

    EUNKNOWN_ASSET = 0
    EINVALID_KIND = 1
    EINSUFFICIENT_HOLDINGS = 2
    ECOVERAGE = 3
    EINVALID_AMOUNT = 4
    EINVALID_RATE = 5
    EREFERENCE = 6


class AssociationReason(IntEnum):
    """libra: association governance."""

    ENOT_A_MEMBER = 0
    EPROPOSAL_MALFORMED = 1
    EPROPOSAL_NOT_FOUND = 2
    EALREADY_VOTED = 3
    EALREADY_A_MEMBER = 4
    ELAST_MEMBER = 5
    ETOO_MANY_PROPOSALS = 6
    EPROPOSAL_FAILED = 7
