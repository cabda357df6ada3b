"""How the daemon starts the case procedure: the service, the outbox's case handler, the sweeps."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kioskd.hall.cases.claims import check_claims
from kioskd.hall.cases.service import Cases
from kioskd.hall.cases.sweep import run_sweeps

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine


def start_cases(daemon: Any, spawn: Callable[[Coroutine[Any, Any, object], str], object]) -> Cases:
    """The daemon's Cases; re-credits and voids without an answer go out again through its outbox."""
    cases = Cases(ledger=daemon.ledger, client=daemon.client, sender=daemon.sender, alerts=daemon.alerts,
                  printer=daemon.printer, config=daemon.config)
    daemon.sender.case_handler = cases.send_from_outbox
    spawn(run_sweeps(daemon.ledger, daemon.alerts, daemon.config.cases), "case-sweep")
    return cases


def claims_after_count(daemon: Any, spawn: Callable[[Coroutine[Any, Any, object], str], object]) -> None:
    """A custody session ended: its count may answer customers' claims at once."""
    spawn(check_claims(daemon.ledger), "case-claims")
