"""What went wrong, as the few reason codes the customer's screen has plain words for.

The backend answers with its own codes (look-up 404/423 and its `reason`, payment 422
`rejected: <reason>`, 409, 400); the screen must never show a code alone, so each answer is
mapped here to a code that docs/spec/customer-flow.md ("Reasons") and the page's text tables know.
"""

from __future__ import annotations

# look-up refusals (before any cash): LookupFailed.reason, refined by its detail
BLOCKED_DETAILS = {"blocked": "account_blocked", "frozen": "account_frozen", "closed": "account_closed"}
# why a payment with the cash in the box was refused (422 rejected: <reason>)
REFUSALS = {
    "unknown_account": "unknown_account",
    "account_blocked": "account_blocked",
    "account_frozen": "account_frozen",
    "account_closed": "account_closed",
    "over_max": "over_limit",
    "currency": "currency",
}
REFUSED = "refused"  # any other definite refusal (409 conflict, 400 bad request, an unknown reason)


def lookup_reason(reason: str, detail: str = "") -> str:
    """The screen's code for a failed look-up (unknown_account, account_*, unreachable)."""
    if reason == "account_blocked":
        return BLOCKED_DETAILS.get(detail.strip().lower(), "account_blocked")
    return reason


def payment_reason(status: str, reason: str | None) -> str | None:
    """The screen's code for why a submitted payment is not (yet) credited; None when it is."""
    if status == "credited":
        return None
    if status == "pending":
        return "unreachable"  # no definite answer yet: kept and retried
    error, _, detail = (reason or "").partition(":")
    if error.strip() == "rejected":
        return REFUSALS.get(detail.strip(), REFUSED)
    return REFUSED
