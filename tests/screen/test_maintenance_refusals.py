"""Every refusal and end of a custody session, in plain words on the kiosk display (Chromium, zh-CN
and en): an unknown ID, not a technician, a wrong PIN at the confirmation, locked until a time (the
kiosk's local time), timed out, disabled, the same key holder, cancelled. Driven by a scripted
publisher with the snapshots kioskd.custody.steps builds; the whole session from the real daemon
is tests/custody/test_maintenance_screen.py."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from kioskd.custody.steps import Ended, Session
from kioskd.customer.screen.server import ScreenServer
from kioskd.hall.accounts import Refusal
from tests.screen.helpers import KeyRecorder, snapshot
from tests.screen.test_browser import SHOTS, browser  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

T1, T2 = ("7001", "张伟"), ("7002", "李娜")
KIOSK_TZ = ZoneInfo("Asia/Shanghai")  # where this kiosk stands; the display's clock is the real one


def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def login(**fields) -> dict:
    return {"state": "maintenance_login", "custody": Session("s-1", "door", **fields).view(None)}


def ended(reason: str, **fields) -> dict:
    return {"state": "maintenance_result", "custody": Ended("s-1", "aborted", reason, **fields).view()}


def refusals(now: datetime) -> list[tuple[str, dict, list[str], list[str]]]:
    """(screen name, snapshot changes, words zh-CN technicians read, words en ones read), `now` the kiosk's.

    Built when the test runs, not at import: a run that crossed the kiosk's midnight made "today"
    another day. A lock-out that ends today shows the time alone; one that ends on another day (a
    long configured lock-out, or near midnight) shows the date too.
    """
    today, tomorrow = now, now + timedelta(days=1)
    return [
        ("unknown", login(message="unknown"), ["技术员一：请输入工号", "工号不存在，请重新输入"],
         ["Technician 1: type your staff ID", "No such staff ID; type it again"]),
        ("not-technician", login(step="tech2_id", tech1=T1, message="not_technician"),
         ["技术员一 7001 张伟 已登录", "该工号不是技术员，不能开启钱箱"],
         ["Technician 1 7001 张伟 logged in", "is not a technician's and cannot open the cash box"]),
        ("confirm-wrong-pin", login(step="confirm1", tech1=T1, tech2=T2, message="bad_pin",
                                    refusal=Refusal("7001", "bad_secret", tries_left=1)),
         ["请技术员一（7001 张伟）输入密码确认清点结果", "密码错误，还可再试 1 次"], ["Wrong PIN, 1 try left"]),
        ("locked", ended("locked", staff="7001", locked_until=utc(today)),
         ["维护已结束", f"工号 7001 密码错误次数过多，已锁定，请于 {today:%H:%M} 后再试。", "钱箱未被授权取出"],
         ["Maintenance ended", f"Staff ID 7001 is locked after too many wrong PINs; try again after {today:%H:%M}."]),
        ("locked-another-day", ended("locked", staff="7001", locked_until=utc(tomorrow)),
         [f"已锁定，请于 {tomorrow:%Y\u2011%m\u2011%d %H:%M} 后再试。"],  # hyphens that never wrap
         [f"try again after {tomorrow:%Y\u2011%m\u2011%d %H:%M}."]),
        ("timeout", ended("timeout", tech1=T1), ["等待超时：未在规定时间内完成两位技术员的登录。"],
         ["Timed out: the two technicians did not both log in in time."]),
        ("disabled", ended("disabled", staff="7003"), ["工号 7003 已停用，不能开启钱箱。"],
         ["Staff ID 7003 is disabled and cannot open the cash box."]),
        ("same-key-holder", ended("same_key_holder", tech1=T1, tech2=T2), ["两位技术员持有同一把钥匙", "请换另一位技术员"],
         ["hold the same key", "another technician must come"]),
        ("cancelled", ended("cancelled"), ["维护已取消。", "按任意键返回"], ["The maintenance was cancelled.", "Press any key"]),
    ]


CODES = re.compile(r"\b[a-z]+_[a-z_]+\b|\bNone\b|\bnull\b|\bundefined\b|Invalid Date")


@pytest_asyncio.fixture(loop_scope="module")
async def display(browser):  # noqa: F811
    """The kiosk display on a scripted server, in the kiosk's time zone."""
    server = ScreenServer("127.0.0.1:0", on_key=KeyRecorder())
    await server.start()
    page = await browser.new_page(viewport={"width": 1280, "height": 800}, timezone_id="Asia/Shanghai")
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    await page.goto(server.page_url)
    yield server, page
    await page.close()
    await server.stop()
    assert errors == [], errors


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
async def test_every_refusal_is_said_in_words(display, locale):
    from playwright.async_api import expect

    server, page = display
    for name, changes, zh, en in refusals(datetime.now(KIOSK_TZ).replace(second=0, microsecond=0)):
        server.publish(snapshot(locale=locale, **changes))
        shown = page.locator('[data-testid="maint"]')
        await expect(shown).to_have_attribute("data-step", changes["custody"]["step"])
        await expect(page.get_by_test_id("screen")).to_have_attribute("data-locale", locale)
        for words in zh if locale == "zh-CN" else en:
            await expect(shown).to_contain_text(words)
        text = await shown.inner_text()
        assert not CODES.search(text), (name, text)
        await page.screenshot(path=str(SHOTS / "maintenance" / f"refused-{name}-{locale}.png"), animations="disabled")
