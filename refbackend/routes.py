"""The kiosk-facing API (/v1/...): each verified request answered from the store, fault hooks first."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from refbackend.corrections import apply_recredit, apply_void, cash_of
from refbackend.faults import Faults
from refbackend.grouping import ACCOUNT, KIOSK, OTHER, Takes
from refbackend.intake import BodySlots
from refbackend.outcomes import cash_lock, cash_of_record, stands
from refbackend.rules import RECORD_KINDS
from refbackend.verification import Refusal, SignedRequest, Verifier
from refbackend.witness import refusal_alert

log = logging.getLogger(__name__)

PATHS = {
    "/v1/accounts/lookup": "lookup",
    "/v1/payments": "payment",
    "/v1/alerts": "alert",
    "/v1/batches": "batch",
    "/v1/status": "status",
    "/v1/invoices": "invoice",
    "/v1/recredits": "recredit",
    "/v1/voids": "void",
}
InStore = Callable[..., Awaitable[Any]]  # runs a blocking store method off the event loop


def json_answer(status: int, body: dict[str, Any]) -> web.Response:
    """A JSON answer (UTF-8, not ASCII-escaped)."""
    return web.Response(status=status, text=json.dumps(body, ensure_ascii=False), content_type="application/json")


class KioskApi:
    """Handlers of the kiosk API over one store (reached through `in_store`)."""

    def __init__(self, store: Any, in_store: InStore, verifier: Verifier, faults: Faults,
                 zone: ZoneInfo | None = None) -> None:
        self.store, self.in_store, self.verifier, self.faults = store, in_store, verifier, faults
        self.zone = zone or ZoneInfo("Asia/Shanghai")  # the halls' day, for the void rule "same day"
        self.hits: Counter[str] = Counter()  # requests seen per path, for tests
        self.slots = BodySlots()  # unsigned bodies: a size limit and a few read at once

    def add_to(self, app: web.Application) -> None:
        """Route every POST under /v1/ here."""
        app.router.add_post("/v1/{tail:.*}", self.handle)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """One POST: fault hooks, then the answer."""
        path = request.path
        self.hits[path] += 1
        faults = self.faults if self.faults.applies(path) else Faults()
        if faults.delay:
            await asyncio.sleep(faults.delay)
        if faults.fail_5xx > 0:
            faults.fail_5xx -= 1
            return json_answer(503, {"error": "unavailable"})
        if faults.drop_before > 0:
            faults.drop_before -= 1
            return _drop(request)
        kind = PATHS.get(path)
        if kind is None:
            return json_answer(404, {"error": "not_found"})
        response = await self._answer(request, kind, faults)
        if faults.drop_after > 0:
            faults.drop_after -= 1
            return _drop(request)
        if faults.delay_after:
            await asyncio.sleep(faults.delay_after)
        return response

    async def _answer(self, request: web.Request, kind: str, faults: Faults) -> web.Response:
        try:
            token = (await self.slots.read(request)).decode("ascii", errors="replace").strip()
            signed = await self.verifier.check(token, kind)
            if kind == "batch" and faults.unknown_kinds:
                _predates(signed.payload["records"], faults.unknown_kinds)
        except Refusal as refusal:
            return json_answer(refusal.status, refusal.body)
        status, answer = await self._apply(signed, f"{request.scheme}://{request.host}/")
        if status == 409 and "reason" in answer:
            await self._refused(signed, answer["reason"])
        return json_answer(status, answer)

    async def _refused(self, r: SignedRequest, reason: str) -> None:
        """A fork or a rollback: the operator must look at this kiosk (one alert per batch or seq)."""
        subject = f"{'payment seq' if r.kind == 'payment' else 'batch'} {r.payload['seq']}"
        log.warning("kiosk %s: %s refused: %s", r.kid, subject, reason)
        alert = refusal_alert(r.kid, subject, reason, r.received)
        await self.in_store(self.store.record_alert, r.kid, alert, r.received)

    async def _apply(self, r: SignedRequest, base_url: str) -> tuple[int, dict[str, Any]]:
        if r.kind == "lookup":
            return await self._lookup(r.payload["account"])
        takes = takes_of(r.kind, r.kid, r.payload)
        if r.kind == "payment":
            return await self.in_store(self.store.apply_payment, r.kid, r.payload, r.received, takes=takes)
        if r.kind == "alert":
            await self.in_store(self.store.record_alert, r.kid, r.payload, r.received, takes=takes)
            return 200, {"id": r.payload["id"]}
        if r.kind == "invoice":  # the invoice's link names this backend as the kiosk reached it
            return await self.in_store(self.store.issue_invoice, r.kid, r.payload, r.received, base_url, self.zone,
                                       takes=takes)
        if r.kind == "status":
            await self.in_store(self.store.record_status, r.kid, r.payload, r.received, takes=takes)
            return 200, {"status": "recorded"}
        if r.kind == "recredit":
            return await self.in_store(apply_recredit, self.store, r.kid, r.payload, r.received, takes=takes)
        if r.kind == "void":
            return await self.in_store(apply_void, self.store, r.kid, r.payload, r.received, self.zone, takes=takes)
        return await self.in_store(self.store.apply_batch, r.kid, r.payload, r.token, r.received, takes=takes)

    async def _lookup(self, number: str) -> tuple[int, dict[str, Any]]:
        account = await self.in_store(self.store.account, number)
        if account is None:
            return 404, {"error": "unknown_account"}
        if account["status"] != "open":
            return 423, {"error": "account_blocked", "reason": account["status"]}
        return 200, {
            "account": number, "holder": account["holder"], "due": max(0, -account["balance"]),
            "balance": account["balance"], "currency": account["currency"],
            "min": account["min"], "max": account["max"],
        }


def takes_of(kind: str, kid: str, p: dict[str, Any]) -> Takes:
    """The locks a verified request's store call takes, so a group can take them first (grouping.Takes)."""
    if kind == "payment":
        return Takes(ACCOUNT, (p["account"], kid, p["txn"]), (cash_lock(kid, p["txn"]),), (p["account"],))
    if kind == "recredit":
        return Takes(OTHER, (kid, p["id"]), (cash_lock(kid, cash_of(p)),), (p["account"],))
    if kind == "void":
        return Takes(OTHER, (kid, p["id"]), (cash_lock(kid, p["txn"]),), (p["account"], p["to"]))
    if kind == "invoice":  # repeats of one invoice in two groups wait here, not on its row after the counter
        return Takes(OTHER, (kid, p["txn"]), (f"invoice/{kid}/{p['txn']}",))
    if kind == "alert":
        return Takes(KIOSK, (kid, "alert", p["id"], p["state"]))
    if kind == "batch":
        # its outcome records wait for their cash's re-credits and voids (outcomes.second_outcome)
        # (and the kiosk's chain lock, which apply_batch takes first, before them: "batches/" sorts before "cash/")
        cash = {cash_lock(kid, cash_of_record(r)) for r in p["records"] if stands(r)}
        names = tuple(sorted(cash | {f"batches/{kid}"})) if cash else ()
        return Takes(KIOSK, (kid, "batch", f"{p['seq']:020d}"), names)
    return Takes(KIOSK, (kid, kind))


def _predates(records: list[dict[str, Any]], unknown: frozenset[str]) -> None:
    """Refuse a batch as a backend that does not know the `unknown` record kinds yet would (fault hook)."""
    for i, record in enumerate(records):
        if record["kind"] in unknown:
            known = sorted(RECORD_KINDS - unknown)
            raise Refusal(400, {"error": "bad_request", "detail": f"records[{i}].kind: one of {known} required"})


def _drop(request: web.Request) -> web.Response:
    # Closing the socket under aiohttp: the client sees the connection end with no answer.
    if request.transport is not None:
        request.transport.abort()
    return web.Response(status=500)
