"""Finding free loopback ports for local networks (benchmarks and tests)."""

from __future__ import annotations

import random
import socket

__all__ = ["NoFreePorts", "free_port_base"]


class NoFreePorts(OSError):
    """No run of free ports was found."""


def _outside_ephemeral_range() -> tuple[int, int]:
    """Ports below the kernel's range for outgoing connections: a client polling a port in
    that range before its server listens can be connected to itself (and read back its own
    request)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            first = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        first = 32_768
    return 10_000, max(12_000, min(first, 32_768))


def free_port_base(count: int, host: str = "127.0.0.1", attempts: int = 200) -> int:
    """A port ``base`` such that ``base .. base + count - 1`` are all free on ``host`` now
    (another process may still take one before it is used)."""
    low, high = _outside_ephemeral_range()
    rng = random.Random()
    for _ in range(attempts):
        base = rng.randrange(low, high - count)
        socks: list[socket.socket] = []
        try:
            for p in range(base, base + count):
                s = socket.socket()
                socks.append(s)
                s.bind((host, p))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise NoFreePorts(f"no {count} consecutive free ports on {host}")
