"""Cases (差错/投诉): when a payment goes wrong, or a customer says a note was not counted,
followed to one known outcome for the cash: re-credit, void, refund at the counter or write-off."""

from kioskd.hall.cases.rules import CaseError
from kioskd.hall.cases.service import Cases

__all__ = ["CaseError", "Cases"]
