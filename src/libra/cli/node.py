"""``libra node`` (one validator) and ``libra testnet`` (a local network of validator
processes on loopback)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import fcntl
import http.client
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

import click
from click.core import ParameterSource

from libra.node.config import CONFIG_NAME, ConfigError, NodeFiles
from libra.node.genesis import GENESIS_FILE, create_testnet


@click.command("node")
@click.option(
    "--config",
    "config_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The validator's node.json.",
)
@click.option("--log-level", default="INFO", show_default=True)
def node(config_path: Path, log_level: str) -> None:
    """Run one validator until interrupted (Ctrl-C or SIGTERM)."""
    from libra.api.ops import configure_json_logging

    configure_json_logging(getattr(logging, log_level.upper(), logging.INFO))
    try:
        files = NodeFiles.load(config_path)
    except (ConfigError, OSError, ValueError) as e:
        raise click.ClickException(str(e)) from None
    # Two processes on one validator's keys and data would sign twice for a round.
    lock = _lock(files.directory, "validator")
    try:
        _run_node(files)
    finally:
        lock.close()


LOCK_NAME = ".lock"
"""The lock file of a validator's directory and of a testnet's data directory: held by the
process using it, and naming its pid."""


def _lock(directory: Path, what: str) -> IO[str]:
    """Takes the exclusive lock on ``directory`` (created if need be) for as long as the
    returned file stays open (the kernel releases it when the process ends, however it ends);
    refuses with a clear error when another process holds it."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        f = (directory / LOCK_NAME).open("a+")
    except OSError as e:
        raise click.ClickException(f"cannot lock {directory}: {e}") from None
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.seek(0)
        holder = f.read().strip() or "unknown"
        f.close()
        raise click.ClickException(
            f"{directory} is in use by another {what} process (pid {holder}); stop that first"
        ) from None
    f.seek(0)
    f.truncate()
    f.write(f"{os.getpid()}\n")
    f.flush()
    return f


def _run_node(files: NodeFiles) -> None:
    try:
        from libra.node.runtime import ValidatorNode

        validator = ValidatorNode(files)
    except (ConfigError, OSError, ValueError) as e:
        raise click.ClickException(str(e)) from None
    except Exception as e:  # storage and genesis errors name their file
        raise click.ClickException(f"{type(e).__name__}: {e}") from None

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        run = asyncio.create_task(validator.run(stop))
        while not validator.ready.is_set() and not run.done():
            await asyncio.sleep(0.05)
        if validator.ready.is_set():
            click.echo(
                json.dumps(
                    {"ready": True, "address": validator.address.hex(), **validator.endpoints()}
                ),
                err=True,
            )
        await run

    try:
        asyncio.run(main())
    except OSError as e:
        raise click.ClickException(f"cannot start the validator: {e}") from None
    if validator.failure is not None:
        raise click.ClickException(validator.failure)


def _http_ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as r:
            return bool(r.status == 200)
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError):
        return False


@dataclasses.dataclass
class _Proc:
    name: str
    files: NodeFiles
    proc: subprocess.Popen[bytes]
    log: Path


def _start(files: NodeFiles, log_level: str) -> _Proc:
    log_path = files.directory / "node.log"
    out = log_path.open("ab")
    cmd = [
        sys.executable,
        "-m",
        "libra.cli.main",
        "node",
        "--config",
        str(files.directory / CONFIG_NAME),
        "--log-level",
        log_level,
    ]
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    out.close()
    return _Proc(files.directory.name, files, proc, log_path)


def _stop_all(procs: list[_Proc], timeout: float = 20.0) -> None:
    for p in procs:
        if p.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                p.proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for p in procs:
        remaining = max(0.1, deadline - time.monotonic())
        try:
            p.proc.wait(remaining)
        except subprocess.TimeoutExpired:
            p.proc.kill()
            p.proc.wait()


