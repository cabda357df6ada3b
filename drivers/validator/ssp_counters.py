"""SSP credit reconciliation from the device's persistent "notes stacked" counter (GET COUNTERS).

With plain POLL a NOTE CREDIT is reported once: a host that dies between reading it and journalling
it would lose the note. The driver keeps the count the device will show once every credit it
committed is in the box (`committed`, in a small fsynced state file, with the device's serial);
at start-up the device's own count tells whether a note went into the box uncredited.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from drivers.statefile import write_json

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CounterState:
    """What the state file holds: the device's serial and its stacked count as committed."""

    serial: int | None
    committed: int


@dataclass(frozen=True, slots=True)
class Verdict:
    """The start-up comparison: notes in the box never credited, and the count to keep from now."""

    missed: int
    committed: int
    note: str  # why, for the log ("" when all agrees)


def reconcile(committed: int | None, device: int, in_transit: bool) -> Verdict:
    """Compare the committed count with the device's stacked counter.

    `in_transit`: a credit was committed whose STACKED has not been seen, so the device may not
    have counted it yet (it may count at credit or at stacking): one short is then in order, and
    the count is never lowered for it (lowering would make that note look uncredited later).
    """
    behind = 1 if in_transit else 0
    if committed is None:
        return Verdict(0, device + behind, "no committed count yet: starting from the device's")
    diff = device - committed
    if diff == 0 or (diff == -1 and in_transit):
        return Verdict(0, committed, "")
    if diff < 0:
        # counters cleared, or one credit journalled twice (repeated before its ACK): the
        # journal's stack intent already settled those; follow the device from here
        return Verdict(0, device + behind, f"device counts {-diff} fewer notes than committed")
    return Verdict(diff, device + behind, f"device stacked {diff} notes never credited")


def load_state(path: str) -> CounterState | None:
    """The state file's contents; None when it is missing or unreadable (logged)."""
    try:
        with open(path) as fh:
            raw = json.load(fh)
        serial, committed = raw["serial"], raw["committed"]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as err:
        log.error("SSP counter state %s unreadable (%s); treating it as unknown", path, err)
        return None
    if not isinstance(committed, int) or committed < 0 or not (
            serial is None or isinstance(serial, int)):
        log.error("SSP counter state %s holds %r; treating it as unknown", path, raw)
        return None
    return CounterState(serial, committed)


def save_state(path: str, state: CounterState) -> None:
    """Write the state file atomically and durably."""
    write_json(path, {"serial": state.serial, "committed": state.committed})
