"""Each fault a bill validator reports about itself (ID-003, CCNET, ccTalk, SSP) reads in its own words,
zh-CN and en, on a validator_fault alert; the driver's English is kept as the secondary line."""

from __future__ import annotations

import re

from drivers.validator import ccnet, ccnet_device, cctalk, id003, id003_device
from kioskd.hall.alerts import Alert
from kioskd.hall.fault_words import FAULT_KINDS
from kioskd.hall.words import DEVICE_CAUSES
from tests.daemon import ROOT


def reported_kinds() -> set[str]:
    """Every fault kind a driver can put in a ValidatorFault: the status tables, then the literal ones."""
    kinds = {*id003_device._FAULTS.values(), *ccnet_device._FAULTS.values()}
    kinds |= {f"failure: {name}" for name in (*id003.FAILURE_CODES.values(), *ccnet.FAILURE_CODES.values())}
    kinds |= {text for kind, text in cctalk.STATUS_EVENTS.values()
              if kind in (cctalk.EventKind.FAULT, cctalk.EventKind.UNKNOWN_STACKED)}
    for path in (ROOT / "drivers" / "validator").glob("*.py"):
        kinds |= set(re.findall(r'ValidatorFault\(self\.name, "([^"]+)"', path.read_text(encoding="utf-8")))
    return kinds


def fault(kind: str) -> dict:
    """The view staff get of a validator_fault alert the pump raises for `kind`."""
    return Alert("a1", "validator_fault", "critical", "raised", "2026-12-03T01:00:00Z",
                 {"kind": kind, "fault_code": None, "cause": "device_fault", "device": "validator"}).view()


def test_every_fault_kind_a_driver_reports_has_its_own_words() -> None:
    kinds = reported_kinds()
    assert {"pause", "cheated", "failure: stacker motor", "failure: optic canal", "stacker faulty",
            "string fraud detected", "note path open", "events_lost", "counters_mismatch"} <= kinds
    assert kinds <= set(FAULT_KINDS), kinds - set(FAULT_KINDS)
    generic = DEVICE_CAUSES["device_fault"]
    seen = set()
    for kind in kinds:
        view = fault(kind)
        zh, en = view["cause_zh"], view["cause_en"]
        assert (zh, en) != generic and view["cause_known"], kind
        assert re.search(r"[\u4e00-\u9fff]", zh) and not re.search(r"[A-Za-z]", zh), zh
        assert en.isascii() and view["cause_detail"] == kind  # the driver's text, for the technician
        seen.add(zh)
    # the kinds that name one condition read apart (two spellings of the stacker motor share words)
    assert len(seen) >= len(kinds) - 2


def test_a_failure_code_no_table_lists_reads_as_a_hardware_failure_and_an_unknown_kind_as_a_fault() -> None:
    odd = fault("failure: 0x5a")
    assert (odd["cause_zh"], odd["cause_en"]) == FAULT_KINDS["failure"] and odd["cause_detail"] == "failure: 0x5a"
    unknown = fault("unknown status 42")
    assert (unknown["cause_zh"], unknown["cause_en"]) == DEVICE_CAUSES["device_fault"]
    assert unknown["cause_detail"] == "unknown status 42"
