"""What staff read of backend_unreachable and clock_skew: why and since when the backend does not
answer, how many requests failed, the last answer; how far the kiosk's clock is off; times local."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web

from backend_api.serving import serve
from kioskd.hall.alerts import Alert
from kioskd.system.clock import Clock
from kioskd.system.health import check_backend, report_clock
from kioskd.uplink.client import BackendClient
from kioskd.uplink.errors import Unreachable
from kioskd.uplink.keys import init_key, load_key
from tests.fakes import FakeAlerts

TZ = "Asia/Shanghai"


def seen(code: str, detail: dict, tz: str = TZ) -> dict:
    """The alert as the staff page and kioskctl get it."""
    return Alert("a1", code, "warning", "raised", "2026-12-03T01:00:00Z", {**detail, "device": "x"}).view(tz)


def detail_of(alerts: FakeAlerts, code: str) -> dict:
    """The detail `code` was raised with."""
    return alerts.details[alerts.raised.index(code)]


def local(utc: datetime, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    return utc.astimezone(ZoneInfo(TZ)).strftime(fmt)


def chinese_only(text: str) -> bool:
    return not re.search(r"[A-Za-z]", text)


async def test_backend_unreachable_says_why_since_when_and_how_many_tries(tmp_path: Path) -> None:
    async def down(_request: web.Request) -> web.Response:
        return web.json_response({"error": "unavailable"}, status=503)

    app = web.Application()
    app.router.add_post("/v1/down", down)
    served = await serve(app, "127.0.0.1", 0)
    init_key(tmp_path / "k")
    client = BackendClient(f"http://127.0.0.1:{served.port}/", "K-1", load_key(tmp_path / "k"), timeout=5)
    alerts = FakeAlerts()
    try:
        before = datetime.now(UTC)
        for _ in range(3):
            with pytest.raises(Unreachable):
                await client.post_signed("v1/down", "x.y.z")
        assert client.failing_since is not None
        check_backend(client, alerts, client.failing_since + 200, after=120)
        with pytest.raises(Unreachable):  # failing on after the alert: its count stays the one it was raised with
            await client.post_signed("v1/down", "x.y.z")
        assert client.failing["tries"] == 4
    finally:
        await client.close()
        await served.close()
    detail = detail_of(alerts, "backend_unreachable")
    assert (detail["tries"], detail["error"], detail["status"], detail["last_contact"]) == (3, "http", 503, "never")
    since = datetime.fromisoformat(str(detail["since"]).replace("Z", "+00:00"))
    assert before - timedelta(seconds=1) <= since <= datetime.now(UTC)
    view = seen("backend_unreachable", detail)
    assert view["cause_zh"] == f"后台服务出错（状态码 503）；自 {local(since)} 起请求失败，报警时已失败 3 次；最后一次联系上后台：从未"
    assert view["cause_en"] == (f"the backend answered with an error (HTTP 503); failing since {local(since)}, 3 requests failed "
                                "before the alert; "
                                "last answer: never")
    assert view["cause_detail"] == f"backend http://127.0.0.1:{served.port}/v1/down: HTTP 503"
    assert chinese_only(view["cause_zh"].replace(local(since), ""))


def test_a_link_that_cannot_connect_and_had_answered_before() -> None:
    detail = {"last_contact": "2026-12-03T05:58:10Z", "since": "2026-12-03T06:00:00Z", "tries": 1,
              "error": "connect", "status": None, "last_error": "backend http://b/: ClientConnectorError: ..."}
    view = seen("backend_unreachable", detail)
    # the times as the staff page shows the alert's own beside them and kioskctl its times: to the second
    assert view["cause_zh"] == ("无法连接到后台（网络不通或后台未运行）；自 2026-12-03 14:00:00 起请求失败，报警时已失败 1 次；"
                                "最后一次联系上后台：2026-12-03 13:58:10")
    assert view["cause_en"].endswith("failing since 2026-12-03 14:00:00, 1 request failed before the alert; "
                                     "last answer: 2026-12-03 13:58:10")
    assert seen("backend_unreachable", detail, "UTC")["cause_en"].endswith("last answer: 2026-12-03 05:58:10")
    old = seen("backend_unreachable", {"last_contact": "never"})  # raised before the details were kept
    assert old["cause_zh"] == "后台没有明确答复；最后一次联系上后台：从未"


@pytest.mark.parametrize("ahead,zh,en", [
    (timedelta(minutes=10), "本机时钟比后台慢 10 分钟", "the kiosk's clock is 10 min behind the backend's"),
    (-timedelta(minutes=10), "本机时钟比后台快 10 分钟", "the kiosk's clock is 10 min ahead of the backend's"),
    (-timedelta(days=1), "本机时钟比后台快 1 天", "the kiosk's clock is 1 day ahead of the backend's"),
    (timedelta(days=3, hours=5, minutes=2), "本机时钟比后台慢 3 天 5 小时", "the kiosk's clock is 3 days 5 h behind"),
])
def test_clock_skew_says_how_far_the_clock_is_off_and_what_it_read(ahead: timedelta, zh: str, en: str) -> None:
    clock, alerts = Clock(), FakeAlerts()
    report_clock(alerts, clock)
    assert clock.observe(format_datetime(datetime.now(UTC) + ahead, usegmt=True))  # the backend's Date
    detail = detail_of(alerts, "clock_skew")
    read = datetime.fromisoformat(str(detail["system_clock"]).replace("Z", "+00:00"))
    assert abs(read - datetime.now(UTC)) < timedelta(seconds=5)
    view = seen("clock_skew", detail)
    assert view["cause_zh"] == f"{zh}，时间已按后台校正（告警时本机时钟显示 {local(read, '%Y-%m-%d %H:%M:%S')}）"
    assert view["cause_en"].startswith(en) and local(read, "%Y-%m-%d %H:%M:%S") in view["cause_en"]
    assert chinese_only(view["cause_zh"])


def test_clock_skew_without_the_backend_time() -> None:
    clock, alerts = Clock(), FakeAlerts()
    report_clock(alerts, clock)
    clock.stale_answer()
    view = seen("clock_skew", detail_of(alerts, "clock_skew"))
    assert view["cause_zh"].startswith("后台认为本机时间有误，但没有给出正确时间（告警时本机时钟显示 ")
    assert chinese_only(view["cause_zh"])
