"""Cases (差错/投诉): when a payment goes wrong, or a customer says a note was not counted,
followed to one known outcome for the cash: re-credit, void, refund at the counter or write-off."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kioskd.hall.cases.rules import CaseError
    from kioskd.hall.cases.service import Cases

__all__ = ["CaseError", "Cases"]


def __getattr__(name: str) -> Any:
    """CaseError and Cases are imported when first named: kioskctl reads only the words and report
    modules here, without the journal and the backend link these pull in."""
    if name == "CaseError":
        from kioskd.hall.cases.rules import CaseError

        return CaseError
    if name == "Cases":
        from kioskd.hall.cases.service import Cases

        return Cases
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
