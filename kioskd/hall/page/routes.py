"""The staff page's JSON API: each route turns an HTTP request into one control command.

The command's checks (arguments, the person's role, the audit entry naming who did it) are
the control handlers' (kioskd.control.handlers), so the page and kioskctl always agree.
To add a screen for cases or registers: add the control commands, then a Route here
(method, path, build), where `build(request, body)` returns (cmd, args); the page answers
200 with the command's reply, 403 when the role may not, 409 with the refusal otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

Build = Callable[[web.Request, dict[str, Any]], tuple[str, dict[str, Any]]]


@dataclass(frozen=True)
class Route:
    """One API route: the HTTP method and path, and how it becomes a control command."""

    method: str
    path: str
    build: Build


def _query(request: web.Request, *names: str) -> dict[str, Any]:
    """The named query parameters that are present and not empty."""
    return {n: request.query[n] for n in names if request.query.get(n)}


def _amount(request: web.Request) -> dict[str, Any]:
    """`amount` in fen from the query (the page converts yuan); the handler checks the rest."""
    text = request.query.get("amount", "")
    if not text:
        return {}
    if not text.isdigit() or len(text) > 12:
        raise web.HTTPBadRequest(text='{"error":"amount: fen as digits"}', content_type="application/json")
    return {"amount": int(text)}


def _txn_search(request: web.Request, _body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    ref = request.query.get("ref", "").strip()
    if ref:  # a serial number or transaction id: that one payment
        return "txn_show", {"ref": ref}
    return "txn_list", {**_query(request, "account", "since", "until"), **_amount(request)}


def _report(request: web.Request, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    args = _query(request, "date")
    if body.get("print") is True:
        args["print"] = True
    return "report_daily", args


def _body(*names: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The named fields of a JSON body that are present (the handler checks their types)."""
    return lambda body: {n: body[n] for n in names if body.get(n) is not None}


def _case(cmd: str, *fields: str) -> Build:
    """A case command on the case in the path, with these fields of the body."""
    return lambda r, b: (cmd, {"no": r.match_info["no"], **_body(*fields)(b)})


CASE_ROUTES = [
    Route("GET", "/api/cases", lambda r, _b: ("case_list", _query(r, "status"))),
    Route("POST", "/api/cases", lambda _r, b: ("case_open", _body("ref", "claim", "when", "account", "phone",
                                                                   "note")(b))),
    Route("GET", "/api/cases/{no}", lambda r, _b: ("case_show", {"no": r.match_info["no"]})),
    Route("GET", "/api/cases/{no}/evidence", lambda r, _b: ("case_evidence", {"no": r.match_info["no"],
                                                                              **_query(r, "lang")})),
    Route("GET", "/api/accounts/{account}", lambda r, _b: ("case_lookup", {"account": r.match_info["account"]})),
    Route("POST", "/api/cases/{no}/note", _case("case_note", "text")),
    Route("POST", "/api/cases/{no}/recredit", _case("case_recredit", "account", "holder", "reason")),
    Route("POST", "/api/cases/{no}/void", _case("case_void", "to", "holder", "reason")),
    Route("POST", "/api/cases/{no}/refund", _case("case_refund", "amount", "reason", "approver", "approver_secret",
                                                  "lang")),
    Route("POST", "/api/cases/{no}/writeoff", _case("case_writeoff", "reason")),
    Route("POST", "/api/cases/{no}/close", _case("case_close", "reason", "reject")),
    Route("POST", "/api/cases/{no}/voucher", _case("case_voucher", "lang")),
]

# the registers tab (issue 18): each a control command of kioskd.control.registers, its JSON body the arguments
REGISTER_COMMANDS = frozenset({"difference_list", "difference_resolve", "counterfeit_photo", "claim_list", "claim_show",
                               "claim_settle", "handover_show", "key_list", "key_hand", "patrol_check", "patrol_note",
                               "patrol_list",
                               "worklog", "report_period"})


def _register(request: web.Request, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    cmd = request.match_info["cmd"]
    if cmd not in REGISTER_COMMANDS:
        raise web.HTTPNotFound(text='{"error":"no such register command"}', content_type="application/json")
    return cmd, {k: v for k, v in body.items() if v is not None and v != ""}


ROUTES: list[Route] = [
    Route("POST", "/api/alerts/{id}/ack", lambda r, _b: ("alert_ack", {"id": r.match_info["id"]})),
    Route("POST", "/api/alerts/{id}/clear", lambda r, _b: ("alert_clear", {"id": r.match_info["id"]})),
    Route("GET", "/api/txns", _txn_search),
    Route("GET", "/api/txns/{ref}", lambda r, _b: ("txn_show", {"ref": r.match_info["ref"]})),
    Route("POST", "/api/txns/{ref}/reprint", lambda r, _b: ("receipt_reprint", {"ref": r.match_info["ref"]})),
    Route("GET", "/api/reports/daily", _report),
    Route("POST", "/api/reports/daily", _report),
    Route("GET", "/api/reports/range", lambda r, _b: ("report_range", _query(r, "since", "until"))),
    *CASE_ROUTES,
    Route("POST", "/api/registers/{cmd}", _register),
]
