"""Re-credit and void requests of cases (spec: POST /v1/recredits, /v1/voids): payloads and answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from backend_api.fields import is_int
from kioskd.uplink.client import Answer

RECREDITS_PATH = "v1/recredits"
VOIDS_PATH = "v1/voids"
PATHS = {"recredit": RECREDITS_PATH, "void": VOIDS_PATH}


@dataclass(frozen=True)
class Correction:
    """What an answer to a re-credit or void means: done, refused, already_credited, or unknown."""

    status: str
    ref: str | None = None
    balance: int | None = None
    reason: str | None = None
    answer: dict[str, Any] = field(default_factory=dict)  # {"status": HTTP status, "body": ...}, kept


def recredit_payload(*, kiosk: str, outcome: str, case: str, txn: str | None, seq: int | None,
                     claim: dict[str, Any] | None, account: str, amount: int, currency: str, reason: str,
                     by: str, at: str) -> dict[str, Any]:
    """The POST /v1/recredits payload (`claim` {value, at, count} when there is no payment)."""
    return {"type": "recredit", "kiosk": kiosk, "id": outcome, "case": case, "txn": txn, "seq": seq,
            "claim": claim, "account": account, "amount": amount, "currency": currency, "reason": reason,
            "by": by, "at": at}


def void_payload(*, kiosk: str, outcome: str, case: str, txn: str, seq: int, account: str, to: str, amount: int,
                 currency: str, reason: str, by: str, at: str) -> dict[str, Any]:
    """The POST /v1/voids payload."""
    return {"type": "void", "kiosk": kiosk, "id": outcome, "case": case, "txn": txn, "seq": seq,
            "account": account, "to": to, "amount": amount, "currency": currency, "reason": reason, "by": by,
            "at": at}


def unknown(reason: str) -> Correction:
    """No definite answer (yet)."""
    return Correction("unknown", reason=reason)


def read_recredit_answer(outcome: str, answer: Answer) -> Correction:
    """Classify one answer to POST /v1/recredits for the request `outcome`."""
    body, kept = answer.body, {"status": answer.status, "body": answer.body}
    if answer.status == 200:
        if (body.get("id") == outcome and body.get("status") == "credited" and isinstance(body.get("ref"), str)
                and is_int(body.get("balance"))):
            return Correction("done", ref=body["ref"], balance=body["balance"], answer=kept)
        return unknown(f"unreadable 200 answer: {body}")  # not proof of a credit: send again
    if answer.status == 409 and answer.error == "already_credited":
        ref = body.get("ref") if isinstance(body.get("ref"), str) else None
        return Correction("already_credited", ref=ref, reason="already_credited", answer=kept)
    return _definite_refusal(answer, kept)


def read_void_answer(outcome: str, answer: Answer) -> Correction:
    """Classify one answer to POST /v1/voids for the request `outcome`."""
    body, kept = answer.body, {"status": answer.status, "body": answer.body}
    if answer.status == 200 and body.get("id") == outcome:
        if body.get("status") == "accepted" and isinstance(body.get("ref"), str):
            balance = body.get("balance") if is_int(body.get("balance")) else None
            return Correction("done", ref=body["ref"], balance=balance, answer=kept)
        if body.get("status") == "refused":
            return Correction("refused", reason=str(body.get("reason") or "refused"), answer=kept)
    if answer.status == 200:
        return unknown(f"unreadable 200 answer: {body}")
    return _definite_refusal(answer, kept)


def _definite_refusal(answer: Answer, kept: dict[str, Any]) -> Correction:
    # 400 (our payload is wrong), 409 conflict and 422: the backend will never do this request
    if answer.status in (400, 409, 422):
        extra = answer.body.get("reason") or answer.body.get("detail")
        error = answer.error or f"http_{answer.status}"
        return Correction("refused", reason=f"{error}: {extra}" if extra else error, answer=kept)
    return unknown(f"HTTP {answer.status} {answer.body}")  # 401, 404, 429...: not a verdict


READERS = {"recredit": read_recredit_answer, "void": read_void_answer}
