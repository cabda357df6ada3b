"""The custody session done only on the kiosk display and its keypad, in Chromium against the real
daemon: a wrong PIN, the second technician, the box out and back, a count with an over and a short,
both confirmations and the result; and an abort after which the digits typed never reach the backend.
The door and the box are the emulators' (/sim), as the technicians' hands would move them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.chromium import ARGS, CHROMIUM
from tests.daemon import ROOT, RunningKiosk, start_kiosk
from tests.staff.conftest import Staff, add_staff, pay

SHOTS = ROOT / "artifacts" / "screens" / "maintenance"
TECHS = {"7001": ("张伟", "246810"), "7002": ("李娜", "135791")}
LOOKUP = "/v1/accounts/lookup"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.asyncio(loop_scope="module"),
]


class Display:
    """The kiosk's display in Chromium: its on-screen keypad, what it shows, screenshots."""

    def __init__(self, page, kiosk: RunningKiosk) -> None:
        self.page, self.kiosk, self.staff = page, kiosk, Staff(kiosk)

    async def keys(self, *entries: str) -> None:
        """Press each key; an entry of several digits is typed digit by digit."""
        for entry in entries:
            for key in ([entry] if not entry.isdigit() else list(entry)):
                await self.page.click(f'.keypad [data-key="{key}"]')

    async def step(self, step: str) -> None:
        await self.page.wait_for_selector(f'[data-testid="maint"][data-step="{step}"]', timeout=20000)

    async def shows(self, testid: str, text: str) -> None:
        from playwright.async_api import expect

        await expect(self.page.get_by_test_id(testid)).to_contain_text(text, timeout=20000)

    async def shot(self, name: str) -> None:
        """A screenshot under artifacts/ (the README's are copied to docs/screens/ by hand)."""
        SHOTS.mkdir(parents=True, exist_ok=True)
        await self.page.screenshot(path=str(SHOTS / f"{name}.png"))

    async def door(self, is_open: bool) -> None:
        """Move the door and wait until the daemon has read it: a door closed and opened again
        within one debounce time (two reads, 0.2 s apart) is contact bounce, not two events."""
        await self.kiosk.fault("door_open", is_open)
        want = "open" if is_open else "closed"

        async def seen() -> bool:
            return (await self.staff.request({"cmd": "status"}))["devices"]["door"] == want
        await self.staff.until(seen, f"the door {want}")

    async def lookups(self) -> int:
        """Account look-ups the reference backend has received."""
        return (await self.kiosk.sim_state())["backend_hits"].get(LOOKUP, 0)


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def display(tmp_path_factory) -> AsyncIterator[Display]:
    async with _display(tmp_path_factory.mktemp("maintenance")) as d:
        yield d


@contextlib.asynccontextmanager
async def _display(tmp) -> AsyncIterator[Display]:
    """A simulated kiosk with its technicians and its display open in Chromium."""
    from playwright.async_api import async_playwright

    kiosk = await start_kiosk(tmp / "s")
    try:
        await kiosk.until(lambda s: s.get("state") == "service_idle", "the idle screen")
        await asyncio.to_thread(add_staff, tmp / "s",
                                {tech: (name, "technician", pin) for tech, (name, pin) in TECHS.items()})
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = await browser.new_page(viewport={"width": 1280, "height": 800})
            await page.goto(kiosk.page_url)
            try:
                yield Display(page, kiosk)
            finally:
                await browser.close()
    finally:
        await kiosk.stop()


