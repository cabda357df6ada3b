"""Customer screen server: static page, snapshot push over WebSocket, keys in.

The page can send keys and nothing else. There is no staff or custody route here:
the screen faces the public, so anything reachable from it is reachable by anyone
standing at the kiosk (or by any web page the kiosk's browser could be lured to).
Keys come only from the kiosk's own browser: its URL carries a per-boot secret (`?k=`, see
`page_url`) that the WebSocket and POST /key must repeat; another local user has no way to
type a technician's ID or PIN into the screen. At most MAX_PAGES pages are connected at once.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import secrets
import time
from collections.abc import Callable
from importlib import resources
from typing import Any, Protocol

from aiohttp import WSMsgType, web
from aiohttp.typedefs import Handler

from backend_api.serving import Served, serve
from backend_api.strictjson import JsonRefused, loads
from drivers.base import KEYS

log = logging.getLogger(__name__)

MAX_PAGES = 8  # pages connected at once: the kiosk's browser needs one (and one while it reloads)

STATIC_FILES = {
    "/": ("index.html", "text/html"),
    "/text.js": ("text.js", "text/javascript"),
    "/views.js": ("views.js", "text/javascript"),
    "/invoice.js": ("invoice.js", "text/javascript"),
    "/app.js": ("app.js", "text/javascript"),
    "/style.css": ("style.css", "text/css"),
    "/maintenance.js": ("maintenance.js", "text/javascript"),  # the technicians' custody screen
    "/patrol.js": ("patrol.js", "text/javascript"),  # the duty staff's patrol check-in
    "/maintenance.css": ("maintenance.css", "text/css"),
    "/sim": ("sim.html", "text/html"),
    "/sim.js": ("sim.js", "text/javascript"),
}
SIM_PATHS = frozenset({"/sim", "/sim.js"})
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
# Page, script and style only; no framing by other sites, no outside fetches.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class SimControl(Protocol):
    """What the /sim page drives in simulation mode (emulated validator and printer)."""

    def notes(self) -> list[int]:
        """The note values (fen) the emulated validator takes."""
        ...

    async def insert(self, value: int) -> bool:
        """Offer a note of `value` fen to the emulated validator; False: handed back."""
        ...

    async def fault(self, name: str, on: bool) -> None:
        """Switch the emulator fault `name` on or off."""
        ...

    def faults(self) -> dict[str, bool]:
        """Every fault switch and its state."""
        ...

    def latest_receipt(self) -> tuple[list[str], bytes | None] | None:
        """The last printed receipt as text lines and a PNG image, if any."""
        ...

    def latest_qr(self) -> list[str]:
        """The texts of the last printed receipt's QR codes."""

    def printed(self) -> int:
        """How many receipts the printer has printed since the start (one visit, one receipt)."""
        ...

    def backend_hits(self) -> dict[str, int]:
        """Requests the simulated backend received, per path (what reached it, for tests)."""
        ...


def parse_listen(listen: str) -> tuple[str, int]:
    """Split "host:port" (IPv6 as "[::1]:8080") into host and port."""
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"screen.listen must be host:port, not {listen!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def allowed_hosts(host: str, port: int) -> frozenset[str]:
    """The Host values (and so Origins) that are this screen's own."""
    shown = f"[{host}]" if ":" in host else host
    names = {shown}
    # A wildcard bind still has only one browser that should drive it: the local one.
    if shown in LOOPBACK_NAMES or host in ("0.0.0.0", "::"):
        names.update(LOOPBACK_NAMES)
    return frozenset(f"{name}:{port}" for name in names)


def snapshot_message(snapshot_json: str, now_ms: int) -> str:
    """The WebSocket message for an encoded snapshot; `now` lets the page correct its clock."""
    return f'{{"type":"snapshot","now":{now_ms},"snapshot":{snapshot_json}}}'


