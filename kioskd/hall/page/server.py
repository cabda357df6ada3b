"""Staff page server: each person logs in with their staff ID and PIN or password, then works
through the JSON API (kioskd.hall.page.routes) as themselves.

It serves on its own port, never the customer screen's: the screen faces the public, this
page is for hall staff. The data and the role checks come from the control handlers, so the
page and kioskctl always show and allow the same thing. The optional `[staff_page] token` is
an installer's emergency login only: each use is audited and raises an alert.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import ssl
from importlib import resources
from typing import Any, Protocol

from aiohttp import web
from aiohttp.typedefs import Handler

from backend_api.serving import Served, serve
from kioskd.control.server import ControlError, NotPermitted
from kioskd.customer.screen.server import SECURITY_HEADERS, allowed_hosts
from kioskd.hall.accounts import ACTIONS, Accounts, Person, Refusal, installer, may
from kioskd.hall.page.routes import ROUTES, Route
from kioskd.hall.page.sessions import MAX_LOGINS_IN_FLIGHT, LoginLimiter, Sessions

log = logging.getLogger("kioskd.hall.page")

COOKIE = "kioskd_staff"
STATIC_FILES = {
    "/": ("index.html", "text/html"),
    "/staff.css": ("staff.css", "text/css"),
    # the core, then one file per tab (cases and registers add theirs), then the start
    **{f"/{name}": (name, "text/javascript") for name in (
        "staff-text.js", "staff.js", "staff-status.js", "staff-txns.js", "staff-reports.js", "staff-cases.js",
        "staff-registers.js",
        "staff-start.js")},
}
# As the customer screen's, but the login form posts to this page itself.
HEADERS = {
    **SECURITY_HEADERS,
    "Content-Security-Policy": SECURITY_HEADERS["Content-Security-Policy"].replace(
        "form-action 'none'", "form-action 'self'"),
}
MAX_FIELD = 200  # characters in a login field
LOGIN_BODY_TIMEOUT = 10.0  # seconds a log-in may take to send its form


class StaffHandlers(Protocol):
    """What the page needs of kioskd.control.handlers.Handlers."""

    accounts: Accounts

    async def run(self, cmd: str, args: dict[str, Any], actor: Person) -> dict[str, Any]:
        """Run a control command as `actor` (role checked, audited)."""
        ...

    async def emergency_login(self, client: str) -> None:
        """Audit an emergency-token login and raise its alert."""
        ...


class StaffPage:
    """aiohttp server for the staff page on `host:port`."""

    def __init__(self, handlers: StaffHandlers, *, token: str = "", host: str = "127.0.0.1", port: int = 8081,
                 sessions: Sessions[Person] | None = None, limiter: LoginLimiter | None = None,
                 tls: ssl.SSLContext | None = None, names: tuple[str, ...] = (), tz: str) -> None:
        self._handlers = handlers
        self._tz = tz  # the kiosk's time zone: a lock-out's end before log-in reads as its clock does
        self._token = token.encode()  # empty: no emergency login
        self._host, self._port = host, port
        self.sessions: Sessions[Person] = sessions or Sessions()
        self.limiter = limiter or LoginLimiter()
        self._tls = tls
        self._names = names  # further names staff reach the page by (Host header)
        self._scheme = "https" if tls is not None else "http"
        self._served: Served | None = None
        self._hosts: frozenset[str] = frozenset()
        self._judging = 0  # log-ins read and judged right now, from all clients

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
        for route in ROUTES:
            app.router.add_route(route.method, route.path, self._command(route))
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
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
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

    async def _person(self, request: web.Request) -> Person:
        sid = request.cookies.get(COOKIE, "")
        person = self.sessions.person(sid)
        if person is not None and not await self._handlers.accounts.still_allowed(person):
            log.warning("staff page: %s was disabled: session ended", person.label)
            self.sessions.end(sid)  # an account disabled meanwhile acts no more, at once
            person = None
        if person is None:
            raise web.HTTPUnauthorized(text='{"error":"login"}', content_type="application/json")
        return person

    async def _static(self, request: web.Request) -> web.Response:
        name, content_type = STATIC_FILES[request.path]
        body = resources.files(__package__).joinpath("static", name).read_bytes()
        return web.Response(body=body, content_type=content_type, charset="utf-8")

    async def _login(self, request: web.Request) -> web.Response:
        client = request.remote or "?"
        if self._judging >= MAX_LOGINS_IN_FLIGHT:
            log.warning("staff page: login from %s refused, %d log-ins being judged", client, self._judging)
            return web.json_response({"error": "busy", "retry_after": 1}, status=503, headers={"Retry-After": "1"})
        stamp = self.limiter.reserve(client)  # counted before the body is read: no racing past it
        if stamp is None:
            wait = self.limiter.blocked_for(client)
            log.warning("staff page: login from %s refused, too many wrong log-ins (retry in %d s)", client, wait)
            return web.json_response({"error": "too_many", "retry_after": wait}, status=429,
                                     headers={"Retry-After": str(wait)})
        self._judging += 1
        try:
            found = await self._judge(request, client)
        finally:
            self._judging -= 1
        if isinstance(found, Person):
            self.limiter.succeeded(client, stamp)
            return self._logged_in(found)
        return found

    async def _judge(self, request: web.Request, client: str) -> Person | web.Response:
        """The person the form logs in, or the refusal to answer."""
        try:
            async with asyncio.timeout(LOGIN_BODY_TIMEOUT):  # a body held back holds a slot
                form = await request.post()
        except TimeoutError:
            return web.json_response({"error": "slow"}, status=408)
        staff, secret, token = (_field(form, name) for name in ("staff", "secret", "token"))
        if token is not None and not staff:
            return await self._emergency(client, token)
        if not staff or secret is None:
            return web.json_response({"error": "missing"}, status=400)
        found = await self._handlers.accounts.authenticate(staff, secret, via="page", client=client)
        if isinstance(found, Refusal):
            log.warning("staff page: log-in as %s from %s refused: %s", staff, client, found.reason)
            return web.json_response({"error": found.reason, "tries_left": found.tries_left,
                                      "locked_until": found.locked_until, "tz": self._tz}, status=401)
        log.info("staff page: %s (%s) logged in from %s", found.label, found.role, client)
        return found

    async def _emergency(self, client: str, token: str) -> Person | web.Response:
        """The installer's emergency token: audited and alerted each time it is used."""
        if not self._token or not hmac.compare_digest(token.encode(), self._token):
            log.warning("staff page: wrong token from %s", client)
            return web.json_response({"error": "bad_token"}, status=401)
        log.warning("staff page: EMERGENCY TOKEN login from %s", client)
        await self._handlers.emergency_login(client)
        return installer("emergency", f"emergency token from {client}")

    def _logged_in(self, person: Person) -> web.Response:
        sid = self.sessions.new(person)
        response = web.json_response({"ok": True, "me": person.view()})
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
        person = await self._person(request)
        status = await self._handlers.run("status", {}, person)
        alerts = await self._handlers.run("alerts", {}, person)
        return web.json_response({"status": status, "alerts": alerts["alerts"], "me": person.view(),
                                  "may": sorted(a for a in ACTIONS if may(person, a))})

    def _command(self, route: Route) -> Any:
        async def handle(request: web.Request) -> web.Response:
            person = await self._person(request)
            body = await _json_body(request)
            cmd, args = route.build(request, body)
            try:
                answer = await self._handlers.run(cmd, args, person)
            except NotPermitted as err:  # the role may not: what, and which roles may
                return web.json_response({"error": str(err), "forbidden": True, "action": err.action,
                                          "roles": list(err.roles)}, status=403)
            except ControlError as err:  # already done, not found, the printer not ready
                return web.json_response({"error": str(err), **({"error_zh": err.zh} if err.zh else {})},
                                         status=409)
            log.info("staff page: %s by %s", cmd, person.label)
            return web.json_response(answer)

        return handle


def _field(form: Any, name: str) -> str | None:
    value = form.get(name)
    return value[:MAX_FIELD] if isinstance(value, str) else None


async def _json_body(request: web.Request) -> dict[str, Any]:
    if request.method == "GET" or not request.can_read_body:
        return {}
    try:
        body = json.loads(await request.text())
    except ValueError:
        raise web.HTTPBadRequest(text='{"error":"body: JSON object"}', content_type="application/json") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text='{"error":"body: JSON object"}', content_type="application/json")
    return body