async def test_a_whole_session_on_the_display_and_keypad(display: Display) -> None:
    d, kiosk = display, display.kiosk
    # customers filled the box: two 100-yuan notes and one 50
    await pay(kiosk, "0012345678", [10000, 10000, 5000])
    await d.door(True)  # the technicians open the service door
    await d.step("tech1_id")
    await d.shows("title", "技术员一：请输入工号")
    await d.keys("7001", "confirm")
    await d.step("tech1_pin")
    await d.keys("0000")
    await d.shows("maint-entry", "●●●●")  # the PIN is masked
    await d.keys("00", "confirm")
    await d.step("tech1_id")
    await d.shows("maint-error", "密码错误，还可再试 4 次。请重新输入工号")
    await d.shot("wrong-pin-zh-CN")

    await d.keys("7001", "confirm", TECHS["7001"][1], "confirm")
    await d.step("tech2_id")
    await d.shows("maint-tech1", "技术员一 7001 张伟 已登录")
    await d.shows("maint-countdown", "剩余")
    seconds = int(await d.page.get_by_test_id("maint-countdown").get_attribute("data-seconds"))
    assert 100 < seconds <= 120
    await d.shot("second-technician-zh-CN")
    await d.keys("7002", "confirm")
    await d.step("tech2_pin")
    await d.shows("maint-id", "工号 7002")
    await d.keys(TECHS["7002"][1], "confirm")

    await d.step("open")
    await d.shows("maint-statement", "终端现金对账单已打印")
    await kiosk.until_printed("终端现金对账单")
    await d.shows("maint-box", "请取出钱箱")
    await d.shot("open-zh-CN")
    await kiosk.fault("box_removed", True)  # the box out, under custody: no tamper
    await d.shows("maint-box", "钱箱已取出")
    await kiosk.fault("box_removed", False)  # an empty box in: the blind count begins
    await d.step("count")
    # one line at a time: 1, 5, 10, 20 yuan none, 50 yuan two (one over), 100 yuan one (one short)
    await d.keys("0", "confirm", "0", "confirm", "0", "confirm", "0", "confirm", "2", "confirm", "1")
    await d.shows("maint-current", "1")
    text = await d.page.get_by_test_id("maint-count").inner_text()
    assert "¥50.00 纸币\t2" in text and "应有" not in text  # blind: what is expected is never shown
    await d.shot("count-zh-CN")
    await d.keys("confirm", "0", "confirm")  # no counterfeit notes
    await d.step("confirm1")
    await d.shows("title", "请技术员一（7001 张伟）输入密码确认清点结果")
    await d.keys(TECHS["7001"][1], "confirm")
    await d.step("confirm2")
    await d.keys(TECHS["7002"][1], "confirm")

    await d.step("ended")
    await d.shows("title", "清点不符")
    await d.shows("maint-result", "多 1 张")
    await d.shows("maint-result", "少 1 张")
    rows = {await r.get_attribute("data-value"): await r.inner_text()
            for r in await d.page.locator('[data-testid="maint-result"] tr[data-value]').all()}
    assert rows.keys() == {"5000", "10000"}
    assert rows["5000"].split("\t") == ["¥50.00", "1", "2", "0", "多 1 张"]
    assert rows["10000"].split("\t") == ["¥100.00", "2", "1", "0", "少 1 张"]
    await d.shows("maint-difference", "金额差额：-¥50.00")
    await d.shows("maint-leave", "按任意键返回")
    await d.shot("result-zh-CN")
    await d.keys("lang")  # the language key changes only the language
    await d.shows("title", "Count does not match")
    await d.shows("maint-result", "1 over")
    await d.shot("result-en")
    await d.keys("lang")

    await d.door(False)
    await d.keys("confirm")
    await d.shows("maint-leave", "即将返回服务")
    await kiosk.until(lambda s: s["state"] == "service_idle", "back in service")
    await d.page.wait_for_selector('[data-testid="screen"][data-state="service_idle"]', timeout=20000)


async def test_digits_typed_after_an_abort_never_reach_the_backend(display: Display) -> None:
    d, kiosk = display, display.kiosk
    await d.door(True)
    await d.step("tech1_id")
    await d.keys("7001", "confirm", TECHS["7001"][1], "confirm")
    await d.step("tech2_id")
    await d.keys("7001", "confirm")  # the same technician again: the session is aborted
    await d.step("ended")
    await d.shows("maint-reason", "同一技术员不能登录两次")
    # the states from here on are what our socket sees after the result: it may lag the page's
    await kiosk.until(lambda s: s["state"] == "maintenance_result", "the result on our socket")
    before, seen = await d.lookups(), len(kiosk.states)
    # the second technician, not looking, types their ID and PIN as for a login
    await d.keys("7002", "confirm", TECHS["7002"][1], "confirm")
    await d.shows("maint-leave", "即将返回服务")
    await d.shot("aborted-zh-CN")
    await kiosk.until(lambda s: s["state"] == "service_idle", "back in service after the guard time")
    assert kiosk.states[seen:] == ["service_idle"]  # never account entry, look-up or help
    assert await d.lookups() == before  # asked at the reference backend itself: no look-up arrived
    await d.door(False)


