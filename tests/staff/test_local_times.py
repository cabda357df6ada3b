"""Stored UTC times as staff and customers read them: one converter (kioskd.system.clock.local_text) for a
lock-out's end (date dropped when it is today), a reprint choice's time and the alerts' default zone."""

from __future__ import annotations

from datetime import UTC, datetime

from kioskd import config
from kioskd.hall import alerts
from kioskd.hall.accounts import Refusal
from kioskd.system.clock import local_text

ENDS = "2026-12-04T02:15:00.000Z"  # 10:15 on the 4th in Shanghai


def test_a_time_on_todays_local_date_drops_its_date() -> None:
    today = datetime(2026, 12, 3, 16, 30, tzinfo=UTC)  # 00:30 on the 4th in Shanghai, the 3rd in UTC
    assert local_text(ENDS, "Asia/Shanghai", today_fmt="%H:%M", now=today) == "10:15"
    assert local_text(ENDS, "UTC", today_fmt="%H:%M", now=today) == "2026-12-04 02:15"
    assert local_text(ENDS, "Asia/Shanghai", "%m-%d %H:%M") == "12-04 10:15"  # a reprint choice's time
    assert local_text(None, "Asia/Shanghai", today_fmt="%H:%M") == "-"
    # the lock-out refusal reads through it: same words as before
    assert Refusal("1001", "locked", 0, ENDS).text("zh-CN", "Asia/Shanghai", now=today) == "工号 1001 已锁定，请于 10:15 后再试"
    assert Refusal("1001", "locked", 0, "garbled").text("en", "Asia/Shanghai") == "staff 1001 is locked until garbled"


def test_the_alerts_default_zone_is_the_configs() -> None:
    assert config.KioskConfig.__dataclass_fields__["tz"].default == config.DEFAULT_TZ
    assert alerts.Alert("a", "clock_skew", "warning", "raised", ENDS, {"system_clock": ENDS}).view()["cause_en"] \
        .endswith("(the kiosk's clock read 2026-12-04 10:15:00)")
    assert alerts.DEFAULT_TZ is config.DEFAULT_TZ
