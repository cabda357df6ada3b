"""Every cause a driver or the kiosk gives a device alert has words in zh-CN and en; an alert without
one (raised before causes were sent) reads as the generic phrase, the driver's text kept aside."""

from __future__ import annotations

import re

from drivers import errors
from drivers.door import switch_cause
from kioskd.hall.alerts import Alert
from kioskd.hall.words import DEVICE_CAUSES, UNKNOWN_CAUSE
from tests.daemon import ROOT


def test_every_cause_given_has_words_in_both_languages() -> None:
    sources = [*(ROOT / "drivers").rglob("*.py"), *(ROOT / "kioskd").rglob("*.py")]
    pattern = r'cause="([a-z_ ]+)"(?: if \w+ else "([a-z_]+)")?'  # cause="x" or cause="x" if bad else "y"
    given = {code for path in sources for pair in re.findall(pattern, path.read_text(encoding="utf-8"))
             for code in pair if code}
    given |= {cls.cause for cls in (errors.DeviceError, errors.DeviceUnavailable, errors.ProtocolError)}
    given |= {switch_cause(err) for err in (FileNotFoundError(), PermissionError(), ValueError(), OSError())}
    assert {"no_reply", "garbled", "port_lost", "switch_bad_level", "journal", "note without payment"} <= given
    assert given <= set(DEVICE_CAUSES), given - set(DEVICE_CAUSES)
    for zh, en in DEVICE_CAUSES.values():
        assert re.search(r"[\u4e00-\u9fff]", zh) and not re.search(r"[A-Za-z]{2,}", zh.replace("GPIO", ""))
        assert en.isascii()


def test_an_alert_without_a_cause_reads_as_the_generic_phrase() -> None:
    old = Alert("a1", "validator_offline", "critical", "raised", "2026-12-03T01:00:00Z",
                {"reason": "validator: port /dev/ttyUSB0 closed", "device": "validator"})
    seen = old.view()
    assert (seen["cause_zh"], seen["cause_en"], seen["cause_known"]) == (*UNKNOWN_CAUSE, False)
    assert seen["cause_detail"] == "validator: port /dev/ttyUSB0 closed"
    jam = Alert("a2", "note_jam", "critical", "raised", "2026-12-03T01:00:00Z", {"where": "stacker"}).view()
    # a jam raised before causes were sent was the validator's own report
    assert (jam["cause"], jam["cause_zh"], jam["cause_known"]) == ("validator_jam", "识币器报告卡币", True)
    flagged = Alert("a3", "payment_flagged", "critical", "raised", "2026-12-03T01:00:00Z", {"reason": "x"}).view()
    assert "cause_zh" not in flagged  # only device trouble carries a cause
