"""GET /r/{proof} (a receipt opened from its QR code) and GET /invoices/{token}: docs/spec/backend-api.md."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any

from aiohttp import web

from backend_api.receipt_proof import ProofError, parse_proof, verify_proof
from refbackend.fleet.config import FleetConfig
from refbackend.receipt import render
from refbackend.receipt.text import TEXT
from refbackend.verification import NotEnrolled, Verifier

log = logging.getLogger("refbackend.receipt")

HEADERS = {
    # our style sheet and nothing else: no script, no outside fetch, no framing
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none';"
                               " form-action 'none'",
    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
}
MAX_PROOF = 400  # characters: a proof is about 160; anything much longer is not one
InStore = Callable[..., Awaitable[Any]]


class ReceiptPages:
    """The customer's receipt and invoice pages over a store (blocking calls through `in_store`)."""

    def __init__(self, store: Any, in_store: InStore, verifier: Verifier, config: FleetConfig) -> None:
        self.store, self.in_store, self.verifier, self.config = store, in_store, verifier, config

    def add_to(self, app: web.Application) -> None:
        """Add the pages' routes to an application."""
        app.router.add_get("/r/{proof}", self._receipt)
        app.router.add_get("/invoices/{token}", self._invoice)
        app.router.add_get(render.STYLE, self._style)

    @staticmethod
    def _lang(request: web.Request) -> str:
        return "en" if request.query.get("lang") == "en" else "zh-CN"

    @staticmethod
    def _html(status: int, text: str) -> web.Response:
        return web.Response(status=status, text=text, content_type="text/html", charset="utf-8", headers=HEADERS)

    async def _receipt(self, request: web.Request) -> web.Response:
        lang, text = self._lang(request), request.match_info["proof"]
        t = TEXT[lang]
        switch = render.switch_link(request.raw_path.split("?")[0], lang)
        try:
            if len(text) > MAX_PROOF:
                raise ProofError("receipt proof: too long")
            fields, _, _ = parse_proof(text)
            proof = verify_proof(text, await self.verifier.public_key(str(fields["kiosk"])))
            facts = await self.in_store(self.store.receipt_facts, proof["kiosk"], proof["txn"])
        except (ProofError, NotEnrolled) as err:
            log.info("receipt page: %s", err)
            return self._html(404, render.page(lang, t["receipt"], render.refusal_body(lang, "invalid"), switch))
        payment = facts.get("payment") if facts else None
        if facts is None or (payment is not None and
                             (payment["amount"], payment["seq"]) != (proof["amount"], proof["seq"])):
            log.warning("receipt page: proof of %s/%s differs from the payment record", proof["kiosk"], proof["txn"])
            return self._html(409, render.page(lang, t["receipt"], render.refusal_body(lang, "mismatch"), switch))
        body = render.receipt_body(lang, proof, facts, self.config.zone)
        return self._html(200, render.page(lang, t["receipt"], body, switch))

    async def _invoice(self, request: web.Request) -> web.Response:
        lang, token = self._lang(request), request.match_info["token"]
        t = TEXT[lang]
        switch = render.switch_link(request.raw_path.split("?")[0], lang)
        facts = await self.in_store(self.store.invoice_facts, token) if len(token) <= 64 else None
        if facts is None:
            return self._html(404, render.page(lang, t["invoice"], f"<p>{t['no_invoice']}</p>", switch))
        return self._html(200, render.page(lang, t["invoice"], render.invoice_body(lang, facts, self.config.zone),
                                           switch))

    async def _style(self, _request: web.Request) -> web.Response:
        css = resources.files(__package__).joinpath("static", "receipt.css").read_bytes()
        return web.Response(body=css, content_type="text/css", headers=HEADERS)
