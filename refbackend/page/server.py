"""Operator page: login per person, then the fleet as JSON and the exports as CSV (docs/spec/fleet.md)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from importlib import resources
from typing import Any

from aiohttp import web

from refbackend.fleet.config import FleetConfig
from refbackend.fleet.exports import (
    COLLECTION_COLUMNS,
    CUSTODY_COLUMNS,
    PAYMENT_COLUMNS,
    collection_rows,
    custody_rows,
    payment_rows,
    to_csv,
)
from refbackend.fleet.forecast import local_day
from refbackend.fleet.overview import fleet_view
from refbackend.operators import OperatorLogin
from refbackend.store import BackendStore

log = logging.getLogger("refbackend.page")

PREFIX = "/operator"
COOKIE = "kioskd_operator"
STATIC_FILES = {"/": ("index.html", "text/html"), "/ops.js": ("ops.js", "text/javascript"),
                "/ops.css": ("ops.css", "text/css")}
HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; connect-src 'self'; img-src 'self'; frame-ancestors 'none';"
                                " base-uri 'none'; form-action 'self'"),
    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
}
InStore = Callable[..., Awaitable[Any]]
MAX_LOGINS_IN_FLIGHT = 8  # log-ins being judged at once in this process, from all addresses; more: 503
LOGIN_BODY_TIMEOUT = 10.0  # seconds a log-in may take to send its form (it holds a slot meanwhile)


class OperatorPage:
    """The /operator/ routes over a store, reached through `in_store` (blocking calls off the loop)."""

    def __init__(self, store: BackendStore, in_store: InStore, config: FleetConfig,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.store, self.in_store, self.config, self.clock = store, in_store, config, clock
        self.logins = OperatorLogin(store)
        self._judging = 0  # log-ins counted and being judged right now

    def add_to(self, app: web.Application) -> None:
        """Add the page's routes and its guard to an application."""
        app.middlewares.append(self._guard)
        for path in STATIC_FILES:
            app.router.add_get(PREFIX + path, self._static)
        app.router.add_get(PREFIX, self._to_page)
        app.router.add_post(PREFIX + "/login", self._login)
        app.router.add_post(PREFIX + "/logout", self._logout)
        app.router.add_get(PREFIX + "/api/fleet", self._fleet)
        app.router.add_get(PREFIX + "/export/{name}.csv", self._export)

    @web.middleware
    async def _guard(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if not request.path.startswith(PREFIX):
            return await handler(request)
        # SameSite=Strict keeps other sites' requests from carrying the cookie; the Origin check
        # refuses their form posts to /login and /logout as well.
        if request.method != "GET" and request.headers.get("Origin") != f"{request.scheme}://{request.host}":
            log.warning("operator page: refused Origin %r for %s", request.headers.get("Origin"), request.path)
            raise web.HTTPForbidden(text="foreign origin", headers=HEADERS)
        try:
            response = await handler(request)
        except web.HTTPException as err:
            err.headers.update(HEADERS)
            raise
        response.headers.update(HEADERS)
        return response

    async def _operator(self, request: web.Request) -> dict[str, Any]:
        found = await self.in_store(self.logins.session, request.cookies.get(COOKIE, ""))
        if found is None:
            raise web.HTTPUnauthorized(text='{"error":"login"}', content_type="application/json")
        return found

    @staticmethod
    async def _to_page(_request: web.Request) -> web.Response:
        raise web.HTTPFound(PREFIX + "/")

    async def _static(self, request: web.Request) -> web.Response:
        name, content_type = STATIC_FILES[request.path[len(PREFIX):]]
        body = resources.files(__package__).joinpath("static", name).read_bytes()
        return web.Response(body=body, content_type=content_type, charset="utf-8")

    async def _login(self, request: web.Request) -> web.Response:
        client = request.remote or "?"
        if self._judging >= MAX_LOGINS_IN_FLIGHT:
            log.warning("operator page: login from %s refused, %d log-ins being judged", client, self._judging)
            return web.json_response({"error": "busy", "retry_after": 1}, status=503, headers={"Retry-After": "1"})
        self._judging += 1  # before the first await: log-ins arriving meanwhile see this one
        try:
            stamp, wait = await self.in_store(self.logins.reserve, client)  # counted before the body is read
            if stamp is None:
                log.warning("operator page: login from %s refused, too many wrong passwords (retry in %d s)",
                            client, wait)
                return web.json_response({"error": "too_many", "retry_after": wait}, status=429,
                                         headers={"Retry-After": str(wait)})
            answer = await self._judge(request, client)
            if answer.status == 200:
                await self.in_store(self.logins.succeeded, client, stamp)
            return answer
        finally:
            self._judging -= 1

    async def _judge(self, request: web.Request, client: str) -> web.Response:
        """Read the form and check the password: the session's cookie, or the refusal."""
        try:
            async with asyncio.timeout(LOGIN_BODY_TIMEOUT):  # a body held back holds a slot
                form = await request.post()
        except TimeoutError:
            return web.json_response({"error": "slow"}, status=408)
        login, password = form.get("login"), form.get("password")
        if not (isinstance(login, str) and isinstance(password, str)) or len(password) > 1024:
            return web.json_response({"error": "bad_login"}, status=401)
        found = await asyncio.to_thread(self.logins.login, login, password)  # scrypt: not on the store's thread
        if found is None:
            log.warning("operator page: wrong login or password for %r from %s", login[:64], client)
            return web.json_response({"error": "bad_login"}, status=401)
        sid, name = found
        log.info("operator page: %s logged in from %s", login, client)
        response = web.json_response({"ok": True, "name": name})
        response.set_cookie(COOKIE, sid, max_age=12 * 3600, path=PREFIX + "/", httponly=True, samesite="Strict",
                            secure=request.secure)
        return response

    async def _logout(self, request: web.Request) -> web.Response:
        await self.in_store(self.logins.logout, request.cookies.get(COOKIE, ""))
        response = web.json_response({"ok": True})
        response.del_cookie(COOKIE, path=PREFIX + "/")
        return response

    async def _fleet(self, request: web.Request) -> web.Response:
        operator = await self._operator(request)
        hall = request.query.get("hall") or None
        # Not on the store's thread: a view of a large fleet takes a second or more of Python, which
        # would hold back every kiosk's payment. Its reads are then transactions of their own (each
        # consistent; the view's parts may be milliseconds apart), no longer one group's.
        view = await asyncio.to_thread(fleet_view, self.store, self.config, self.clock(), hall)
        return web.json_response({**view, "operator": operator})

    async def _export(self, request: web.Request) -> web.Response:
        await self._operator(request)
        name, hall = request.match_info["name"], request.query.get("hall") or None
        try:
            day = date.fromisoformat(request.query["day"]) if request.query.get("day") else None
        except ValueError as err:
            raise web.HTTPBadRequest(text=f"day: YYYY-MM-DD required ({err})") from err
        now = self.clock()
        if name == "collection":
            rows = await asyncio.to_thread(collection_rows, self.store, self.config, now, day, hall)
            text = to_csv(COLLECTION_COLUMNS, rows)
        elif name in ("payments", "custody"):
            day = day or local_day(now, self.config.zone)
            rows_of, columns = (payment_rows, PAYMENT_COLUMNS) if name == "payments" else (custody_rows, CUSTODY_COLUMNS)
            text = to_csv(columns, await asyncio.to_thread(rows_of, self.store, self.config, day, hall))  # as the view
        else:
            raise web.HTTPNotFound()
        filename = f"{name}-{day or 'tomorrow'}{'-' + hall if hall else ''}.csv"
        return web.Response(text=text, content_type="text/csv", charset="utf-8",
                            headers={"Content-Disposition": f'attachment; filename="{filename}"'})