class _Page:
    """One connected page: the newest snapshot not yet sent, and a wake-up."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.pending: str | None = None
        self.wake = asyncio.Event()

    def offer(self, snapshot_json: str) -> None:
        # Latest wins: a page that is slow to read skips to the current truth.
        self.pending = snapshot_json
        self.wake.set()

    async def pump(self) -> None:
        """Send snapshots in order until the page goes away."""
        while not self.ws.closed:
            await self.wake.wait()
            self.wake.clear()
            data, self.pending = self.pending, None
            if data is None:
                continue
            try:
                await self.ws.send_str(snapshot_message(data, int(time.time() * 1000)))
            except (ConnectionError, RuntimeError) as err:
                log.debug("screen: page gone while sending: %s", err)
                return


class ScreenServer:
    """aiohttp server for the customer page; `publish` pushes the machine's snapshot."""

    def __init__(
        self,
        listen: str = "127.0.0.1:8080",
        *,
        on_key: Callable[[str], None],
        sim: SimControl | None = None,
        secret: str | None = None,
    ) -> None:
        self._host, self._port = parse_listen(listen)
        self.secret = secret or secrets.token_urlsafe(24)  # in the kiosk browser's URL only
        self._on_key = on_key
        self._sim = sim
        self._snapshot_json: str | None = None
        self._pages: set[_Page] = set()
        self._served: Served | None = None
        self._hosts: frozenset[str] = frozenset()
        self.refused = 0  # keys or requests refused (bad key, foreign origin)

    @property
    def url(self) -> str:
        """The page's URL (valid after start)."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self._port}/"

    @property
    def page_url(self) -> str:
        """The URL the kiosk's own browser opens: the page with the secret its keys must carry."""
        return f"{self.url}?k={self.secret}"

    async def start(self) -> str:
        """Bind and serve; returns the page URL."""
        app = web.Application(middlewares=[self._guard])
        app.router.add_get("/ws", self._ws)
        app.router.add_post("/key", self._key)
        for path in STATIC_FILES:
            if path in SIM_PATHS and self._sim is None:
                continue  # no simulation page at all on a real kiosk
            app.router.add_get(path, self._static)
        if self._sim is not None:
            app.router.add_get("/sim/state", self._sim_state)
            app.router.add_post("/sim/insert", self._sim_insert)
            app.router.add_post("/sim/fault", self._sim_fault)
            app.router.add_get("/sim/receipt.png", self._sim_receipt_png)
        app.on_shutdown.append(self._close_sockets)
        self._served = await serve(app, self._host, self._port,
                                   setting=f"kioskd run --listen {self._host}:PORT ([screen] listen)")
        self._port = self._served.port
        self._hosts = allowed_hosts(self._host, self._port)
        log.info("screen: serving %s", self.url)
        return self.url

    async def stop(self) -> None:
        """Close every page connection and stop serving."""
        if self._served is not None:
            await self._served.close()
            self._served = None

    def publish(self, snapshot: dict[str, Any]) -> None:
        """Push `snapshot` to every connected page now; later pages get it on connect (call on the loop)."""
        # Encoded now: a bad value fails in the caller, and later mutation cannot leak out.
        encoded = json.dumps(snapshot, ensure_ascii=False, separators=(",", ":"))
        if encoded == self._snapshot_json:
            return  # the pages already show exactly this (the machine publishes after each event)
        self._snapshot_json = encoded
        for page in self._pages:
            page.offer(self._snapshot_json)

    @property
    def connections(self) -> int:
        """Pages connected right now."""
        return sum(1 for page in self._pages if not page.ws.closed)

    # -- request handling -------------------------------------------------------------

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        # A foreign Host is DNS rebinding: a page on another name resolving to us.
        if request.host not in self._hosts:
            self.refused += 1
            log.warning("screen: refused Host %r for %s", request.host, request.path)
            raise web.HTTPForbidden(text="foreign host")
        if request.method != "GET" or request.path == "/ws":
            origin = request.headers.get("Origin")
            if origin not in {f"http://{h}" for h in self._hosts}:
                self.refused += 1
                log.warning("screen: refused Origin %r for %s", origin, request.path)
                raise web.HTTPForbidden(text="foreign origin")
        if request.path in ("/ws", "/key") and not hmac.compare_digest(
                request.query.get("k", "").encode(), self.secret.encode()):
            self.refused += 1  # keys only from the kiosk's own browser
            log.warning("screen: refused %s without the screen's secret from %s", request.path, request.remote)
            raise web.HTTPForbidden(text="not the kiosk's screen")
        response = await handler(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    async def _static(self, request: web.Request) -> web.Response:
        name, content_type = STATIC_FILES[request.path]
        body = resources.files(__package__).joinpath("static", name).read_bytes()
        return web.Response(body=body, content_type=content_type, charset="utf-8")

    def _accept_key(self, key: object, via: str) -> bool:
        if not isinstance(key, str) or key not in KEYS:
            self.refused += 1
            log.warning("screen: refused key %r from %s", key, via)
            return False
        self._on_key(key)
        return True

    async def _key(self, request: web.Request) -> web.Response:
        try:
            body = loads(await request.read())
        except JsonRefused:
            body = None
        key = body.get("key") if isinstance(body, dict) else None
        if not self._accept_key(key, "POST /key"):
            raise web.HTTPBadRequest(text="unknown key")
        return web.json_response({"ok": True})

    async def _ws(self, request: web.Request) -> web.WebSocketResponse:
        if len(self._pages) >= MAX_PAGES:  # before the upgrade: each page holds a file handle
            self.refused += 1
            log.warning("screen: refused a page connection, %d connected", len(self._pages))
            raise web.HTTPServiceUnavailable(text="too many screen connections", headers={"Retry-After": "2"})
        ws = web.WebSocketResponse(heartbeat=20.0, max_msg_size=4096)
        await ws.prepare(request)
        page = _Page(ws)
        self._pages.add(page)
        if self._snapshot_json is not None:
            page.offer(self._snapshot_json)
        pump = asyncio.create_task(page.pump(), name="screen-page-pump")
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                try:
                    body = loads(msg.data)
                except JsonRefused:  # not JSON, duplicate keys, nested too deeply: say so, stay open
                    await ws.send_str('{"type":"error","error":"bad_json"}')
                    continue
                key = body.get("key") if isinstance(body, dict) else None
                if not self._accept_key(key, "websocket"):
                    await ws.send_str('{"type":"error","error":"unknown_key"}')
        finally:
            self._pages.discard(page)
            pump.cancel()
        return ws

    async def _close_sockets(self, _app: web.Application) -> None:
        for page in list(self._pages):
            await page.ws.close()

    # -- simulation page (only with --simulate) ----------------------------------------

    async def _sim_state(self, _request: web.Request) -> web.Response:
        assert self._sim is not None
        receipt = self._sim.latest_receipt()
        return web.json_response(
            {
                "faults": self._sim.faults(),
                "receipt": None if receipt is None else receipt[0],
                "qr": self._sim.latest_qr(),
                "printed": self._sim.printed(),
                "receipt_png": receipt is not None and receipt[1] is not None,
                "backend_hits": self._sim.backend_hits(),
            }
        )

    async def _sim_insert(self, request: web.Request) -> web.Response:
        assert self._sim is not None
        body = await _json_or_400(request)
        value = body.get("value")
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise web.HTTPBadRequest(text="value must be a positive integer (fen)")
        try:
            taken = await self._sim.insert(value)
        except ValueError as err:
            raise web.HTTPBadRequest(text=str(err)) from None
        return web.json_response({"ok": True, "handed_back": not taken})

    async def _sim_fault(self, request: web.Request) -> web.Response:
        assert self._sim is not None
        body = await _json_or_400(request)
        name, on = body.get("name"), body.get("on")
        if name not in self._sim.faults() or not isinstance(on, bool):
            raise web.HTTPBadRequest(text="unknown fault or bad 'on'")
        await self._sim.fault(name, on)
        return web.json_response({"ok": True, "faults": self._sim.faults()})

    async def _sim_receipt_png(self, _request: web.Request) -> web.Response:
        assert self._sim is not None
        receipt = self._sim.latest_receipt()
        if receipt is None or receipt[1] is None:
            raise web.HTTPNotFound(text="no receipt image yet")
        return web.Response(body=receipt[1], content_type="image/png")


async def _json_or_400(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise web.HTTPBadRequest(text="body must be JSON") from err
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="body must be a JSON object")
    return body
