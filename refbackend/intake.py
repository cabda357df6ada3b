"""Reading a request body before anything is verified: a size limit and a few slots.

Nothing about an unsigned body is known until its signature is checked, so the backend reads
only what a kiosk may legitimately send (MAX_BODY: a 1,000-record batch of payments with many
notes, with room to spare; kiosks cut batches under BATCH_BYTES) and reads at most `size`
bodies at once: forty slow 8 MB uploads can no longer hold the backend's memory. The limit is
checked against Content-Length before a byte of the body is read, and again while reading.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from refbackend.verification import Refusal

MAX_BODY = 2 * 1024 * 1024  # bytes of JWS; kioskd keeps a batch's payload under 1 MiB of JSON
SLOTS = 8  # bodies read at once, per backend process
SLOT_WAIT = 5.0  # seconds a body waits for a slot before 503 busy


class BodySlots:
    """At most `size` request bodies being read at once; the rest wait `wait` seconds, then 503."""

    def __init__(self, size: int = SLOTS, wait: float = SLOT_WAIT) -> None:
        self.size, self.wait = size, wait
        self._free = asyncio.Semaphore(size)
        self._taken = 0
        self._changed = asyncio.Condition()

    async def read(self, request: web.Request) -> bytes:
        """The whole body, or Refusal 413 (too large) / 503 busy (no slot in time)."""
        if request.content_length is not None and request.content_length > MAX_BODY:
            raise Refusal(413, {"error": "too_large", "limit": MAX_BODY})
        try:
            async with asyncio.timeout(self.wait):
                await self._free.acquire()
        except TimeoutError:
            raise Refusal(503, {"error": "busy"}) from None
        await self._count(+1)
        try:
            return await request.read()  # aiohttp stops at client_max_size (MAX_BODY) as it reads
        except web.HTTPRequestEntityTooLarge:
            raise Refusal(413, {"error": "too_large", "limit": MAX_BODY}) from None
        finally:
            self._free.release()
            await self._count(-1)

    async def _count(self, step: int) -> None:
        async with self._changed:
            self._taken += step
            self._changed.notify_all()

    async def all_taken(self) -> None:
        """Return once every slot is in use (tests wait on it instead of on time)."""
        async with self._changed:
            await self._changed.wait_for(lambda: self._taken >= self.size)
