"""The staff web page: each person logs in as themselves; on its own port, off by default."""

from __future__ import annotations

import logging
import ssl

from kioskd.config import StaffPageConfig
from kioskd.hall.page.server import StaffHandlers, StaffPage

log = logging.getLogger("kioskd.hall.page")

__all__ = ["StaffPage", "server_tls", "start_staff_page"]
LOOPBACK = ("127.0.0.1", "::1", "localhost")


def server_tls(cert: str, key: str) -> ssl.SSLContext:
    """A server-side TLS context (TLS 1.2 or later) from PEM certificate and key files."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return context


async def start_staff_page(c: StaffPageConfig, handlers: StaffHandlers, tz: str) -> StaffPage | None:
    """Start the page when [staff_page] enables it; None otherwise (or when it cannot start)."""
    if not c.enabled:
        return None
    try:
        tls = server_tls(c.tls_cert, c.tls_key) if c.tls_cert else None
    except (OSError, ssl.SSLError) as err:
        log.error("staff page not started: its certificate %s or key %s cannot be used: %s",
                  c.tls_cert, c.tls_key, err)
        return None
    if tls is None and c.listen not in LOOPBACK:
        log.warning("staff page on %s without TLS: staff PINs and passwords cross the network in clear "
                    "(set staff_page.tls_cert and tls_key)", c.listen)
    if c.token:
        log.warning("staff page: the emergency token is set; each log-in with it is audited and alerted")
    page = StaffPage(handlers, token=c.token, host=c.listen, port=c.port, tls=tls, names=c.names, tz=tz)
    try:
        await page.start()
    except OSError as err:
        # staff tools must not keep the kiosk from taking payments: logged, kioskctl still works
        log.error("staff page on %s:%s not available: %s", c.listen, c.port, err)
        return None
    return page
