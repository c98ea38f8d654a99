"""Sharing transactions between mempools over a fake in-memory network and a real one."""

from __future__ import annotations

import asyncio
import random
from collections import deque
from collections.abc import Callable

from mempool_helpers import addr, txn

from libra import bcs
from libra.framework.errors import StatusCode
from libra.mempool import (
    BroadcastTransactionsRequest,
    BroadcastTransactionsResponse,
    Mempool,
    MempoolMessage,
    MempoolService,
    MempoolStatusCode,
)
from libra.network import Network, NetworkConfig, NetworkPrivateKey, PeerInfo
from libra.types import AccountAddress


class FakeHub:
    """An in-memory network: messages wait in one FIFO until :meth:`deliver` runs."""

    def __init__(self) -> None:
        self.queue: deque[tuple[AccountAddress, AccountAddress, bytes]] = deque()
        self.services: dict[AccountAddress, MempoolService] = {}
        self.states: dict[AccountAddress, dict[AccountAddress, int]] = {}
        """Each validator's committed account sequence numbers."""

    def endpoint(self, me: AccountAddress) -> FakeEndpoint:
        return FakeEndpoint(self, me)

    def deliver(self, limit: int = 10_000) -> int:
        n = 0
        while self.queue and n < limit:
            src, dst, data = self.queue.popleft()
            self.services[dst].handle_message(src, data)
            n += 1
        return n


class FakeEndpoint:
    def __init__(self, hub: FakeHub, me: AccountAddress) -> None:
        self.hub = hub
        self.me = me
        self.sent: list[bytes] = []

    def send(self, peer: AccountAddress, message: bytes) -> bool:
        if peer not in self.hub.services or peer == self.me:
            return False
        self.sent.append(message)
        self.hub.queue.append((self.me, peer, message))
        return True

    def broadcast(self, message: bytes) -> int:
        return sum(self.send(p, message) for p in list(self.hub.services))


V = [AccountAddress.from_int(0x100 + i) for i in range(3)]


def state_reader(state: dict[AccountAddress, int]) -> Callable[[AccountAddress], int]:
    return lambda a: state.get(a, 0)


def make_net(capacity: int = 1000, batch_size: int = 50) -> tuple[FakeHub, list[MempoolService]]:
    hub = FakeHub()
    services = []
    for v in V:
        state: dict[AccountAddress, int] = {}
        hub.states[v] = state
        pool = Mempool(lambda _t: None, state_reader(state), capacity=capacity)
        svc = MempoolService(pool, hub.endpoint(v), batch_size=batch_size)
        hub.services[v] = svc
        services.append(svc)
    return hub, services


def test_submitted_transactions_reach_every_validator_once() -> None:
    hub, (a, b, c) = make_net()
    ts = [txn(i, 0) for i in range(30)]
    for t in ts:
        assert a.submit(t).inserted
    assert hub.deliver() == 0  # nothing until a flush
    assert a.flush() == 1
    hub.deliver()
    for svc in (b, c):
        assert len(svc.mempool) == 30
        assert svc.metrics.transactions_admitted_from_peers == 30
        assert svc.metrics.batches_broadcast == 0  # received ones are not forwarded
    assert a.metrics.responses_received == 2
    assert a.inflight_batches == 0
    # A duplicate submission is accepted but not broadcast again.
    assert a.submit(ts[0]).code is MempoolStatusCode.ACCEPTED
    assert a.flush() == 0


def test_a_restarted_validator_does_not_reuse_request_ids() -> None:
    """Receivers may still hold a batch of the validator's previous run (pending its
    attestations) under its request id; the new run's batches must carry other ids."""
    ids = []
    for _run in range(2):  # the same validator, started twice
        hub = FakeHub()
        pool = Mempool(lambda _t: None, state_reader({}), capacity=100)
        svc = MempoolService(pool, hub.endpoint(V[0]), batch_size=50)
        hub.services[V[0]] = svc
        hub.services[V[1]] = MempoolService(
            Mempool(lambda _t: None, state_reader({}), capacity=100), hub.endpoint(V[1])
        )
        svc.submit(txn(0, 0))
        assert svc.flush() == 1
        (_src, _dst, data) = hub.queue.popleft()
        message = bcs.decode(MempoolMessage, data)
        assert isinstance(message, BroadcastTransactionsRequest)
        ids.append(message.request_id)
    assert ids[0] != ids[1]


def test_a_sequence_number_below_the_accounts_is_reported_as_diem_does() -> None:
    """Diem's shared mempool answers an old sequence number with VmError and the VM status
    SEQUENCE_NUMBER_TOO_OLD (the JSON-RPC -32001), not the core mempool's InvalidSeqNumber;
    the mempool-level statuses stay as they are."""
    hub, (svc, *_) = make_net()
    hub.states[V[0]][addr(1)] = 1
    r = svc.submit(txn(1, 0))
    assert r.code is MempoolStatusCode.VM_ERROR and not r.inserted
    assert r.vm_status is StatusCode.SEQUENCE_NUMBER_TOO_OLD
    assert "below the account's 1" in r.detail
    assert svc.mempool.add(txn(1, 0)).code is MempoolStatusCode.INVALID_SEQ_NUMBER
    # A tracked sender (pending transactions, then a commit) too.
    assert svc.submit(txn(2, 0)).inserted and svc.submit(txn(2, 1)).inserted
    svc.mempool.commit([(addr(2), 0)])
    assert svc.submit(txn(2, 0, gas=5)).vm_status is StatusCode.SEQUENCE_NUMBER_TOO_OLD
    assert svc.submit(txn(2, 1)).code is MempoolStatusCode.ACCEPTED  # the same one again
    assert svc.submit(txn(2, 1, salt=1)).code is MempoolStatusCode.INVALID_UPDATE
    assert svc._outbox == [txn(2, 0), txn(2, 1)]


