"""The asyncio transport on 127.0.0.1 with ephemeral ports."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from libra.network import (
    FrameTooLarge,
    Network,
    NetworkClosed,
    NetworkConfig,
    NetworkPrivateKey,
    PeerInfo,
    backoff_delay,
)
from libra.network.handshake import CLIENT_HELLO_LENGTH, start_client_hello
from libra.network.noise import TransportKeys
from libra.network.transport import FRAME_HEADER, read_frame
from libra.types import AccountAddress

T = TypeVar("T")
HOST = "127.0.0.1"
FAST = NetworkConfig(backoff_initial=0.01, backoff_max=0.1, handshake_timeout=2.0)


def run(coro: Coroutine[Any, Any, T], timeout: float = 20.0) -> T:
    """Run one test coroutine with a hard time bound."""

    async def bounded() -> T:
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(bounded())


def addr(i: int) -> AccountAddress:
    return AccountAddress.from_int(i)


def key(i: int) -> NetworkPrivateKey:
    return NetworkPrivateKey(bytes([i]) * 32)


async def start_nodes(
    ids: list[int], config: NetworkConfig = FAST
) -> tuple[list[Network], dict[AccountAddress, PeerInfo]]:
    """Start one node per id on an ephemeral port, then give every node the full trusted set."""
    nets = [
        Network(
            addr(i),
            key(i),
            {},
            listen_host=HOST,
            listen_port=0,
            config=config,
            rng=random.Random(i),
        )
        for i in ids
    ]
    for n in nets:
        await n.start()
    peers = {
        addr(i): PeerInfo(HOST, n.listen_port, key(i).public_key)
        for i, n in zip(ids, nets, strict=True)
    }
    for n in nets:
        n.update_trusted_peers(peers)
    return nets, peers


async def close_all(nets: list[Network]) -> None:
    for n in nets:
        await n.close()


async def recv_n(net: Network, n: int) -> list[tuple[AccountAddress, bytes]]:
    return [await net.recv() for _ in range(n)]


async def eventually(pred: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


def test_messages_arrive_in_order_and_intact() -> None:
    async def main() -> None:
        (a, b), _ = await start_nodes([1, 2])
        await a.wait_connected([addr(2)], 5)
        await b.wait_connected([addr(1)], 5)
        rng = random.Random(7)
        to_b = [rng.randbytes(rng.randrange(0, 3000)) for _ in range(300)]
        to_a = [rng.randbytes(rng.randrange(0, 3000)) for _ in range(300)]
        for m in to_b:
            assert a.send(addr(2), m)
        for m in to_a:
            assert b.send(addr(1), m)
        got_b = await recv_n(b, len(to_b))
        got_a = await recv_n(a, len(to_a))
        assert got_b == [(addr(1), m) for m in to_b]
        assert got_a == [(addr(2), m) for m in to_a]
        await close_all([a, b])

    run(main())


def test_broadcast_reaches_every_peer_and_async_iteration() -> None:
    async def main() -> None:
        nets, _ = await start_nodes([1, 2, 3, 4])
        for n in nets:
            await n.wait_connected([addr(i) for i in (1, 2, 3, 4) if addr(i) != n.self_address], 5)
        assert nets[2].broadcast(b"hello from 3") == 3
        for i in (0, 1, 3):
            async for peer, msg in nets[i]:
                assert (peer, msg) == (addr(3), b"hello from 3")
                break
        await close_all(nets)

    run(main())


def test_unknown_key_is_rejected_at_handshake() -> None:
    async def main() -> None:
        (a,), peers = await start_nodes([5])
        # Node 1 (smaller address, so it dials) trusts 5, but 5 does not know 1.
        stranger = Network(
            addr(1),
            key(1),
            {addr(5): peers[addr(5)]},
            listen_port=0,
            config=FAST,
            rng=random.Random(1),
        )
        await stranger.start()
        await eventually(lambda: a.metrics.handshakes_rejected_unknown_peer >= 2)
        assert a.connected_peers() == frozenset()
        assert stranger.connected_peers() == frozenset()
        assert stranger.metrics.dial_failures >= 2
        await stranger.close()
        # An impostor claiming a trusted address with another key is rejected too.
        a.update_trusted_peers({**peers, addr(2): PeerInfo(HOST, 1, key(2).public_key)})
        impostor = Network(
            addr(2),
            key(9),
            {addr(5): peers[addr(5)]},
            listen_port=0,
            config=FAST,
            rng=random.Random(2),
        )
        await impostor.start()
        before = a.metrics.handshakes_rejected_unknown_peer
        await eventually(lambda: a.metrics.handshakes_rejected_unknown_peer > before)
        assert addr(2) not in a.connected_peers()
        await close_all([impostor, a])

    run(main())


async def _raw_session(
    target: Network, target_info: PeerInfo, me: int
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, TransportKeys]:
    """Handshake with ``target`` by hand as node ``me``; returns the stream and keys."""
    reader, writer = await asyncio.open_connection(HOST, target_info.port)
    pending = start_client_hello(
        addr(me),
        key(me),
        target.self_address,
        target_info.network_public_key,
        time.time_ns() // 1000,
        NetworkPrivateKey.generate(),
    )
    writer.write(len(pending.message).to_bytes(4, "big") + pending.message)
    await writer.drain()
    keys = pending.finish(await read_frame(reader, 1024))
    return reader, writer, keys


def test_tampered_ciphertext_is_detected_and_connection_dropped() -> None:
    async def main() -> None:
        (a,), peers = await start_nodes([5])
        a.update_trusted_peers({**peers, addr(7): PeerInfo(HOST, 1, key(7).public_key)})
        reader, writer, keys = await _raw_session(a, peers[addr(5)], 7)
        good = keys.send.encrypt(b"first")
        writer.write(len(good).to_bytes(4, "big") + good)
        assert await a.recv() == (addr(7), b"first")
        bad = bytearray(keys.send.encrypt(b"second"))
        bad[3] ^= 0x40
        writer.write(len(bad).to_bytes(4, "big") + bytes(bad))
        await writer.drain()
        assert await reader.read() == b""  # the node closed the connection
        assert a.metrics.decrypt_failures == 1
        assert a.inbound_pending() == 0
        # A replayed (earlier) frame on a fresh session also fails.
        reader2, writer2, _ = await _raw_session(a, peers[addr(5)], 7)
        writer2.write(len(good).to_bytes(4, "big") + good)
        await writer2.drain()
        assert await reader2.read() == b""
        assert a.metrics.decrypt_failures == 2
        writer.close()
        writer2.close()
        await a.close()

    run(main())


def test_oversize_frames_are_rejected() -> None:
    async def main() -> None:
        config = NetworkConfig(max_message_size=1000, backoff_initial=0.01, backoff_max=0.1)
        (a,), peers = await start_nodes([5], config)
        a.update_trusted_peers({**peers, addr(7): PeerInfo(HOST, 1, key(7).public_key)})
        # Before the handshake: a huge length prefix is refused without reading it.
        reader, writer = await asyncio.open_connection(HOST, peers[addr(5)].port)
        writer.write((2**31).to_bytes(4, "big"))
        await writer.drain()
        assert await reader.read() == b""
        assert a.metrics.handshakes_failed == 1
        writer.close()
        # After the handshake: one byte over the limit closes the connection.
        reader, writer, keys = await _raw_session(a, peers[addr(5)], 7)
        ok = keys.send.encrypt(b"x" * 1000)
        writer.write(len(ok).to_bytes(FRAME_HEADER, "big") + ok)
        assert await a.recv() == (addr(7), b"x" * 1000)
        writer.write((config.max_frame_size + 1).to_bytes(FRAME_HEADER, "big"))
        await writer.drain()
        assert await reader.read() == b""
        assert a.metrics.oversize_frames == 1
        # Sending a message over the limit is refused locally.
        assert not a.send(addr(7), b"y" * 1001)
        assert a.metrics.oversize_sends == 1
        writer.close()
        await a.close()

    run(main())


def test_reconnects_after_either_peer_restarts() -> None:
    async def main() -> None:
        (a, b), peers = await start_nodes([1, 2])
        await a.wait_connected([addr(2)], 5)
        # The accepting side (2) restarts on the same port: 1 redials with backoff.
        await b.close()
        await eventually(lambda: addr(2) not in a.connected_peers())
        b = Network(addr(2), key(2), peers, config=FAST, rng=random.Random(3))
        await b.start()
        await a.wait_connected([addr(2)], 5)
        a.send(addr(2), b"after restart of 2")
        assert await b.recv() == (addr(1), b"after restart of 2")
        # The dialing side (1) restarts: 2 accepts the new connection, replacing the old.
        await a.close()
        a = Network(addr(1), key(1), peers, config=FAST, rng=random.Random(4))
        await a.start()
        await a.wait_connected([addr(2)], 5)
        await b.wait_connected([addr(1)], 5)
        b.send(addr(1), b"after restart of 1")
        assert await a.recv() == (addr(2), b"after restart of 1")
        assert a.metrics.dial_attempts >= 1
        await close_all([a, b])

    run(main())


def test_writes_are_coalesced() -> None:
    async def main() -> None:
        (a, b), _ = await start_nodes([1, 2])
        await a.wait_connected([addr(2)], 5)
        for i in range(1000):
            a.send(addr(2), i.to_bytes(4, "big"))
        got = await recv_n(b, 1000)
        assert [int.from_bytes(m, "big") for _, m in got] == list(range(1000))
        assert a.metrics.messages_sent == 1000
        assert a.metrics.writes <= 10
        await close_all([a, b])

    run(main())


def test_send_queue_is_bounded_and_survives_until_connected() -> None:
    async def main() -> None:
        config = NetworkConfig(send_queue_capacity=50, backoff_initial=0.01, backoff_max=0.1)
        a = Network(addr(1), key(1), {}, listen_port=0, config=config)
        b = Network(addr(2), key(2), {}, listen_port=0, config=config)
        await a.start()
        await b.start()
        b_info = PeerInfo(HOST, b.listen_port, key(2).public_key)
        a_info = PeerInfo(HOST, a.listen_port, key(1).public_key)
        b.update_trusted_peers({addr(1): a_info})
        # 2 is trusted by 1 but unreachable (wrong port) while messages are queued.
        a.update_trusted_peers({addr(2): PeerInfo(HOST, 1, key(2).public_key)})
        for i in range(60):
            a.send(addr(2), bytes([i]))
        assert a.metrics.send_queue_drops == 10
        assert not a.send(addr(3), b"nobody")
        assert a.metrics.send_to_unknown_peer == 1
        a.update_trusted_peers({addr(2): b_info})
        # The queue belongs to the peer and survives the address change: the 50 newest
        # messages arrive, in order.
        got = await recv_n(b, 50)
        assert [m[0] for _, m in got] == list(range(10, 60))
        await close_all([a, b])

    run(main())


def test_removed_peer_is_disconnected_and_refused() -> None:
    async def main() -> None:
        (a, b), peers = await start_nodes([1, 2])
        await b.wait_connected([addr(1)], 5)
        b.update_trusted_peers({addr(2): peers[addr(2)]})
        assert b.trusted_peers() == frozenset()
        await eventually(lambda: addr(2) not in a.connected_peers())
        await eventually(lambda: b.metrics.handshakes_rejected_unknown_peer >= 1)
        assert b.connected_peers() == frozenset()
        assert not b.send(addr(1), b"gone")
        await close_all([a, b])

    run(main())


def test_throughput_20000_small_messages(capsys: pytest.CaptureFixture[str]) -> None:
    async def main() -> float:
        (a, b), _ = await start_nodes([1, 2])
        await a.wait_connected([addr(2)], 5)
        n = 20_000
        payload = b"m" * 100
        start = time.perf_counter()

        async def producer() -> None:
            for i in range(n):
                a.send(addr(2), payload)
                if i % 1000 == 999:
                    await asyncio.sleep(0)

        prod = asyncio.create_task(producer())
        got = 0
        while got < n:
            peer, msg = await b.recv()
            assert peer == addr(1) and msg == payload
            got += 1
        elapsed = time.perf_counter() - start
        await prod
        assert a.metrics.send_queue_drops == 0
        await close_all([a, b])
        return elapsed

    elapsed = run(main(), timeout=30)
    with capsys.disabled():
        print(
            f"\nnetwork throughput: 20000 x 100-byte messages in {elapsed:.3f}s "
            f"= {20000 / elapsed:,.0f} msg/s"
        )


def test_backoff_delay_doubles_up_to_the_maximum_with_jitter() -> None:
    assert [backoff_delay(f, 0.1, 1.0, 0.0) for f in range(6)] == [0.05, 0.1, 0.2, 0.4, 0.5, 0.5]
    assert backoff_delay(0, 0.1, 1.0, 0.5) == pytest.approx(0.075)
    assert backoff_delay(10_000, 0.1, 1.0, 0.999) == pytest.approx(0.9995)
    with pytest.raises(ValueError):
        backoff_delay(-1, 0.1, 1.0, 0.0)
    with pytest.raises(ValueError):
        backoff_delay(0, 0.1, 1.0, 1.0)


def test_redials_of_an_unreachable_peer_back_off() -> None:
    async def main() -> int:
        cfg = NetworkConfig(backoff_initial=0.02, backoff_max=0.2)
        # Port 1 on loopback refuses connections at once, so only the backoff paces redials.
        a = Network(
            addr(1),
            key(1),
            {addr(2): PeerInfo(HOST, 1, key(2).public_key)},
            listen_port=0,
            config=cfg,
            rng=random.Random(0),
        )
        await a.start()
        await asyncio.sleep(0.6)
        await a.close()
        return a.metrics.dial_attempts

    attempts = run(main())
    # Without backoff this would be thousands; with it: 0.01+0.02+0.04+0.08+0.1+... (jittered).
    assert 3 <= attempts <= 25


def test_recv_and_iteration_end_after_close() -> None:
    async def main() -> None:
        (a, b), _ = await start_nodes([1, 2])
        await a.wait_connected([addr(2)], 5)
        a.send(addr(2), b"last")
        await eventually(lambda: b.inbound_pending() == 1)
        waiter = asyncio.create_task(a.recv())
        await asyncio.sleep(0.01)
        await close_all([a, b])
        with pytest.raises(NetworkClosed):
            await waiter
        received = [m async for _, m in b]
        assert received == [b"last"]
        with pytest.raises(NetworkClosed):
            await b.recv()

    run(main())


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.binary(max_size=300), max_size=20),
    st.lists(st.integers(1, 64), min_size=1, max_size=20),
)
def test_frames_parse_whatever_the_chunking(frames: list[bytes], cuts: list[int]) -> None:
    stream = b"".join(len(f).to_bytes(FRAME_HEADER, "big") + f for f in frames)

    async def main() -> list[bytes]:
        reader = asyncio.StreamReader()
        pos, i = 0, 0
        while pos < len(stream):
            step = cuts[i % len(cuts)]
            reader.feed_data(stream[pos : pos + step])
            pos += step
            i += 1
        reader.feed_eof()
        out = [await read_frame(reader, 300) for _ in frames]
        with pytest.raises(asyncio.IncompleteReadError):
            await read_frame(reader, 300)
        return out

    assert asyncio.run(main()) == frames


def test_read_frame_refuses_oversize_before_reading() -> None:
    async def main() -> None:
        reader = asyncio.StreamReader()
        reader.feed_data((301).to_bytes(FRAME_HEADER, "big") + b"x" * 10)
        with pytest.raises(FrameTooLarge) as info:
            await read_frame(reader, 300)
        assert (info.value.length, info.value.limit) == (301, 300)

    asyncio.run(main())


def test_garbage_handshakes_are_counted_and_the_node_keeps_working() -> None:
    async def main() -> None:
        (a, b), peers = await start_nodes([1, 2])
        await a.wait_connected([addr(2)], 5)
        rng = random.Random(11)
        for i in range(20):
            reader, writer = await asyncio.open_connection(HOST, peers[addr(2)].port)
            if i % 2:
                # Right length, random content (sometimes a trusted address, then bad crypto).
                body = bytearray(rng.randbytes(CLIENT_HELLO_LENGTH))
                body[0] = 1
                if i % 4 == 1:
                    body[1:17] = bytes(addr(1))
                payload = bytes(body)
            else:
                payload = rng.randbytes(rng.randrange(0, 200))
            writer.write(len(payload).to_bytes(4, "big") + payload)
            writer.write_eof()
            await writer.drain()
            assert await reader.read() == b""
            writer.close()
        failures = b.metrics.handshakes_failed + b.metrics.handshakes_rejected_unknown_peer
        assert failures == 20
        assert b.metrics.handshakes_rejected_unknown_peer >= 1
        a.send(addr(2), b"still fine")
        assert await b.recv() == (addr(1), b"still fine")
        await close_all([a, b])

    run(main())


def test_epoch_change_adds_a_validator() -> None:
    async def main() -> None:
        nets, peers = await start_nodes([1, 2, 3])
        for n in nets:
            await n.wait_connected(peers.keys() - {n.self_address}, 5)
        fifth = Network(addr(5), key(5), {}, listen_port=0, config=FAST, rng=random.Random(5))
        await fifth.start()
        new_set = {**peers, addr(5): PeerInfo(HOST, fifth.listen_port, key(5).public_key)}
        for n in [*nets, fifth]:
            n.update_trusted_peers(new_set)
        await fifth.wait_connected(peers.keys(), 5)
        assert fifth.broadcast(b"joined") == 3
        for n in nets:
            assert await n.recv() == (addr(5), b"joined")
        await close_all([*nets, fifth])

    run(main())


def test_large_messages(capsys: pytest.CaptureFixture[str]) -> None:
    async def main() -> float:
        (a, b), _ = await start_nodes([1, 2])
        await a.wait_connected([addr(2)], 5)
        blob = random.Random(1).randbytes(4 * 1024 * 1024)
        start = time.perf_counter()
        for i in range(8):
            assert a.send(addr(2), bytes([i]) + blob)
        for i in range(8):
            peer, msg = await b.recv()
            assert peer == addr(1) and msg[0] == i and msg[1:] == blob
        elapsed = time.perf_counter() - start
        await close_all([a, b])
        return elapsed

    elapsed = run(main(), timeout=30)
    with capsys.disabled():
        print(f"\nnetwork bulk: 8 x 4 MiB messages in {elapsed:.3f}s = {32 / elapsed:,.0f} MiB/s")
