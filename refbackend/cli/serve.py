"""`kioskd-backend serve`: one process, or N worker processes sharing the port (SO_REUSEPORT)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import signal
import socket
import sys
from multiprocessing.connection import Connection, wait
from typing import Any

from refbackend.fleet.config import FleetConfig, FleetConfigError, load_fleet_config
from refbackend.server import ReferenceBackend

log = logging.getLogger("refbackend.serve")


def serve(args: argparse.Namespace) -> int:
    """Prepare the store (schema, accounts, enrolments), then serve until SIGTERM or SIGINT."""
    try:
        fleet = load_fleet_config(args.config)
        backend = ReferenceBackend(args.db, args.accounts, fleet=fleet)
        for kid, key in args.enroll:
            backend.enroll(kid, key)
    except FleetConfigError as err:
        print(f"kioskd-backend: {err}", file=sys.stderr)
        return 78
    except (OSError, ValueError) as err:
        print(f"kioskd-backend: {err}", file=sys.stderr)
        return 78
    if args.workers == 1:
        try:
            asyncio.run(_serve_one(backend, args.listen, None, lambda url: print(f"listening on {url}", flush=True)))
        finally:
            backend.close()
        return 0
    backend.close()  # each worker opens its own store; nothing is shared across the fork
    return _serve_workers(args, fleet)


def _reuseport_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


async def _serve_one(backend: ReferenceBackend, listen: tuple[str, int], sock: socket.socket | None,
                     ready: Any) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    url = await backend.start(*listen, sock=sock)
    ready(url)
    await stop.wait()
    await backend.stop()


def _worker(args: argparse.Namespace, fleet: FleetConfig, port: int, ready: Connection) -> None:
    """One worker process: its own store connection and event loop on the shared port."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent turns Ctrl-C into SIGTERM for each
    sock = _reuseport_socket(args.listen[0], port)
    sock.listen(1024)
    backend = ReferenceBackend(args.db, args.accounts, fleet=fleet)
    try:
        asyncio.run(_serve_one(backend, args.listen, sock, lambda url: ready.send(url)))
    finally:
        backend.close()


def _serve_workers(args: argparse.Namespace, fleet: FleetConfig) -> int:
    # The parent holds the port (bound, not listening: the kernel hands connections only to
    # listening sockets) until every worker listens on it, so port 0 means one port for all.
    holder = _reuseport_socket(*args.listen)
    port = holder.getsockname()[1]
    context = multiprocessing.get_context("fork")  # the parent has no threads or connections now
    workers, pipes = [], []
    for n in range(args.workers):
        parent_end, child_end = context.Pipe(duplex=False)
        proc = context.Process(target=_worker, args=(args, fleet, port, child_end), name=f"refbackend-{n + 1}")
        proc.start()
        workers.append(proc)
        pipes.append(parent_end)
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True
        for proc in workers:
            if proc.is_alive():
                proc.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        url = None
        for pipe in pipes:
            url = pipe.recv()
        holder.close()
        print(f"listening on {url} ({args.workers} workers)", flush=True)
        wait([p.sentinel for p in workers])  # returns when a worker ends: stopped, or died
    except EOFError:
        log.error("a worker did not start")
    finally:
        failed = not stopping
        stop()
        for proc in workers:
            proc.join()
        holder.close()
    if failed:
        log.error("a worker ended unexpectedly (%s); stopped the others",
                  ", ".join(f"{p.name} exit {p.exitcode}" for p in workers))
        return 1
    return 0
