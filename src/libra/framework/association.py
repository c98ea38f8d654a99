"""The Libra Association's governance (libra, beyond Diem's single root key).

Members are validator-owner accounts listed in Diem Root's :class:`Association`. A member
proposes an :class:`AssociationAction` (``AssociationScripts::propose``, the action as BCS
bytes); members vote (``AssociationScripts::vote``). As soon as at least two thirds of the
members have voted for it, the proposal executes as Diem Root would and is removed. Open
proposals expire after :data:`PROPOSAL_LIFETIME_SECS`.
"""

from __future__ import annotations

import dataclasses

from libra import bcs
from libra.framework import events as ev
from libra.framework import ops, scripts
from libra.framework.account import Account
from libra.framework.context import Ctx
from libra.framework.errors import AssociationReason, Category, MoveAbort
from libra.framework.scripts import BYTES, U64, script
from libra.framework.state import (
    ROLE_VALIDATOR,
    AccountDetails,
    CurrencyInfo,
    Proposal,
    ValidatorConfig,
    ValidatorRole,
)
from libra.types import AccountAddress

PROPOSAL_LIFETIME_SECS = 7 * 24 * 3600
MAX_OPEN_PROPOSALS = 16
MAX_MEMBERS = 256


class AssociationAction(bcs.Enum):
    """What a proposal does once it passes."""

    __slots__ = ()


@bcs.variant(0)
@bcs.struct
class AddMember(AssociationAction):
    """Admits a member: creates its validator account and adds it to the validator set."""

    address: AccountAddress
    auth_key_prefix: bytes
    human_name: bytes
    consensus_public_key: bytes
    validator_network_addresses: bytes
    fullnode_network_addresses: bytes


@bcs.variant(1)
@bcs.struct
class RemoveMember(AssociationAction):
    """Removes a member and its validator from the set."""

    address: AccountAddress


@bcs.variant(2)
@bcs.struct
class RegisterCurrency(AssociationAction):
    code: str
    scaling_factor: bcs.U64
    fractional_part: bcs.U64
    to_xdx_numerator: bcs.U64
    to_xdx_denominator: bcs.U64


@bcs.variant(3)
@bcs.struct
class RegisterCustodian(AssociationAction):
    address: AccountAddress
    auth_key_prefix: bytes
    human_name: bytes


@bcs.variant(4)
@bcs.struct
class RegisterDealer(AssociationAction):
    address: AccountAddress
    auth_key_prefix: bytes
    human_name: bytes
    currencies: tuple[str, ...]


@bcs.variant(5)
@bcs.struct
class SetDualAttestationLimit(AssociationAction):
    micro_xdx_limit: bcs.U64


@bcs.variant(6)
@bcs.struct
class SetCoverageBuffer(AssociationAction):
    buffer_bps: bcs.U64


def _abort(reason: AssociationReason, cat: Category, msg: str) -> MoveAbort:
    return MoveAbort("Association", cat, reason, msg)


def _require_member(ctx: Ctx, signer: Account) -> None:
    if signer.address not in ctx.root().association.members:
        raise _abort(
            AssociationReason.ENOT_A_MEMBER,
            Category.REQUIRES_ROLE,
            f"{signer.address.hex()} is not an association member",
        )


def passes(votes: int, members: int) -> bool:
    """At least two thirds of the members."""
    return votes * 3 >= members * 2


def _execute(ctx: Ctx, action: AssociationAction) -> None:
    root = ctx.root()
    if isinstance(action, AddMember):
        if action.address in root.association.members:
            raise _abort(
                AssociationReason.EALREADY_A_MEMBER,
                Category.INVALID_ARGUMENT,
                f"{action.address.hex()} already is a member",
            )
        if len(root.association.members) >= MAX_MEMBERS:
            raise _abort(
                AssociationReason.EALREADY_A_MEMBER,
                Category.LIMIT_EXCEEDED,
                f"the association has {MAX_MEMBERS} members",
            )
        scripts._check_consensus_key(action.consensus_public_key)
        cfg = ValidatorConfig(
            action.consensus_public_key,
            action.validator_network_addresses,
            action.fullnode_network_addresses,
        )
        details = AccountDetails(
            event_generator=0, validator=ValidatorRole(action.human_name, None, cfg)
        )
        ops.make_account(ctx, action.address, action.auth_key_prefix, ROLE_VALIDATOR, (), details)
        root = ctx.root()
        assoc = dataclasses.replace(
            root.association, members=(*root.association.members, action.address)
        )
        ctx.set_root(dataclasses.replace(root, association=assoc))
        scripts.add_validator(ctx, None, action.address)
    elif isinstance(action, RemoveMember):
        members = root.association.members
        if action.address not in members:
            raise _abort(
                AssociationReason.ENOT_A_MEMBER,
                Category.INVALID_ARGUMENT,
                f"{action.address.hex()} is not a member",
            )
        if len(members) == 1:
            raise _abort(
                AssociationReason.ELAST_MEMBER,
                Category.INVALID_STATE,
                "the last member cannot be removed",
            )
        rest = tuple(m for m in members if m != action.address)
        proposals = tuple(
            dataclasses.replace(p, votes=tuple(v for v in p.votes if v != action.address))
            for p in root.association.proposals
        )
        assoc = dataclasses.replace(root.association, members=rest, proposals=proposals)
        ctx.set_root(dataclasses.replace(root, association=assoc))
        if any(v.addr == action.address for v in root.validators):
            scripts.remove_validator(ctx, None, action.address)
    elif isinstance(action, RegisterCurrency):
        code = action.code
        if (
            not (code.isascii() and code.isalnum() and 1 <= len(code) <= 8)
            or code in root.currencies
        ):
            raise _abort(
                AssociationReason.EPROPOSAL_FAILED,
                Category.INVALID_ARGUMENT,
                f"currency code {code!r} is invalid or taken",
            )
        if action.scaling_factor == 0 or action.fractional_part == 0:
            raise _abort(
                AssociationReason.EPROPOSAL_FAILED,
                Category.INVALID_ARGUMENT,
                "scaling factor and fractional part must be positive",
            )
        rate = scripts.fixed_point32(action.to_xdx_numerator, action.to_xdx_denominator)
        gen = ctx.root_account().details.event_generator
        addr = ctx.root_account().address
        info = CurrencyInfo(
            0,
            0,
            rate,
            False,
            action.scaling_factor,
            action.fractional_part,
            code.encode(),
            True,
            *(ev.handle_for(gen + i, addr) for i in range(5)),
        )
        ctx.update_details(ctx.root_account(), event_generator=gen + 5)
        ops.set_currency_info(ctx, code, info)
    elif isinstance(action, RegisterCustodian):
        scripts.create_custodian(ctx, action.address, action.auth_key_prefix, action.human_name)
    elif isinstance(action, RegisterDealer):
        if not action.currencies:
            raise _abort(
                AssociationReason.EPROPOSAL_FAILED,
                Category.INVALID_ARGUMENT,
                "a dealer needs at least one currency",
            )
        scripts._create_dealer(
            ctx, action.address, action.auth_key_prefix, action.human_name, tuple(action.currencies)
        )
    elif isinstance(action, SetDualAttestationLimit):
        ctx.set_root(dataclasses.replace(root, dual_attestation_limit=action.micro_xdx_limit))
    elif isinstance(action, SetCoverageBuffer):
        if action.buffer_bps > 100 * ops.BPS:
            raise _abort(
                AssociationReason.EPROPOSAL_FAILED,
                Category.INVALID_ARGUMENT,
                f"buffer {action.buffer_bps} bps is above 1,000,000",
            )
        treasury = ctx.treasury()
        ctx.set_treasury(
            dataclasses.replace(
                treasury,
                reserve=dataclasses.replace(
                    treasury.reserve, coverage_buffer_bps=action.buffer_bps
                ),
            )
        )
    else:
        raise _abort(
            AssociationReason.EPROPOSAL_MALFORMED,
            Category.INVALID_ARGUMENT,
            f"unknown action {type(action).__name__}",
        )


