"""The staff web page: status and alerts with acknowledge, on its own port, off by default."""

from __future__ import annotations

import logging
from typing import Any

from kioskd.control_handlers import Handlers
from kioskd.staffpage.server import StaffPage

log = logging.getLogger("kioskd.staffpage")

__all__ = ["StaffPage", "start_staff_page"]


async def start_staff_page(daemon: Any) -> StaffPage | None:
    """Start the page for a running Daemon when [staff_page] enables it; None otherwise."""
    c = daemon.config.staff_page
    if not c.enabled:
        return None
    page = StaffPage(Handlers(daemon), token=c.token, host=c.listen, port=c.port)
    try:
        await page.start()
    except OSError as err:
        # staff tools must not keep the kiosk from taking payments: logged, kioskctl still works
        log.error("staff page on %s:%s not available: %s", c.listen, c.port, err)
        return None
    return page
