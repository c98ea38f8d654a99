"""Finding free loopback ports for local networks (benchmarks and tests)."""

from __future__ import annotations

import random
import socket

__all__ = ["NoFreePorts", "free_port_base"]


class NoFreePorts(OSError):
    """No run of free ports was found."""


def free_port_base(count: int, host: str = "127.0.0.1", attempts: int = 200) -> int:
    """A port ``base`` such that ``base .. base + count - 1`` are all free on ``host`` now
    (another process may still take one before it is used)."""
    rng = random.Random()
    for _ in range(attempts):
        base = rng.randrange(20_000, 60_000 - count)
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