def test_full_batch_is_broadcast_immediately() -> None:
    hub, (a, b, _) = make_net(batch_size=10)
    for i in range(25):
        a.submit(txn(i, 0))
    assert a.metrics.batches_broadcast == 2
    hub.deliver()
    assert len(b.mempool) == 20
    a.flush()
    hub.deliver()
    assert len(b.mempool) == 25


def test_full_receiver_asks_for_retry_and_gets_it() -> None:
    hub, (a, b, c) = make_net()
    b.mempool.capacity = 5
    for i in range(8):
        a.submit(txn(i, 0))
    a.flush()
    hub.deliver()
    assert len(b.mempool) == 5 and len(c.mempool) == 8
    assert a.inflight_batches == 1
    # b makes room (a block committed), then a's next flush resends to b only.
    b.mempool.commit([(addr(i), 0) for i in range(5)])
    hub.states[V[1]].update({addr(i): 1 for i in range(5)})
    sent_before = len(hub.queue)
    a.flush()
    assert a.metrics.retries_sent == 1 and len(hub.queue) == sent_before + 1
    hub.deliver()
    assert len(b.mempool) == 3  # the other three, the committed ones are refused as old
    assert a.inflight_batches == 0


def test_retries_are_bounded() -> None:
    hub, (a, b, _) = make_net()
    b.mempool.capacity = 1
    b.mempool.add(txn(99, 0))
    a.submit(txn(0, 0))
    for _ in range(10):
        a.flush()
        hub.deliver()
    assert a.metrics.retries_sent == a.max_retries
    assert a.inflight_batches == 0


def test_malformed_and_unexpected_messages_are_counted() -> None:
    _, (a, _, _) = make_net()
    a.handle_message(V[1], b"\x07garbage")
    a.handle_message(V[1], b"")
    assert a.metrics.malformed_messages == 2
    a.handle_message(V[1], bcs.encode(BroadcastTransactionsResponse(b"nope", False, False)))
    assert a.metrics.unexpected_responses == 1


def test_message_roundtrip() -> None:
    m = BroadcastTransactionsRequest(b"\x01" * 8, (txn(1, 2), txn(3, 4)))
    assert bcs.decode(MempoolMessage, bcs.encode(m)) == m


def test_run_loop_flushes_periodically() -> None:
    hub, (a, b, _) = make_net()

    async def main() -> None:
        stop = asyncio.Event()
        a.broadcast_interval = 0.01
        runner = asyncio.create_task(a.run(stop))
        a.submit(txn(1, 0))
        for _ in range(200):
            await asyncio.sleep(0.01)
            hub.deliver()
            if len(b.mempool) == 1:
                break
        stop.set()
        await asyncio.wait_for(runner, 2)

    asyncio.run(main())
    assert len(b.mempool) == 1


def test_sharing_over_the_real_transport() -> None:
    async def main() -> None:
        keys = [NetworkPrivateKey(bytes([i + 1]) * 32) for i in range(2)]
        cfg = NetworkConfig(backoff_initial=0.01, backoff_max=0.1)
        nets = [
            Network(V[i], keys[i], {}, listen_port=0, config=cfg, rng=random.Random(i))
            for i in range(2)
        ]
        for n in nets:
            await n.start()
        peers = {
            V[i]: PeerInfo("127.0.0.1", nets[i].listen_port, keys[i].public_key) for i in range(2)
        }
        for n in nets:
            n.update_trusted_peers(peers)
        svcs = [
            MempoolService(Mempool(lambda _t: None, lambda _a: 0), nets[i], batch_size=100)
            for i in range(2)
        ]
        await nets[0].wait_connected([V[1]], 5)

        async def pump(i: int) -> None:
            async for peer, data in nets[i]:
                svcs[i].handle_message(peer, data)

        pumps = [asyncio.create_task(pump(i)) for i in range(2)]
        ts = [txn(i, s) for i in range(50) for s in range(4)]
        for t in ts:
            svcs[0].submit(t)
        svcs[0].flush()
        for _ in range(500):
            if len(svcs[1].mempool) == len(ts) and svcs[0].inflight_batches == 0:
                break
            await asyncio.sleep(0.01)
        assert len(svcs[1].mempool) == len(ts)
        assert svcs[1].mempool.get_batch(1000, 10**9) == svcs[0].mempool.get_batch(1000, 10**9)
        assert svcs[0].inflight_batches == 0
        for p in pumps:
            p.cancel()
        for n in nets:
            await n.close()

    asyncio.run(asyncio.wait_for(main(), 20))
