"""A simulated fleet on a reference backend in the test's process: enrol kiosks, post their signed requests."""

from __future__ import annotations

import aiohttp

from backend_api.jws import sign
from refbackend import ReferenceBackend
from refbackend.testbed.kiosks import SimKiosk


class FleetClient:
    """Posts signed requests of simulated kiosks to a reference backend."""

    def __init__(self, backend: ReferenceBackend, session: aiohttp.ClientSession) -> None:
        self.backend, self.session = backend, session

    def enrol(self, kiosk: SimKiosk) -> SimKiosk:
        self.backend.enroll(kiosk.kid, kiosk.key.public_key(), kiosk.hall)
        return kiosk

    async def post(self, kiosk: SimKiosk, path: str, payload: dict, token: str | None = None) -> tuple[int, dict]:
        body = token or sign(payload, kiosk.key, kiosk.kid)
        async with self.session.post(self.backend.url + path, data=body,
                                     headers={"Content-Type": "application/jose"}) as resp:
            return resp.status, await resp.json()