def _port_in_use(host: str, port: int) -> bool:
    """Whether a server already listens on ``host:port`` (binding as our servers do)."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except OSError:
        return False  # the server's own start reports an unusable host
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def _check_ports(nodes: list[NodeFiles]) -> None:
    """Refuses to start when a port of the network is taken (another network's API would
    answer the readiness checks)."""
    for n in nodes:
        cfg = n.config
        ports = [
            (cfg.listen_host, cfg.listen_port, "validator port", "--validator-base-port"),
            (cfg.api_host, cfg.api_port, "API port", "--api-base-port"),
        ]
        if cfg.faucet_port is not None:
            ports.append((cfg.api_host, cfg.faucet_port, "faucet port", "--faucet-port"))
        for host, port, what, option in ports:
            if _port_in_use(host, port):
                raise click.ClickException(
                    f"{n.directory.name}'s {what} {host}:{port} is in use by another program;"
                    f" choose another with {option}"
                )


def _ignored_on_resume(given: dict[str, tuple[int, int]]) -> None:
    """Says which options given on the command line an existing network does not take."""
    for option, (value, kept) in given.items():
        if value != kept:
            click.echo(
                f"{option} {value} ignored: the network keeps {kept} (--reset to start a new one)",
                err=True,
            )


def _clear(data_dir: Path) -> None:
    """Wipes a testnet's data directory, all but its lock file."""
    for child in data_dir.iterdir():
        if child.name == LOCK_NAME:
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def load_testnet(data_dir: Path) -> list[NodeFiles]:
    """The validators of an existing test network, in order."""
    dirs = sorted(
        (d for d in data_dir.glob("validator-*") if (d / CONFIG_NAME).exists()),
        key=lambda d: int(d.name.split("-")[1]),
    )
    return [NodeFiles.load(d / CONFIG_NAME) for d in dirs]


