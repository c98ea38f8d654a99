"""State sync: messages, the chunk server, and a client catching a fresh ledger up with verified,
re-executed chunks across epoch changes; tampered and malicious responses are refused without
writing anything."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from libra import bcs
from libra.crypto import Ed25519PrivateKey, Ed25519Signature, HashValue
from libra.execution import execute_block
from libra.execution.engine import ExecutionEngine, LedgerStateView, bootstrap, to_commit
from libra.framework import AddMember, RemoveMember, root_config
from libra.node.genesis import GENESIS_FILE, create_testnet, decode_genesis, load_testnet_keys
from libra.state_sync import (
    BadResponseError,
    ChunkResponse,
    ErrorResponse,
    InvalidTargetError,
    MalformedMessageError,
    StateSyncClient,
    StateSyncError,
    StateSyncRequest,
    StateSyncResponse,
    StateSyncServer,
    TargetUnavailable,
    decode_msg,
    encode_msg,
    request_id_of,
    split_blocks,
)
from libra.storage import LedgerDB
from libra.storage.proof import (
    TransactionListProof,
    TransactionListWithProof,
    ledger_info_of,
)
from libra.types import (
    CORE_CODE_ADDRESS,
    TREASURY_COMPLIANCE_ADDRESS,
    AccountAddress,
    AuthenticationKey,
    BlockInfo,
    BlockMetadata,
    BlockMetadataTransaction,
    LedgerInfo,
    ModuleId,
    PayloadScriptFunction,
    RawTransaction,
    ScriptFunction,
    Transaction,
    TransactionPayload,
    UserTransaction,
    currency_type_tag,
)
from libra.types.ledger import LedgerInfoWithV0

# ---------------------------------------------------------------------------------------------
# A real ledger: a 4-validator testnet, blocks of BlockMetadata and user transactions executed
# as the engine does, ledger infos signed by the validators' consensus keys, two epoch changes.


def _u64(v: int) -> bytes:
    return v.to_bytes(8, "little")


def _vec(b: bytes) -> bytes:
    return bcs.encode_as(bytes, b)


def _sf(
    module: str, function: str, args: list[bytes], currency: str | None = None
) -> TransactionPayload:
    ty = (currency_type_tag(currency),) if currency else ()
    return PayloadScriptFunction(
        ScriptFunction(ModuleId(CORE_CODE_ADDRESS, module), function, ty, tuple(args))
    )


def _addr(k: Ed25519PrivateKey) -> AccountAddress:
    return AuthenticationKey.ed25519(k.public_key).derived_address()


class Chain:
    """Builds a ledger in ``db`` block by block. ``corrupt_gas_at``: the block (1-based) whose
    first transaction info is committed with a wrong gas figure (as if a quorum signed a ledger
    that execution does not reproduce)."""

    def __init__(self, root: Path, db: LedgerDB, corrupt_gas_at: int | None = None) -> None:
        nodes = create_testnet(root, validators=4, faucet_port=None)
        self.genesis: Transaction = decode_genesis((root / GENESIS_FILE).read_bytes())
        keys = load_testnet_keys(root)
        self.custodian = keys.custodian
        self.tc = keys.treasury
        self.dealer = keys.dealer_address
        self.signers: dict[AccountAddress, Ed25519PrivateKey] = {}
        self.members: list[tuple[AccountAddress, Ed25519PrivateKey]] = []
        for node in nodes:
            a = node.config.account_address
            self.signers[a] = Ed25519PrivateKey.from_hex(
                (node.directory / node.config.consensus_key_file).read_text()
            )
            self.members.append(
                (a, Ed25519PrivateKey.from_hex((node.directory / "owner.key").read_text()))
            )
        self.db = db
        self.genesis_li = bootstrap(db, self.genesis)
        self.seq: dict[AccountAddress, int] = {}
        self.round = 0
        self.time = 0
        self.epoch = 1
        self.blocks = 0
        self.corrupt_gas_at = corrupt_gas_at
        self.lis: list[LedgerInfoWithV0] = []
        self.block_starts: list[int] = []
        self.all_keys = dict(self.signers)
        self.new_member = AccountAddress(bytes(16))

    # -- transactions ------------------------------------------------------------------------

    def user(
        self,
        sender_key: Ed25519PrivateKey,
        payload: TransactionPayload,
        sender: AccountAddress | None = None,
    ) -> UserTransaction:
        sender = sender or _addr(sender_key)
        seq = self.seq.get(sender, 0)
        self.seq[sender] = seq + 1
        raw = RawTransaction(sender, seq, payload, 1_000_000, 0, "XUS", 10**10, 4)
        return UserTransaction(raw.sign(sender_key))

    def deposit(self, units: int = 1) -> UserTransaction:
        args = [_vec(b"USD"), bytes([0]), _u64(units), _vec(b"ref")]
        return self.user(self.custodian, _sf("ReserveScripts", "record_deposit", args))

    def mint(self, amount: int) -> UserTransaction:
        args = [_u64(0), bytes(self.dealer), _u64(amount), _u64(0)]
        return self.user(
            self.tc,
            _sf("TreasuryComplianceScripts", "tiered_mint", args, "LBR"),
            TREASURY_COMPLIANCE_ADDRESS,
        )

    def propose(self, member: int, action: object) -> UserTransaction:
        a, k = self.members[member]
        return self.user(k, _sf("AssociationScripts", "propose", [_vec(bcs.encode(action))]), a)

    def vote(self, member: int, pid: int) -> UserTransaction:
        a, k = self.members[member]
        return self.user(k, _sf("AssociationScripts", "vote", [_u64(pid)]), a)

    def next_proposal_id(self) -> int:
        return int(root_config(LedgerStateView(self.db)).association.next_proposal_id)

    # -- blocks ------------------------------------------------------------------------------

    def block(self, *txns: UserTransaction, sign: bool = True) -> None:
        """Executes and commits a block (with a signed ledger info when ``sign``)."""
        self.round += 1
        self.time += 1_000_000
        self.blocks += 1
        proposer = next(iter(self.signers))
        bid = HashValue(hashlib.sha3_256(b"block %d" % self.round).digest())
        meta = BlockMetadataTransaction(BlockMetadata(bid, self.round, self.time, (), proposer))
        block: list[Transaction] = [meta, *txns]
        out = execute_block(LedgerStateView(self.db), block)
        commit = to_commit(block, out)
        assert len(commit) >= 1
        for t, o in zip(block, out.outputs, strict=True):
            if not o.is_kept and isinstance(t, UserTransaction):
                self.seq[t.value.raw_txn.sender] -= 1  # not committed (retried)
        if self.blocks == self.corrupt_gas_at:
            commit[0] = dataclasses.replace(commit[0], gas_used=commit[0].gas_used + 1)
        self.block_starts.append(self.db.num_transactions)
        spec = self.db.speculate(None, commit)
        li = None
        if sign or out.epoch_state is not None:
            assert spec.version is not None
            info = LedgerInfo(
                BlockInfo(
                    self.epoch,
                    self.round,
                    bid,
                    spec.accumulator_root,
                    spec.version,
                    self.time,
                    out.epoch_state,
                ),
                HashValue.zero(),
            )
            li = self.sign(info)
            self.lis.append(li)
        self.db.commit_block(spec, li)
        if out.epoch_state is not None:
            self.epoch = out.epoch_state.epoch
            keep = out.epoch_state.verifier.address_to_validator_info
            self.signers = {a: k for a, k in self.all_keys.items() if a in keep}

    def sign(self, info: LedgerInfo, quorum_only: bool = True) -> LedgerInfoWithV0:
        """Signatures of a quorum of the current validators (all of them if not quorum_only)."""
        msg = info.signing_message()
        signers = sorted(self.signers.items())
        n = len(signers) * 2 // 3 + 1 if quorum_only else len(signers)
        return LedgerInfoWithV0(info, {a: k.sign(msg) for a, k in signers[:n]})

    def build(self) -> None:
        """13 blocks, 48 transactions, epochs 1 (4 validators), 2 (5) and 3 (4)."""
        self.block(self.deposit(), self.deposit(2), self.deposit(3), sign=False)  # 1..4
        self.block(self.mint(1_000), self.deposit())  # 5..7 (the mint aborts: no coverage)
        self.block(sign=False)  # 8
        self.block(*(self.deposit(100) for _ in range(5)))  # 9..14
        new_owner, new_consensus = Ed25519PrivateKey(b"\x07" * 32), Ed25519PrivateKey(b"\x08" * 32)
        self.new_member = _addr(new_owner)
        self.all_keys[self.new_member] = new_consensus
        pid = self.next_proposal_id()
        add = AddMember(
            self.new_member,
            bytes(AuthenticationKey.ed25519(new_owner.public_key))[:16],
            b"validator-4",
            bytes(new_consensus.public_key),
            b"",
            b"",
        )
        self.block(self.propose(0, add))  # 15..16
        self.block(self.vote(1, pid), self.vote(2, pid), self.deposit())  # 17..19, ends epoch 1
        assert self.epoch == 2 and len(self.signers) == 5
        self.block(self.deposit(), self.mint(5))  # 20..22
        self.block(*(self.deposit(7) for _ in range(12)), sign=False)  # 23..35: a large block
        self.block(self.deposit())  # 36..37
        pid = self.next_proposal_id()
        self.block(self.propose(0, RemoveMember(self.new_member)))  # 38..39
        self.block(self.vote(1, pid), self.vote(2, pid), self.vote(3, pid))  # 40..43, ends 2
        assert self.epoch == 3 and len(self.signers) == 4
        self.block(self.deposit())  # 44..45
        self.block(self.deposit(2))  # 46..47


def make_chain(root: Path, corrupt_gas_at: int | None = None) -> Chain:
    root.mkdir(parents=True, exist_ok=True)
    db = LedgerDB.open(root / "server-db")
    chain = Chain(root / "net", db, corrupt_gas_at)
    chain.build()
    return chain


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    c = make_chain(tmp_path_factory.mktemp("chain"))
    yield c
    c.db.close()


@pytest.fixture()
def client_db(tmp_path: Path, chain: Chain) -> Iterator[LedgerDB]:
    db = LedgerDB.open(tmp_path / "client-db")
    bootstrap(db, chain.genesis)
    yield db
    db.close()


def over_bcs(server: StateSyncServer) -> Callable[[StateSyncRequest], StateSyncResponse]:
    """A fetch that sends the request and the response through their BCS bytes."""

    def fetch(req: StateSyncRequest) -> StateSyncResponse:
        got = decode_msg(encode_msg(req))
        assert isinstance(got, StateSyncRequest)
        resp = decode_msg(encode_msg(server.handle(got)))
        assert not isinstance(resp, StateSyncRequest)
        return resp

    return fetch


def snapshot(db: LedgerDB) -> tuple[object, ...]:
    return (
        db.num_transactions,
        db.accumulator_root,
        db.state_root,
        db.state_version,
        db.latest_ledger_info(),
        tuple(db.epoch_ending_ledger_infos()),
    )


def latest(chain: Chain) -> LedgerInfoWithV0:
    li = chain.db.latest_ledger_info()
    assert isinstance(li, LedgerInfoWithV0)
    return li


def li_at(chain: Chain, version: int) -> LedgerInfoWithV0:
    (li,) = [x for x in chain.lis if x.ledger_info.version == version]
    return li


# ---------------------------------------------------------------------------------------------
# The ledger built is what the tests assume


def test_chain_layout(chain: Chain) -> None:
    db = chain.db
    assert db.num_transactions == 48
    assert chain.block_starts == [1, 5, 8, 9, 15, 17, 20, 23, 36, 38, 40, 44, 46]
    ends = db.epoch_ending_ledger_infos()
    assert [ledger_info_of(li).version for li in ends] == [0, 19, 43]
    assert [ledger_info_of(li).epoch for li in ends] == [0, 1, 2]
    assert ledger_info_of(latest(chain)).epoch == 3
    txns = [db.get_transaction(v) for v in range(48)]
    blocks = split_blocks(txns)
    assert [len(b) for b in blocks] == [1, 4, 3, 1, 6, 2, 3, 3, 13, 2, 2, 4, 2, 2]


# ---------------------------------------------------------------------------------------------
# Messages


def test_messages_round_trip(chain: Chain) -> None:
    target = latest(chain)
    req = StateSyncRequest(7, 12, 1, 100, target)
    assert decode_msg(encode_msg(req)) == req
    assert decode_msg(encode_msg(dataclasses.replace(req, target=None))).target is None  # type: ignore[union-attr]
    resp = StateSyncServer(chain.db).handle(dataclasses.replace(req, known_version=1))
    assert isinstance(resp, ChunkResponse)
    assert decode_msg(encode_msg(resp)) == resp
    err = ErrorResponse(9, "no")
    assert decode_msg(encode_msg(err)) == err
    assert [request_id_of(m) for m in (req, resp, err)] == [7, 7, 9]
    with pytest.raises(TypeError):
        request_id_of("x")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "raw",
    [b"", b"\x02", b"\x00\x01", b"\x01\x05\x00", encode_msg(ErrorResponse(1, "x")) + b"\x00"],
)
def test_decode_rejects_malformed_bytes(raw: bytes) -> None:
    with pytest.raises(MalformedMessageError, match="malformed state sync message"):
        decode_msg(raw)
    assert issubclass(MalformedMessageError, StateSyncError)


def test_decode_rejects_every_truncation(chain: Chain) -> None:
    resp = StateSyncServer(chain.db).handle(StateSyncRequest(1, 1, 1, 5, None))
    raw = encode_msg(resp)
    for cut in range(0, len(raw), max(1, len(raw) // 50)):
        with pytest.raises(MalformedMessageError):
            decode_msg(raw[:cut])


# ---------------------------------------------------------------------------------------------
# Server


def _chunk(resp: StateSyncResponse) -> ChunkResponse:
    assert isinstance(resp, ChunkResponse), resp
    return resp


def test_server_chunks_end_at_block_boundaries(chain: Chain) -> None:
    server = StateSyncServer(chain.db)
    starts = set(chain.block_starts)
    for start in chain.block_starts:
        epoch = 1 if start <= 19 else 2 if start <= 43 else 3
        for limit in range(0, 16):
            resp = _chunk(server.handle(StateSyncRequest(1, start, epoch, limit, None)))
            info = ledger_info_of(resp.ledger_info)
            n = len(resp.txns.transactions)
            assert n >= 1 and resp.txns.first_transaction_version == start
            end = start + n - 1
            assert end <= info.version
            assert end == info.version or end + 1 in starts
            # whole blocks, no more than the limit unless a single block is larger ...
            if n > max(limit, 1):
                assert split_blocks(resp.txns.transactions) == [list(resp.txns.transactions)]
            # ... and as many as fit
            if end < info.version:
                after = [s for s in sorted(starts) if s > end + 1] + [chain.db.num_transactions]
                assert n + (after[0] - end - 1) > max(limit, 1)
            resp.txns.verify(info, start)


def test_server_sends_a_large_block_whole(chain: Chain) -> None:
    resp = _chunk(StateSyncServer(chain.db).handle(StateSyncRequest(1, 23, 2, 3, None)))
    assert len(resp.txns.transactions) == 13
    resp = _chunk(
        StateSyncServer(chain.db, max_chunk=2).handle(StateSyncRequest(1, 23, 2, 99, None))
    )
    assert len(resp.txns.transactions) == 13


def test_server_proves_against_the_epoch_ending_ledger_info(chain: Chain) -> None:
    server = StateSyncServer(chain.db)
    resp = _chunk(server.handle(StateSyncRequest(3, 1, 1, 1000, latest(chain))))
    assert resp.request_id == 3
    assert resp.ledger_info == li_at(chain, 19)
    assert len(resp.txns.transactions) == 19
    # the requester has every transaction of its epoch but not the ledger info: an empty chunk
    resp = _chunk(server.handle(StateSyncRequest(3, 20, 1, 1000, None)))
    assert resp.ledger_info == li_at(chain, 19) and resp.txns.transactions == ()
    resp = _chunk(server.handle(StateSyncRequest(3, 20, 2, 1000, latest(chain))))
    assert resp.ledger_info == li_at(chain, 43) and len(resp.txns.transactions) == 24
    # a target in the requester's epoch that the server has: proven against the target
    resp = _chunk(server.handle(StateSyncRequest(3, 20, 2, 1000, li_at(chain, 22))))
    assert resp.ledger_info == li_at(chain, 22) and len(resp.txns.transactions) == 3
    # in the last epoch: against the target if the server has it, else its latest
    resp = _chunk(server.handle(StateSyncRequest(3, 44, 3, 1000, li_at(chain, 45))))
    assert resp.ledger_info == li_at(chain, 45) and len(resp.txns.transactions) == 2
    resp = _chunk(server.handle(StateSyncRequest(3, 44, 3, 1000, None)))
    assert resp.ledger_info == latest(chain) and len(resp.txns.transactions) == 4


def test_server_ignores_a_target_it_does_not_have(chain: Chain) -> None:
    server = StateSyncServer(chain.db)
    li = li_at(chain, 37)
    forged_info = dataclasses.replace(
        li.ledger_info,
        commit_info=dataclasses.replace(
            li.ledger_info.commit_info, executed_state_id=HashValue(b"\x01" * 32)
        ),
    )
    resp = _chunk(server.handle(StateSyncRequest(1, 20, 2, 1000, chain.sign(forged_info))))
    assert resp.ledger_info == li_at(chain, 43)  # epoch 2's ending ledger info instead
    beyond = dataclasses.replace(
        li.ledger_info, commit_info=dataclasses.replace(li.ledger_info.commit_info, version=999)
    )
    resp = _chunk(server.handle(StateSyncRequest(1, 44, 3, 1000, LedgerInfoWithV0(beyond, {}))))
    assert resp.ledger_info == latest(chain)


@pytest.mark.parametrize(
    ("known", "epoch", "message"),
    [
        (48, 3, "no transactions after version 47"),
        (49, 3, "already has 49 transactions"),
        (2**64 - 1, 3, "already has"),
        (30, 1, "epoch 1 ended at version 19"),
        (30, 7, "cannot prove anything in epoch 7"),
    ],
)
def test_server_errors(chain: Chain, known: int, epoch: int, message: str) -> None:
    server = StateSyncServer(chain.db)
    resp = server.handle(StateSyncRequest(5, known, epoch, 10, None))
    assert isinstance(resp, ErrorResponse) and resp.request_id == 5
    assert message in resp.message


def test_server_rejects_bad_configuration(chain: Chain) -> None:
    with pytest.raises(ValueError):
        StateSyncServer(chain.db, max_chunk=0)
    with pytest.raises(ValueError):
        StateSyncClient(chain.db, lambda r: ErrorResponse(0, ""), limit=0)


# ---------------------------------------------------------------------------------------------
# Client: honest syncing


def test_fresh_node_syncs_the_whole_ledger_across_epochs(chain: Chain, client_db: LedgerDB) -> None:
    server = StateSyncServer(chain.db, max_chunk=4)
    requests: list[StateSyncRequest] = []
    fetch = over_bcs(server)

    def recording(req: StateSyncRequest) -> StateSyncResponse:
        requests.append(req)
        return fetch(req)

    client = StateSyncClient(client_db, recording)
    client.sync_to(latest(chain))
    assert snapshot(client_db) == snapshot(chain.db)
    assert (
        client.epoch_state()
        == ledger_info_of(chain.db.epoch_ending_ledger_infos()[-1]).commit_info.next_epoch_state
    )
    for v in range(48):
        assert client_db.get_transaction_info(v) == chain.db.get_transaction_info(v)
        assert client_db.get_events(v) == chain.db.get_events(v)
    # chunks of whole blocks from where the client was; epochs advanced 1 -> 2 -> 3
    assert [r.known_version for r in requests] == [1, 5, 9, 15, 17, 20, 23, 36, 40, 44]
    assert [r.current_epoch for r in requests] == [1, 1, 1, 1, 1, 2, 2, 2, 2, 3]
    assert len({r.request_id for r in requests}) == len(requests)
    assert client.transactions_applied == 47 and client.chunks_applied == len(requests)
    # the synced ledger serves others: a third node syncs from it
    other = LedgerDB.open(client_db.path + "-2")
    try:
        bootstrap(other, chain.genesis)
        StateSyncClient(other, over_bcs(StateSyncServer(client_db))).sync_to(latest(chain))
        assert snapshot(other) == snapshot(chain.db)
    finally:
        other.close()


def test_sync_in_steps_to_intermediate_targets(chain: Chain, client_db: LedgerDB) -> None:
    client = StateSyncClient(client_db, over_bcs(StateSyncServer(chain.db)), limit=2)
    client.sync_to(li_at(chain, 7))
    assert client_db.num_transactions == 8 and client_db.latest_ledger_info() == li_at(chain, 7)
    assert client_db.accumulator_root == li_at(chain, 7).ledger_info.transaction_accumulator_hash
    # a target in epoch 2 from epoch 1: through epoch 1's ending ledger info
    client.sync_to(li_at(chain, 37))
    assert client_db.latest_ledger_info() == li_at(chain, 37)
    assert client.epoch_state().epoch == 2
    # nothing to do for a target behind the ledger or at it
    before = snapshot(client_db)
    client.sync_to(li_at(chain, 22))
    client.sync_to(li_at(chain, 37))
    assert snapshot(client_db) == before
    client.sync_to(latest(chain))
    assert snapshot(client_db) == snapshot(chain.db)


def commit_without_ledger_info(chain: Chain, db: LedgerDB, end: int) -> None:
    """Commits the server's blocks after ``db``'s ledger up to version ``end - 1`` (re-executed),
    without ledger infos, as an interrupted node could have left them."""
    n = db.num_transactions
    txns = [chain.db.get_transaction(v) for v in range(n, end)]
    for block in split_blocks(txns):
        out = execute_block(LedgerStateView(db), block)
        db.commit_block(to_commit(block, out))
    assert db.num_transactions == end


def test_target_at_the_ledger_version_is_recorded(chain: Chain, client_db: LedgerDB) -> None:
    """A ledger that has the target's transactions but not the target (its last blocks were
    committed without a ledger info) takes the target as its latest ledger info."""
    client = StateSyncClient(client_db, over_bcs(StateSyncServer(chain.db)))
    client.sync_to(li_at(chain, 7))
    commit_without_ledger_info(chain, client_db, 15)
    assert client_db.latest_ledger_info() == li_at(chain, 7)
    client.sync_to(li_at(chain, 14))
    assert client_db.latest_ledger_info() == li_at(chain, 14)
    other_sigs = chain.sign(li_at(chain, 14).ledger_info, quorum_only=False)
    client.sync_to(other_sigs)  # same version, already certified: nothing changes
    assert client_db.latest_ledger_info() == li_at(chain, 14)


def test_epoch_ending_ledger_info_alone(chain: Chain, client_db: LedgerDB) -> None:
    """A ledger holding every transaction of epoch 1 but not the ledger info that ended it gets
    that ledger info in an empty chunk, then goes on in epoch 2."""
    commit_without_ledger_info(chain, client_db, 20)
    client = StateSyncClient(client_db, over_bcs(StateSyncServer(chain.db)))
    assert client.epoch_state().epoch == 1
    client.sync_to(latest(chain))
    assert snapshot(client_db) == snapshot(chain.db)


def test_engine_hands_sync_to_the_client(chain: Chain, client_db: LedgerDB) -> None:
    client = StateSyncClient(client_db, over_bcs(StateSyncServer(chain.db)))
    engine = ExecutionEngine(client_db, syncer=client.sync_to)
    engine.sync_to(latest(chain))
    assert snapshot(client_db) == snapshot(chain.db)


def test_genesis_target(chain: Chain, client_db: LedgerDB) -> None:
    client = StateSyncClient(client_db, over_bcs(StateSyncServer(chain.db)))
    client.sync_to(chain.genesis_li)
    assert client_db.num_transactions == 1


def test_client_resumes_after_a_failure(chain: Chain, client_db: LedgerDB) -> None:
    server = StateSyncServer(chain.db, max_chunk=6)
    honest = over_bcs(server)
    calls = 0

    def flaky(req: StateSyncRequest) -> StateSyncResponse:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise StateSyncError("peer went away")
        return honest(req)

    client = StateSyncClient(client_db, flaky)
    with pytest.raises(StateSyncError, match="peer went away"):
        client.sync_to(latest(chain))
    assert client_db.num_transactions == 9  # two chunks of whole blocks committed
    client.sync_to(latest(chain))
    assert snapshot(client_db) == snapshot(chain.db)


# ---------------------------------------------------------------------------------------------
# Client: bad responses


Tamper = Callable[[StateSyncRequest, ChunkResponse], StateSyncResponse]


def _flip_info(req: StateSyncRequest, r: ChunkResponse) -> StateSyncResponse:
    infos = list(r.txns.proof.transaction_infos)
    infos[-1] = dataclasses.replace(infos[-1], gas_used=infos[-1].gas_used + 1)
    proof = dataclasses.replace(r.txns.proof, transaction_infos=tuple(infos))
    return dataclasses.replace(r, txns=dataclasses.replace(r.txns, proof=proof))


def _bad_signature(req: StateSyncRequest, r: ChunkResponse) -> StateSyncResponse:
    li = r.ledger_info
    assert isinstance(li, LedgerInfoWithV0)
    sigs = dict(li.signatures)
    a = next(iter(sigs))
    sigs[a] = Ed25519Signature(bytes(64))
    return dataclasses.replace(r, ledger_info=LedgerInfoWithV0(li.ledger_info, sigs))


def _no_quorum(req: StateSyncRequest, r: ChunkResponse) -> StateSyncResponse:
    li = r.ledger_info
    assert isinstance(li, LedgerInfoWithV0)
    sigs = dict(list(li.signatures.items())[:2])
    return dataclasses.replace(r, ledger_info=LedgerInfoWithV0(li.ledger_info, sigs))


def _foreign_signers(req: StateSyncRequest, r: ChunkResponse) -> StateSyncResponse:
    li = r.ledger_info
    assert isinstance(li, LedgerInfoWithV0)
    keys = [Ed25519PrivateKey(bytes([i]) * 32) for i in range(1, 5)]
    msg = li.ledger_info.signing_message()
    return dataclasses.replace(
        r, ledger_info=LedgerInfoWithV0(li.ledger_info, {_addr(k): k.sign(msg) for k in keys})
    )


def _truncate(req: StateSyncRequest, r: ChunkResponse) -> StateSyncResponse:
    t = r.txns
    proof = TransactionListProof(
        t.proof.ledger_info_to_transaction_infos_proof, t.proof.transaction_infos[:-1]
    )
    return dataclasses.replace(
        r,
        txns=TransactionListWithProof(
            t.transactions[:-1], None, t.first_transaction_version, proof
        ),
    )


def _wrong_id(req: StateSyncRequest, r: ChunkResponse) -> StateSyncResponse:
    return dataclasses.replace(r, request_id=req.request_id + 1)


def _wrong_start(req: StateSyncRequest, r: ChunkResponse) -> StateSyncResponse:
    return dataclasses.replace(
        r, txns=dataclasses.replace(r.txns, first_transaction_version=req.known_version + 1)
    )


def _swap_transactions(req: StateSyncRequest, r: ChunkResponse) -> StateSyncResponse:
    t = list(r.txns.transactions)
    t[1], t[2] = t[2], t[1]
    return dataclasses.replace(r, txns=dataclasses.replace(r.txns, transactions=tuple(t)))


def _empty(req: StateSyncRequest, r: ChunkResponse) -> StateSyncResponse:
    return dataclasses.replace(
        r,
        txns=TransactionListWithProof(
            (),
            None,
            None,
            TransactionListProof(
                dataclasses.replace(
                    r.txns.proof.ledger_info_to_transaction_infos_proof,
                    left_siblings=(),
                    right_siblings=(),
                ),
                (),
            ),
        ),
    )


def _error(req: StateSyncRequest, r: ChunkResponse) -> StateSyncResponse:
    return ErrorResponse(req.request_id, "busy")


def _request_echo(req: StateSyncRequest, r: ChunkResponse) -> StateSyncResponse:
    return req  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("tamper", "error", "match"),
    [
        (_flip_info, BadResponseError, "transaction list: accumulator root mismatch"),
        (_bad_signature, BadResponseError, "invalid signature"),
        (_no_quorum, BadResponseError, "below the quorum"),
        (_foreign_signers, BadResponseError, "unknown validator"),
        (_truncate, BadResponseError, "transaction list"),
        (_wrong_id, BadResponseError, "expected"),
        (_wrong_start, BadResponseError, "list starts at"),
        (_swap_transactions, BadResponseError, "does not match its transaction info"),
        (_empty, BadResponseError, "makes no progress"),
        (_error, TargetUnavailable, "busy"),
        (_request_echo, BadResponseError, "expected a state sync response"),
    ],
)
def test_tampered_responses_are_refused(
    chain: Chain, client_db: LedgerDB, tamper: Tamper, error: type[Exception], match: str
) -> None:
    server = StateSyncServer(chain.db)
    honest = over_bcs(server)
    # first move into epoch 2 honestly so that the tampered chunk is a later one
    StateSyncClient(client_db, honest).sync_to(li_at(chain, 22))
    before = snapshot(client_db)

    def fetch(req: StateSyncRequest) -> StateSyncResponse:
        return tamper(req, _chunk(honest(req)))

    client = StateSyncClient(client_db, fetch)
    with pytest.raises(error, match=match):
        client.sync_to(latest(chain))
    assert issubclass(error, StateSyncError)
    assert snapshot(client_db) == before
    # another (honest) peer finishes the job
    StateSyncClient(client_db, honest).sync_to(latest(chain))
    assert snapshot(client_db) == snapshot(chain.db)


class CuttingServer(StateSyncServer):
    """A malicious server that cuts chunks anywhere, even inside a block."""

    def _chunk_end(self, start: int, last: int, cap: int) -> int:
        return min(start + cap, last + 1)


def test_a_server_cutting_mid_block_is_refused(chain: Chain, client_db: LedgerDB) -> None:
    before = snapshot(client_db)
    client = StateSyncClient(client_db, over_bcs(CuttingServer(chain.db)), limit=3)
    # 1..3 is a part of block 1..4: its proven infos carry the whole block's state root
    with pytest.raises(BadResponseError, match="differs from the proven one"):
        client.sync_to(latest(chain))
    assert snapshot(client_db) == before
    # cuts that happen to fall on block boundaries are fine
    client = StateSyncClient(client_db, over_bcs(CuttingServer(chain.db)), limit=4)
    client.sync_to(li_at(chain, 7))  # 1..4 is exactly block 1, then 5..7 block 2
    assert client_db.num_transactions == 8
    # the big block 23..35 cut anywhere is refused
    StateSyncClient(client_db, over_bcs(StateSyncServer(chain.db))).sync_to(li_at(chain, 22))
    client.limit = 5
    with pytest.raises(BadResponseError, match="differs from the proven one"):
        client.sync_to(latest(chain))
    assert client_db.num_transactions == 23


def test_a_chunk_not_starting_a_block_is_refused(chain: Chain, client_db: LedgerDB) -> None:
    honest = over_bcs(StateSyncServer(chain.db))

    def skip_meta(req: StateSyncRequest) -> StateSyncResponse:
        # a valid proof for versions 2.. (the chunk claims to start where the client is)
        r = _chunk(honest(dataclasses.replace(req, known_version=req.known_version + 1)))
        return dataclasses.replace(r, request_id=req.request_id)

    with pytest.raises(BadResponseError, match="list starts at 2, expected 1"):
        StateSyncClient(client_db, skip_meta).sync_to(li_at(chain, 7))
    assert client_db.num_transactions == 1
    # a ledger left inside a block (not something this package or the engine does) cannot
    # continue: the next chunk does not start a block
    block = [chain.db.get_transaction(v) for v in range(1, 3)]
    client_db.commit_block(to_commit(block, execute_block(LedgerStateView(client_db), block)))
    with pytest.raises(BadResponseError, match="does not start a block at version 3"):
        StateSyncClient(client_db, honest).sync_to(li_at(chain, 7))


def test_a_server_ignoring_the_target_is_refused(chain: Chain, client_db: LedgerDB) -> None:
    honest = over_bcs(StateSyncServer(chain.db))

    def past_target(req: StateSyncRequest) -> StateSyncResponse:
        return honest(dataclasses.replace(req, target=None))

    before = snapshot(client_db)
    with pytest.raises(BadResponseError, match="past the target"):
        StateSyncClient(client_db, past_target).sync_to(li_at(chain, 7))
    assert snapshot(client_db) == before


def test_a_ledger_execution_does_not_reproduce_is_refused(tmp_path: Path, chain: Chain) -> None:
    """Even with a quorum's signatures, a ledger whose infos re-execution does not give is
    refused: here block 4 (versions 9..14) was committed with a wrong gas figure."""
    bad = make_chain(tmp_path / "bad", corrupt_gas_at=4)
    try:
        db = LedgerDB.open(tmp_path / "c")
        bootstrap(db, bad.genesis)
        client = StateSyncClient(db, over_bcs(StateSyncServer(bad.db)), limit=100)
        with pytest.raises(BadResponseError, match="re-executing version 9 gives a transaction"):
            client.sync_to(latest(bad))
        assert db.num_transactions == 1
        # with small chunks, blocks before the bad one are committed, then it stops there
        client.limit = 4
        with pytest.raises(BadResponseError, match="version 9"):
            client.sync_to(latest(bad))
        assert db.num_transactions == 9
        db.close()
    finally:
        bad.db.close()


def test_bad_targets(chain: Chain, client_db: LedgerDB) -> None:
    fetch = over_bcs(StateSyncServer(chain.db))
    client = StateSyncClient(client_db, fetch)
    li = li_at(chain, 7)
    unsigned = LedgerInfoWithV0(li.ledger_info, {})
    with pytest.raises(InvalidTargetError, match="below the quorum"):
        client.sync_to(unsigned)
    assert client_db.num_transactions == 1
    # a target in epoch 2 is checked once the ledger reaches epoch 2
    with pytest.raises(InvalidTargetError, match="does not verify"):
        client.sync_to(LedgerInfoWithV0(li_at(chain, 37).ledger_info, {}))
    assert client_db.num_transactions == 20 and client.epoch_state().epoch == 2
    # a target of epoch 1 after epoch 1 ended
    late = dataclasses.replace(
        li.ledger_info, commit_info=dataclasses.replace(li.ledger_info.commit_info, version=30)
    )
    with pytest.raises(InvalidTargetError, match="that epoch ended before version 20"):
        client.sync_to(sign_in_epoch(chain, late, 1))
    # signed targets whose accumulator root is not the ledger's
    for version, match in ((22, "past the target's 22"), (43, "contradicts the target")):
        good = li_at(chain, version).ledger_info
        wrong = dataclasses.replace(
            good,
            commit_info=dataclasses.replace(
                good.commit_info, executed_state_id=HashValue(b"\x05" * 32)
            ),
        )
        with pytest.raises(BadResponseError, match=match):
            client.sync_to(sign_in_epoch(chain, wrong, 2))
    assert client_db.num_transactions == 20


def sign_in_epoch(chain: Chain, info: LedgerInfo, epoch: int) -> LedgerInfoWithV0:
    """``info`` signed by every validator of ``epoch``."""
    ending = chain.db.get_epoch_ending_ledger_info(epoch - 1)
    es = ledger_info_of(ending).commit_info.next_epoch_state
    assert es is not None and es.epoch == epoch
    members = es.verifier.address_to_validator_info
    msg = info.signing_message()
    return LedgerInfoWithV0(
        info, {a: k.sign(msg) for a, k in chain.all_keys.items() if a in members}
    )


def test_unbootstrapped_ledger(tmp_path: Path, chain: Chain) -> None:
    db = LedgerDB.open(tmp_path / "empty")
    try:
        client = StateSyncClient(db, over_bcs(StateSyncServer(chain.db)))
        with pytest.raises(StateSyncError, match="bootstrap"):
            client.sync_to(latest(chain))
    finally:
        db.close()


def test_ledger_infos_that_disagree_with_execution_about_epochs(
    chain: Chain, client_db: LedgerDB
) -> None:
    """Ledger infos signed by a quorum but wrong about where epochs end are refused."""
    before = snapshot(client_db)

    def serving(li: LedgerInfoWithV0) -> Callable[[StateSyncRequest], StateSyncResponse]:
        def fetch(req: StateSyncRequest) -> StateSyncResponse:
            n = req.known_version
            info = li.ledger_info
            txns = chain.db.get_transactions_with_proof(n, info.version + 1 - n, info.version)
            return ChunkResponse(req.request_id, li, txns)

        return fetch

    def changed(version: int, **fields: Any) -> LedgerInfo:
        base = li_at(chain, version).ledger_info
        return dataclasses.replace(
            base, commit_info=dataclasses.replace(base.commit_info, **fields)
        )

    cases = [
        # the block at 17..19 ends epoch 1 but the ledger info does not say so
        (li_at(chain, 19), changed(19, next_epoch_state=None), "names other validators"),
        # the ledger info ends the epoch at 14, where no block does
        (
            li_at(chain, 14),
            changed(14, next_epoch_state=li_at(chain, 19).ledger_info.commit_info.next_epoch_state),
            "the block there does not",
        ),
        # an epoch-1 ledger info past the end of epoch 1
        (
            latest(chain),
            changed(22, epoch=1),
            "ends the epoch, but the ledger info is at version 22",
        ),
    ]
    for target, info, match in cases:
        forged = sign_in_epoch(chain, info, 1)
        with pytest.raises(BadResponseError, match=match):
            StateSyncClient(client_db, serving(forged)).sync_to(target)
        assert snapshot(client_db) == before


def test_client_retries_bad_responses(chain: Chain, client_db: LedgerDB) -> None:
    honest = over_bcs(StateSyncServer(chain.db, max_chunk=8))
    calls = 0

    def every_third_good(req: StateSyncRequest) -> StateSyncResponse:
        nonlocal calls
        calls += 1
        if calls % 3 == 1:
            return _bad_signature(req, _chunk(honest(req)))
        if calls % 3 == 2:
            raise StateSyncError("timeout")
        return honest(req)

    with pytest.raises(StateSyncError, match="timeout"):
        StateSyncClient(client_db, every_third_good, attempts=2).sync_to(latest(chain))
    assert client_db.num_transactions == 1
    calls = 0
    client = StateSyncClient(client_db, every_third_good, attempts=3)
    client.sync_to(latest(chain))
    assert snapshot(client_db) == snapshot(chain.db)
    assert client.failures == 2 * client.chunks_applied
    with pytest.raises(ValueError):
        StateSyncClient(client_db, honest, attempts=0)