def _emit(ctx: Ctx, proposal: Proposal, status: int) -> None:
    root = ctx.root()
    h = ctx.emit(
        root.association.proposal_events,
        ev.PROPOSAL,
        ev.ProposalEvent(proposal.id, status, proposal.action),
    )
    ctx.set_root(
        dataclasses.replace(
            root, association=dataclasses.replace(root.association, proposal_events=h)
        )
    )


def _settle(ctx: Ctx, proposal: Proposal) -> None:
    """Executes ``proposal`` if it has enough votes (it is then removed)."""
    root = ctx.root()
    if not passes(len(proposal.votes), len(root.association.members)):
        return
    action = bcs.decode(AssociationAction, proposal.action)
    assoc = root.association
    remaining = tuple(p for p in assoc.proposals if p.id != proposal.id)
    ctx.set_root(
        dataclasses.replace(root, association=dataclasses.replace(assoc, proposals=remaining))
    )
    _emit(ctx, proposal, 1)
    _execute(ctx, action)


@script("AssociationScripts", "propose", (BYTES,))
def propose(ctx: Ctx, signers: list[Account], cur: list[str], action: bytes) -> None:
    member = signers[0]
    _require_member(ctx, member)
    try:
        bcs.decode(AssociationAction, action)
    except bcs.DecodeError as e:
        raise _abort(
            AssociationReason.EPROPOSAL_MALFORMED, Category.INVALID_ARGUMENT, str(e)
        ) from None
    root = ctx.root()
    assoc = root.association
    now = ctx.now_secs
    live = tuple(p for p in assoc.proposals if p.expiration_secs > now)
    if len(live) >= MAX_OPEN_PROPOSALS:
        raise _abort(
            AssociationReason.ETOO_MANY_PROPOSALS,
            Category.LIMIT_EXCEEDED,
            f"{len(live)} proposals are open",
        )
    proposal = Proposal(
        assoc.next_proposal_id,
        member.address,
        action,
        (member.address,),
        now + PROPOSAL_LIFETIME_SECS,
    )
    assoc = dataclasses.replace(
        assoc, proposals=(*live, proposal), next_proposal_id=proposal.id + 1
    )
    ctx.set_root(dataclasses.replace(root, association=assoc))
    _emit(ctx, proposal, 0)
    _settle(ctx, proposal)


@script("AssociationScripts", "vote", (U64,))
def vote(ctx: Ctx, signers: list[Account], cur: list[str], proposal_id: int) -> None:
    member = signers[0]
    _require_member(ctx, member)
    root = ctx.root()
    assoc = root.association
    found = [p for p in assoc.proposals if p.id == proposal_id and p.expiration_secs > ctx.now_secs]
    if not found:
        raise _abort(
            AssociationReason.EPROPOSAL_NOT_FOUND,
            Category.NOT_PUBLISHED,
            f"no open proposal {proposal_id}",
        )
    proposal = found[0]
    if member.address in proposal.votes:
        raise _abort(
            AssociationReason.EALREADY_VOTED,
            Category.INVALID_STATE,
            f"{member.address.hex()} already voted for {proposal_id}",
        )
    updated = dataclasses.replace(proposal, votes=(*proposal.votes, member.address))
    assoc = dataclasses.replace(
        assoc, proposals=tuple(updated if p.id == proposal_id else p for p in assoc.proposals)
    )
    ctx.set_root(dataclasses.replace(root, association=assoc))
    _settle(ctx, updated)