async def test_a_count_with_a_counterfeit_ends_in_the_handover_record(display: Display) -> None:
    d, kiosk = display, display.kiosk
    await pay(kiosk, "0012345678", [10000, 10000, 5000, 5000])
    await d.door(True)
    await d.step("tech1_id")
    await d.keys("7001", "confirm", TECHS["7001"][1], "confirm")
    await d.step("tech2_id")
    await d.keys("7002", "confirm", TECHS["7002"][1], "confirm")
    await d.step("open")
    await d.keys("confirm")  # counted without taking the box out
    await d.step("count")
    # 1, 5, 10, 20 yuan none; 50 yuan one (one short); 100 yuan one genuine; one counterfeit
    await d.keys(*["0", "confirm"] * 4, "1", "confirm", "1", "confirm", "1", "confirm")
    await d.shows("maint-count", "第 1 张假币：面额（元）")
    await d.keys("30", "confirm")  # no 30-yuan note: refused on the line, kept to correct
    await d.shows("maint-error", "面额不对")
    await d.keys("backspace", "backspace", "100", "confirm")
    await d.shows("maint-count", "第 1 张假币：冠字号")
    # W R 1 2 3 4 5 6 7 8: W is 9 then finish once; R is 7 then finish three times
    await d.keys("9", "finish", "7", "finish", "finish", "finish", "12345678")
    await d.shows("maint-current", "WR12345678")
    await d.shows("maint-count", "¥100.00")  # the counterfeit's value as entered
    await d.shot("count-counterfeit-zh-CN")
    await d.keys("confirm")
    await d.step("confirm1")
    await d.keys(TECHS["7001"][1], "confirm")
    await d.step("confirm2")
    await d.keys(TECHS["7002"][1], "confirm")

    await d.step("ended")
    await d.shows("title", "清点不符")
    rows = {await r.get_attribute("data-value"): await r.inner_text()
            for r in await d.page.locator('[data-testid="maint-result"] tr[data-value]').all()}
    assert rows["10000"].split("\t") == ["¥100.00", "2", "1", "1", "相符"]
    assert rows["5000"].split("\t") == ["¥50.00", "2", "1", "0", "少 1 张"]
    await d.shows("maint-serials", "¥100.00 WR12345678")
    await d.shows("maint-difference", "金额差额：-¥150.00")  # the counterfeit is money missing too
    await d.shows("maint-totals", "假币 ¥100.00")
    await d.shows("maint-totals", "短款 ¥50.00")
    await d.shows("maint-differences", "已登记 2 笔差额")
    await d.shows("maint-handover", "交接记录已打印")
    digest = (await d.page.get_by_test_id("maint-handover").inner_text()).split("记录摘要: ")[1].rstrip("…")
    printed = "\n".join(await kiosk.until_printed("钱箱交接记录"))
    assert digest in printed and "WR12345678" in printed
    await d.shot("result-handover-zh-CN")
    await d.keys("lang")
    await d.shows("maint-handover", "Handover record printed")
    await d.shows("maint-serials", "Counterfeit serial numbers")
    await d.shot("result-handover-en")
    await d.keys("lang")
    await d.door(False)
    await d.keys("confirm")
    await kiosk.until(lambda s: s["state"] == "service_idle", "back in service")


async def test_a_patrol_checks_in_on_the_display(display: Display) -> None:
    d, kiosk = display, display.kiosk
    await asyncio.to_thread(add_staff, kiosk.state_dir, {"2001": ("王芳", "hall", "112233")})
    lookups = await d.lookups()
    await d.keys("finish")  # at the idle screen: the duty staff's check-in, not a customer's payment
    await d.step("id")
    await d.shows("title", "请输入工号")
    await d.keys("2001", "confirm", "112233")
    await d.shows("maint-entry", "●●●●●●")
    await d.keys("confirm")
    await d.step("screen_ok")
    await d.shows("title", "屏幕显示正常吗？")
    await d.keys("1", "0")  # the screen works; the printer has no paper
    await d.step("seal_ok")
    await d.shows("patrol-checks", "有问题")
    await d.shot("patrol-check-zh-CN")
    await d.keys("1")
    await d.step("ended")
    await d.shows("title", "巡检已登记")
    await d.keys("lang")
    await d.shows("title", "Patrol recorded")
    await d.shows("patrol-checks", "problem")
    await d.shot("patrol-recorded-en")
    await d.keys("lang")
    await d.keys("0", "0", "1")  # digits typed on the result are swallowed, then the idle screen is back
    await kiosk.until(lambda s: s["state"] == "service_idle", "back in service")
    listed = await Staff(kiosk).request({"cmd": "patrol_list", "staff": "2001", "secret": "112233"})
    assert [(p["by"], p["via"], p["screen_ok"], p["paper_ok"], p["seal_ok"]) for p in listed["patrols"]] == [
        ("2001", "keypad", True, False, True)]
    assert await d.lookups() == lookups  # nothing typed reached the backend as an account
