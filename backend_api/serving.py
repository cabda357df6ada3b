"""Serve an aiohttp app on host:port or a bound socket, plain or over TLS: the one helper every HTTP server here uses."""

from __future__ import annotations

import errno
import socket
import ssl
from dataclasses import dataclass

from aiohttp import web


class PortInUse(Exception):
    """The port to serve on is taken; str() is the one line that says which and what to do."""


@dataclass
class Served:
    """A running server: where it listens and how to stop it."""

    runner: web.AppRunner
    host: str  # as bound (port 0 resolved)
    port: int

    async def close(self) -> None:
        """Stop serving: open connections get the runner's shutdown grace, then are closed."""
        await self.runner.cleanup()


async def serve(app: web.Application, host: str = "127.0.0.1", port: int = 0, *,
                sock: socket.socket | None = None, tls: ssl.SSLContext | None = None,
                shutdown_timeout: float = 1.0, setting: str = "another port") -> Served:
    """Serve `app` on host:port, or on an already bound `sock` (HTTPS with `tls`; port 0: a free one).

    A port in use raises PortInUse naming the port and `setting`, the option that moves it.
    """
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=shutdown_timeout)
    await runner.setup()
    site: web.BaseSite = (web.SockSite(runner, sock, ssl_context=tls) if sock is not None
                          else web.TCPSite(runner, host, port, ssl_context=tls))
    try:
        await site.start()
    except BaseException as err:
        await runner.cleanup()  # a port in use must not leave a half-started runner behind
        if isinstance(err, OSError) and err.errno == errno.EADDRINUSE:
            raise PortInUse(f"port {port} on {host} is already in use (another kioskd, a second "
                            f"`make run`?): stop that one, or choose another port with {setting}") from None
        raise
    bound_host, bound_port = runner.addresses[0][:2]
    return Served(runner, str(bound_host), int(bound_port))
