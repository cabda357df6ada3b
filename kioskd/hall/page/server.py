"""Staff page server: token login, then status and alerts as JSON, and acknowledge.

It serves on its own port, never the customer screen's: the screen faces the public, this
page is for hall staff. The data comes from the control handlers, so the page and kioskctl
always show the same thing.
"""

from __future__ import annotations

import logging
import ssl
from importlib import resources
from typing import Any, Protocol

from aiohttp import web

from backend_api.serving import Served, serve
from kioskd.control.server import ControlError
from kioskd.customer.screen.server import SECURITY_HEADERS, allowed_hosts
from kioskd.hall.page.sessions import LoginLimiter, Sessions

log = logging.getLogger("kioskd.hall.page")

COOKIE = "kioskd_staff"
ACK_BY = "staff-page"  # who acknowledged, as kioskctl and the backend see it
STATIC_FILES = {
    "/": ("index.html", "text/html"),
    "/staff.js": ("staff.js", "text/javascript"),
    "/staff.css": ("staff.css", "text/css"),
}
# As the customer screen's, but the login form posts to this page itself.
HEADERS = {
    **SECURITY_HEADERS,
    "Content-Security-Policy": SECURITY_HEADERS["Content-Security-Policy"].replace(
        "form-action 'none'", "form-action 'self'"),
}


class StaffHandlers(Protocol):
    """What the page needs of kioskd.control.handlers.Handlers."""

    async def status(self, req: dict[str, Any]) -> dict[str, Any]:
        """State, devices, box counters, outbox depth, last backend contact."""
        ...

    async def alerts(self, req: dict[str, Any]) -> dict[str, Any]:
        """The open alerts."""
        ...

    async def alert_ack(self, req: dict[str, Any]) -> dict[str, Any]:
        """Acknowledge a raised alert by id."""
        ...


class StaffPage:
    """aiohttp server for the staff page on `host:port`, logging in with `token`."""

    def __init__(self, handlers: StaffHandlers, *, token: str, host: str = "127.0.0.1", port: int = 8081,
                 sessions: Sessions | None = None, limiter: LoginLimiter | None = None,
                 tls: ssl.SSLContext | None = None, names: tuple[str, ...] = ()) -> None:
        if not token:
            raise ValueError("the staff page needs a token")
        self._handlers = handlers
        self._token = token.encode()
        self._host, self._port = host, port
        self.sessions = sessions or Sessions()
        self.limiter = limiter or LoginLimiter()
        self._tls = tls
        self._names = names  # further names staff reach the page by (Host header)
        self._scheme = "https" if tls is not None else "http"
        self._served: Served | None = None
        self._hosts: frozenset[str] = frozenset()

    @property
    def url(self) -> str:
        """The page's URL (valid after start)."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"{self._scheme}://{host}:{self._port}/"

    async def start(self) -> str:
        """Bind and serve; returns the page URL."""
        app = web.Application(middlewares=[self._guard], client_max_size=4096)
        for path in STATIC_FILES:
            app.router.add_get(path, self._static)
        app.router.add_post("/login", self._login)
        app.router.add_post("/logout", self._logout)
        app.router.add_get("/api/status", self._status)
        app.router.add_post("/api/alerts/{id}/ack", self._ack)
        self._served = await serve(app, self._host, self._port, tls=self._tls,
                                   setting="[staff_page] port in the config")
        self._port = self._served.port
        self._hosts = allowed_hosts(self._host, self._port).union(
            f"[{n}]:{self._port}" if ":" in n else f"{n}:{self._port}" for n in self._names)
        log.info("staff page: serving %s", self.url)
        return self.url

    async def stop(self) -> None:
        """Stop serving."""
        if self._served is not None:
            await self._served.close()
            self._served = None

    # -- request handling -------------------------------------------------------------

    @web.middleware
    async def _guard(self, request: web.Request, handler: Any) -> web.StreamResponse:
        # A foreign Host is DNS rebinding; a foreign Origin on a POST is another site's form.
        if request.host not in self._hosts:
            log.warning("staff page: refused Host %r for %s from %s", request.host, request.path, request.remote)
            raise web.HTTPForbidden(text="foreign host", headers=HEADERS)
        if request.method != "GET":
            origin = request.headers.get("Origin")
            if origin not in {f"{self._scheme}://{h}" for h in self._hosts}:
                log.warning("staff page: refused Origin %r for %s from %s", origin, request.path, request.remote)
                raise web.HTTPForbidden(text="foreign origin", headers=HEADERS)
        try:
            response = await handler(request)
        except web.HTTPException as err:
            err.headers.update(HEADERS)
            raise
        response.headers.update(HEADERS)
        return response

    def _session(self, request: web.Request) -> str:
        sid = request.cookies.get(COOKIE, "")
        if not self.sessions.valid(sid):
            raise web.HTTPUnauthorized(text='{"error":"login"}', content_type="application/json")
        return sid

    async def _static(self, request: web.Request) -> web.Response:
        name, content_type = STATIC_FILES[request.path]
        body = resources.files(__package__).joinpath("static", name).read_bytes()
        return web.Response(body=body, content_type=content_type, charset="utf-8")

    async def _login(self, request: web.Request) -> web.Response:
        client = request.remote or "?"
        wait = self.limiter.blocked_for(client)
        if wait:
            log.warning("staff page: login from %s refused, too many wrong tokens (retry in %d s)", client, wait)
            return web.json_response({"error": "too_many", "retry_after": wait}, status=429,
                                     headers={"Retry-After": str(wait)})
        form = await request.post()
        token = form.get("token")
        if not isinstance(token, str) or not self.limiter.check(client, token.encode(), self._token):
            log.warning("staff page: wrong token from %s", client)
            return web.json_response({"error": "bad_token"}, status=401)
        sid = self.sessions.new()
        log.info("staff page: staff logged in from %s", client)
        response = web.json_response({"ok": True})
        # Secure over HTTPS: the browser then never sends the session over plain HTTP
        response.set_cookie(COOKIE, sid, max_age=int(self.sessions.lifetime), path="/", httponly=True,
                            samesite="Strict", secure=self._tls is not None)
        return response

    async def _logout(self, request: web.Request) -> web.Response:
        self.sessions.end(request.cookies.get(COOKIE, ""))
        response = web.json_response({"ok": True})
        response.del_cookie(COOKIE, path="/")
        return response

    async def _status(self, request: web.Request) -> web.Response:
        self._session(request)
        status = await self._handlers.status({"cmd": "status"})
        alerts = await self._handlers.alerts({"cmd": "alerts"})
        return web.json_response({"status": status, "alerts": alerts["alerts"]})

    async def _ack(self, request: web.Request) -> web.Response:
        self._session(request)
        alert_id = request.match_info["id"]
        try:
            answer = await self._handlers.alert_ack({"cmd": "alert_ack", "id": alert_id, "by": ACK_BY})
        except ControlError as err:
            # already acknowledged or cleared meanwhile: the page refreshes and shows why
            return web.json_response({"error": str(err)}, status=409)
        log.info("staff page: alert %s acknowledged", alert_id)
        return web.json_response(answer)
