"""How the kiosk reads the backend's answers to payments (spec: POST /v1/payments)."""

from __future__ import annotations

from dataclasses import dataclass

from backend_api.fields import is_int
from kioskd.uplink.client import Answer

# Definite refusals: the backend will never credit this payload; the cash is in the box.
FLAG_STATUSES = (400, 409, 422)


@dataclass(frozen=True)
class PaymentOutcome:
    """What a payment answer means: credited, flagged, or nothing definite yet."""

    status: str  # "credited", "flagged" or "unknown"
    balance: int | None = None
    ref: str | None = None
    reason: str | None = None


def read_payment_answer(txn: str, answer: Answer) -> PaymentOutcome:
    """Classify one answer to POST /v1/payments for `txn`."""
    body = answer.body
    if answer.status == 200:
        if (
            body.get("txn") == txn
            and body.get("status") == "credited"
            and is_int(body.get("balance"))
            and isinstance(body.get("ref"), str)
        ):
            return PaymentOutcome("credited", balance=body["balance"], ref=body["ref"])
        # A 200 we cannot read is not proof of credit; resending the same payload is safe.
        return PaymentOutcome("unknown", reason=f"unreadable 200 answer: {body}")
    if answer.status in FLAG_STATUSES:
        return PaymentOutcome("flagged", reason=refusal_reason(answer))
    # 401 (key not enrolled yet, clock), 404, 429...: not a verdict on this payment.
    return PaymentOutcome("unknown", reason=f"HTTP {answer.status} {body}")


def refusal_reason(answer: Answer) -> str:
    """The backend's refusal in one line: its `error`, then its `reason` or `detail`."""
    error = answer.error or f"http_{answer.status}"
    extra = answer.body.get("reason") or answer.body.get("detail")
    return f"{error}: {extra}" if extra else error