@click.command("testnet")
@click.option("--validators", "-n", type=click.IntRange(1, 100), default=4, show_default=True)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".libra/testnet"),
    show_default=True,
)
@click.option("--reset", is_flag=True, help="Wipe the data directory and start a new network.")
@click.option(
    "--validator-base-port", type=click.IntRange(1, 65535), default=6180, show_default=True
)
@click.option("--api-base-port", type=click.IntRange(1, 65535), default=8080, show_default=True)
@click.option("--faucet-port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--chain-id",
    type=click.IntRange(0, 255),
    default=4,
    show_default=True,
    help="Chain id of a new network (4 is Diem's TESTING, 2 its TESTNET).",
)
@click.option("--max-block-transactions", type=click.IntRange(1), default=2000, show_default=True)
@click.option("--log-level", default="INFO", show_default=True)
@click.option(
    "--ready-timeout", type=float, default=60.0, show_default=True, help="Seconds to wait."
)
def testnet(
    validators: int,
    data_dir: Path,
    reset: bool,
    validator_base_port: int,
    api_base_port: int,
    faucet_port: int,
    chain_id: int,
    max_block_transactions: int,
    log_level: str,
    ready_timeout: float,
) -> None:
    """Run a local network of validator processes on loopback, with API and faucet.

    The network is kept in --data-dir and resumed on the next start; --reset wipes it."""
    # Held until the command ends (the process's end releases it too).
    click.get_current_context().call_on_close(_lock(data_dir, "testnet").close)
    try:
        if reset:
            _clear(data_dir)
        if (data_dir / GENESIS_FILE).exists():
            nodes = load_testnet(data_dir)
            if not nodes:
                raise click.ClickException(f"{data_dir} holds no validators; use --reset")
            if len(nodes) != validators:
                click.echo(
                    f"resuming the network in {data_dir} with its {len(nodes)} validators "
                    f"(--reset to start one with {validators})",
                    err=True,
                )
            ctx = click.get_current_context()
            first = nodes[0].config
            _ignored_on_resume(
                {
                    f"--{name.replace('_', '-')}": (value, kept)
                    for name, value, kept in (
                        ("validator_base_port", validator_base_port, first.listen_port),
                        ("chain_id", chain_id, first.chain_id),
                        (
                            "max_block_transactions",
                            max_block_transactions,
                            first.max_block_transactions,
                        ),
                    )
                    if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE
                },
            )
            nodes = [_with_ports(n, i, api_base_port, faucet_port) for i, n in enumerate(nodes)]
        else:
            nodes = create_testnet(
                data_dir,
                validators,
                validator_base_port=validator_base_port,
                api_base_port=api_base_port,
                faucet_port=faucet_port,
                chain_id=chain_id,
                max_block_transactions=max_block_transactions,
            )
    except (ConfigError, OSError) as e:
        raise click.ClickException(str(e)) from None

    _check_ports(nodes)
    procs = [_start(n, log_level) for n in nodes]
    interrupted = False

    def on_signal(signum: int, frame: object) -> None:
        nonlocal interrupted
        interrupted = True

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        deadline = time.monotonic() + ready_timeout
        pending = list(procs)
        while pending and not interrupted:
            for p in list(pending):
                if p.proc.poll() is not None:
                    raise click.ClickException(
                        f"{p.name} exited with status {p.proc.returncode}; see {p.log}"
                    )
                cfg = p.files.config
                if _http_ready(f"http://{cfg.api_host}:{cfg.api_port}/-/ready"):
                    pending.remove(p)
            if time.monotonic() > deadline:
                names = ", ".join(p.name for p in pending)
                raise click.ClickException(f"not ready after {ready_timeout:.0f}s: {names}")
            time.sleep(0.1)
        if interrupted:
            return
        for p in procs:
            cfg = p.files.config
            click.echo(
                f"{p.name}  address {cfg.address}  validator {cfg.listen_host}:{cfg.listen_port}"
                f"  json-rpc http://{cfg.api_host}:{cfg.api_port}/v1"
                f"  rest http://{cfg.api_host}:{cfg.api_port}/api/v1"
                f"  docs http://{cfg.api_host}:{cfg.api_port}/docs"
                f"  metrics http://{cfg.api_host}:{cfg.api_port}/metrics"
            )
            if cfg.faucet_port is not None:
                click.echo(f"faucet  http://{cfg.api_host}:{cfg.faucet_port}/mint")
        first = procs[0].files.config
        click.echo(
            f"testnet ready: {len(procs)} validator{'s' if len(procs) > 1 else ''}, "
            f"chain id {first.chain_id}, "
            f"data in {data_dir}, JSON-RPC http://{first.api_host}:{first.api_port}/v1 "
            "(Ctrl-C to stop)",
        )
        sys.stdout.flush()
        reported: set[str] = set()
        while not interrupted:
            for p in procs:
                if p.proc.poll() is not None and p.name not in reported:
                    reported.add(p.name)
                    left = len(procs) - len(reported)
                    click.echo(
                        f"{p.name} exited with status {p.proc.returncode} (log: {p.log}); "
                        + (f"{left} go on" if left else "none is left"),
                        err=True,
                    )
            if len(reported) == len(procs):
                raise click.ClickException("every validator has exited; see their logs")
            time.sleep(0.2)
    finally:
        click.echo("stopping the validators ...", err=True)
        _stop_all(procs)
        for s, h in old.items():
            signal.signal(s, h)
        click.echo("stopped", err=True)


def _with_ports(files: NodeFiles, index: int, api_base_port: int, faucet_port: int) -> NodeFiles:
    cfg = files.config
    new = dataclasses.replace(
        cfg,
        api_port=api_base_port + index,
        faucet_port=faucet_port if cfg.faucet_port is not None else None,
    )
    if new != cfg:
        files = NodeFiles(files.directory, new)
        files.save()
    return files


__all__ = ["load_testnet", "node", "testnet"]
