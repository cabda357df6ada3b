"""The registers tab of the staff page in Chromium against a whole simulated kiosk: after a count
with a counterfeit and a short note, hall staff settle both differences as a vendor claim (a manager
approves with their own PIN on the same form) and check in a patrol; the manager issues a key
(its receiver confirms with their PIN), marks the claim compensated and reads the work log."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.chromium import launched
from tests.daemon import ROOT, RunningKiosk
from tests.staff.conftest import Staff, pay
from tests.staffpage.browser import logged_in
from tests.staffpage.test_daemon_page import kiosk_with_page

SHOTS = ROOT / "artifacts" / "screens" / "staff"
STAFF = {"2001": ("王芳", "hall", "112233"), "3001": ("赵经理", "manager", "864209"),
         "7001": ("张伟", "technician", "246810"), "7002": ("李娜", "technician", "135791")}
pytestmark = [
    pytest.mark.slow, pytest.mark.browser, pytest.mark.asyncio(loop_scope="module"),
]


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def hall(tmp_path_factory) -> AsyncIterator[tuple[RunningKiosk, str]]:
    async with kiosk_with_page(tmp_path_factory.mktemp("registers"), STAFF) as found:
        yield found


async def count_with_a_counterfeit_and_a_short(kiosk: RunningKiosk) -> None:
    """Two 100s and two 50s go in; the technicians count one 100, a counterfeit 100 and one 50."""
    await pay(kiosk, "0012345678", [10000, 10000, 5000, 5000])
    reply = await Staff(kiosk).request({"cmd": "cashbox_open", "staff": "2001", "secret": STAFF["2001"][2]})
    assert reply["ok"], reply
    for tech in ("7001", "7002"):
        await kiosk.press(*tech, "confirm", *STAFF[tech][2], "confirm")
    await kiosk.until(lambda s: s["state"] == "maintenance_open", "the box released")
    await kiosk.press("confirm")
    for figure in ("0", "0", "0", "0", "1", "1", "1", "100"):
        await kiosk.press(*figure, "confirm")
    await kiosk.press("9", "finish", "7", *["finish"] * 3, *"12345678", "confirm")  # WR12345678
    for tech in ("7001", "7002"):
        await kiosk.press(*STAFF[tech][2], "confirm")
    await kiosk.until(lambda s: s["custody"] and s["custody"]["step"] == "ended", "the result")
    await kiosk.press("confirm")
    await kiosk.until(lambda s: s["state"] == "service_idle", "back in service")


async def test_the_registers_on_the_staff_page(hall: tuple[RunningKiosk, str]) -> None:
    from playwright.async_api import expect

    kiosk, url = hall
    await count_with_a_counterfeit_and_a_short(kiosk)
    async with launched() as browser:
        page = await browser.new_page(viewport={"width": 1024, "height": 900})
        await page.goto(url)

        async def login(staff: str) -> None:
            await page.get_by_test_id("staff-id").fill(staff)
            await page.get_by_test_id("secret").fill(STAFF[staff][2])
            await page.get_by_test_id("login-button").click()
            await expect(page.get_by_test_id("me")).to_contain_text(f"{staff} {STAFF[staff][0]}")
            await page.get_by_test_id("tab-registers").click()

        async def shot(name: str) -> None:
            SHOTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

        await login("2001")
        diffs = page.get_by_test_id("differences")
        await expect(diffs).to_contain_text("假币")
        await expect(diffs).to_contain_text("WR12345678")
        await expect(diffs).to_contain_text("短款")
        for box in await diffs.locator('input[type="checkbox"]').all():
            await box.check()
        await page.get_by_test_id("outcome").select_option("vendor_claim")
        await page.get_by_test_id("explanation").fill("识币器收了假币；少一张50元")
        await page.get_by_test_id("approver").fill("3001")
        await page.get_by_test_id("approver-pin").fill(STAFF["3001"][2])
        await shot("registers-differences-zh-CN")
        await page.get_by_test_id("resolve-button").click()
        await expect(page.get_by_test_id("done")).to_have_text("已处理 2 笔差额，索赔单 1")
        await expect(diffs).to_contain_text("无")

        await page.get_by_test_id("section-patrols").click()
        await page.get_by_test_id("patrol-paper_ok").uncheck()
        await page.get_by_test_id("patrol-note").fill("打印纸将尽，已更换")
        await page.get_by_test_id("patrol-button").click()
        await expect(page.get_by_test_id("done")).to_have_text("巡检已登记")
        await expect(page.get_by_test_id("patrols")).to_contain_text("打印纸异常")
        await expect(page.get_by_test_id("patrols")).to_contain_text("2001 王芳")
        await shot("registers-patrol-zh-CN")
        await page.get_by_test_id("section-claims").click()
        await expect(page.get_by_test_id("claim-1")).to_contain_text("¥150.00 · 已索赔")
        await expect(page.get_by_test_id("settle-button-1")).to_have_count(0)  # a manager's
        await page.get_by_test_id("logout").click()

        await login("3001")
        await page.get_by_test_id("section-keys").click()
        await page.get_by_test_id("key-copy").fill("box-1")
        await page.locator('select[name="key"]').select_option("box")
        await page.get_by_test_id("key-to").fill("7001")
        await page.get_by_test_id("key-to-pin").fill(STAFF["7001"][2])
        await page.get_by_test_id("key-reason").fill("发放")
        await page.get_by_test_id("key-hand-button").click()
        await expect(page.get_by_test_id("done")).to_have_text("box-1 已交给 7001")
        await expect(page.get_by_test_id("key-holders")).to_contain_text("7001 张伟")
        await expect(page.get_by_test_id("key-handovers")).to_contain_text("发放")
        await shot("registers-keys-zh-CN")
        await page.get_by_test_id("section-claims").click()
        await page.get_by_test_id("settle-status-1").select_option("compensated")
        await page.get_by_test_id("settle-button-1").click()
        await expect(page.get_by_test_id("done")).to_have_text("索赔单 1: 已赔付")
        await expect(page.get_by_test_id("claim-1")).to_contain_text("已赔付")
        await shot("registers-claims-zh-CN")
        await page.get_by_test_id("section-worklog").click()
        log = page.get_by_test_id("worklog")
        for words in ("索赔已赔付", "钥匙交接", "巡检签到", "差额处理", "交接记录", "清点结果"):
            await expect(log).to_contain_text(words)
        for kind in ("claim_compensated", "key_handover", "difference_resolved", "custody_count"):
            await expect(log).not_to_contain_text(kind)  # events in words, not the chain's identifiers
        await shot("registers-worklog-zh-CN")
        await page.get_by_test_id("worklog-kind").select_option("patrol")
        await page.get_by_test_id("worklog-show").click()
        await expect(log).to_contain_text("巡检签到")
        await expect(log).not_to_contain_text("钥匙交接")  # patrols only
        await page.get_by_test_id("lang").click()
        await page.get_by_test_id("section-claims").click()
        await expect(page.get_by_test_id("claim-1")).to_contain_text("compensated")
        await shot("registers-claims-en")
        await page.get_by_test_id("section-worklog").click()
        await expect(page.get_by_test_id("worklog")).to_contain_text("patrol check-in")
        await shot("registers-worklog-en")


async def test_a_note_added_on_the_page_to_a_keypad_patrol_that_found_a_problem(
        hall: tuple[RunningKiosk, str]) -> None:
    from playwright.async_api import expect

    kiosk, url = hall
    await kiosk.until(lambda s: s["state"] == "service_idle", "the idle screen")
    await kiosk.press("finish", *"2001", "confirm", *STAFF["2001"][2], "confirm", "1", "0", "1")  # paper: a problem
    shown = await kiosk.until(lambda s: (s["custody"] or {}).get("outcome") == "recorded", "the patrol recorded")
    no = shown["custody"]["patrol"]  # the result names the patrol, to add its note to on the page
    await kiosk.press("confirm")  # any key: back to customers after the guard time
    await kiosk.until(lambda s: s["state"] == "service_idle", "back in service")
    staff = Staff(kiosk)
    [patrol] = [p for p in (await staff.request({"cmd": "patrol_list", "staff": "3001", "secret": STAFF["3001"][2]}))[
        "patrols"] if p["id"] == no]
    assert (patrol["by"], patrol["via"], patrol["paper_ok"], patrol["note"]) == ("2001", "keypad", False, "")
    async with launched() as browser:
        page = await browser.new_page(viewport={"width": 1024, "height": 900})
        await page.goto(url)
        if await page.get_by_test_id("logout").is_visible():
            await page.get_by_test_id("logout").click()
        await page.get_by_test_id("staff-id").fill("3001")
        await page.get_by_test_id("secret").fill(STAFF["3001"][2])
        await page.get_by_test_id("login-button").click()
        await expect(page.get_by_test_id("me")).to_contain_text("3001")
        await page.get_by_test_id("tab-registers").click()
        await page.get_by_test_id("section-patrols").click()
        notes = page.get_by_test_id(f"patrol-notes-{no}")
        await expect(notes).to_contain_text("尚无问题说明")
        await page.get_by_test_id(f"patrol-add-note-{no}").fill("打印纸用完，已换新卷")
        await page.get_by_test_id(f"patrol-add-button-{no}").click()
        await expect(page.get_by_test_id("done")).to_have_text(f"已为巡检 {no} 补充说明")
        await expect(notes).to_contain_text("3001 赵经理）：打印纸用完，已换新卷")
        await expect(notes).not_to_contain_text("尚无问题说明")
        await expect(page.get_by_test_id("patrols")).to_contain_text("2001 王芳")  # the patrol stays 2001's
        SHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SHOTS / "registers-patrol-note-zh-CN.png"), full_page=True)
        await page.get_by_test_id("lang").click()
        await expect(notes).to_contain_text("by 3001 赵经理: 打印纸用完，已换新卷")
        await page.screenshot(path=str(SHOTS / "registers-patrol-note-en.png"), full_page=True)
    # the patrol list (kioskctl patrol list) shows it under the patrol; the chain holds it as its own entry
    listed = await staff.request({"cmd": "patrol_list", "staff": "2001", "secret": STAFF["2001"][2]})
    [again] = [p for p in listed["patrols"] if p["id"] == no]
    assert {**again, "notes": []} == {**patrol, "notes": []}  # the patrol itself unchanged
    assert [(n["by"], n["by_name"], n["note"]) for n in again["notes"]] == [("3001", "赵经理", "打印纸用完，已换新卷")]
    log = await staff.request({"cmd": "worklog", "kind": "patrol_note", "staff": "2001", "secret": STAFF["2001"][2]})
    assert [(e["data"]["patrol"], e["data"]["by"], e["data"]["via"]) for e in log["entries"]] == [(no, "3001", "page")]


async def test_the_work_log_pages_back_to_its_oldest_entry(hall: tuple[RunningKiosk, str]) -> None:
    from playwright.async_api import expect

    kiosk, url = hall
    staff = Staff(kiosk)
    for _ in range(25):  # 250 more entries (reconciliation files exported: nothing else changes), ten at a time
        replies = await asyncio.gather(*(staff.request({"cmd": "report_export"}) for _ in range(10)))
        assert all(r["ok"] for r in replies), replies
    async with logged_in(url, "2001", STAFF["2001"][2]) as page:
        await page.get_by_test_id("tab-registers").click()
        await page.get_by_test_id("section-worklog").click()
        shown, older = page.get_by_test_id("worklog-shown"), page.get_by_test_id("worklog-older")
        await expect(shown).to_contain_text("条目 #")
        await expect(page.get_by_test_id("worklog-newer")).to_be_disabled()  # the newest page first
        pages: list[list[int]] = []
        while True:
            seqs = [int(s) for s in await page.get_by_test_id("worklog").locator("td:first-child").all_inner_texts()]
            assert seqs == sorted(seqs, reverse=True) and len(seqs) <= 100  # newest first, a page at a time
            await expect(shown).to_have_text(f"条目 #{seqs[-1]} – #{seqs[0]}")
            pages.append(seqs)
            if await older.is_disabled():
                break
            await older.click()
            await expect(shown).not_to_have_text(f"条目 #{seqs[-1]} – #{seqs[0]}")
        await expect(page.get_by_test_id("worklog-newer")).to_be_enabled()
        SHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SHOTS / "registers-worklog-oldest-zh-CN.png"), full_page=True)
        await page.get_by_test_id("worklog-newer").click()  # one page forward again: the one before
        await expect(shown).to_have_text(f"条目 #{pages[-2][-1]} – #{pages[-2][0]}")
        await page.get_by_test_id("lang").click()
        await expect(older).to_have_text("Older entries ›")
        await expect(shown).to_have_text(f"entries #{pages[-2][-1]} – #{pages[-2][0]}")
        await page.screenshot(path=str(SHOTS / "registers-worklog-page-en.png"), full_page=True)
    # every entry of the day up to the first page's newest, each once, in order, the last page ending at the first
    day = await staff.request({"cmd": "worklog", "limit": 20000})
    assert len(pages) >= 3 and all(len(p) == 100 for p in pages[:-1])
    assert [s for p in reversed(pages) for s in reversed(p)] == [e["seq"] for e in day["entries"]
                                                                  if e["seq"] <= pages[0][0]]


async def test_a_slow_reply_of_a_section_left_is_not_drawn_over_the_one_shown(
        hall: tuple[RunningKiosk, str]) -> None:
    """The differences (the tab's first section) answer only after the person moved on to the work log:
    the page keeps the work log and raises no script error (it drew the late reply as a work log)."""
    from playwright.async_api import expect

    kiosk, url = hall
    held, let_go = asyncio.Event(), asyncio.Event()

    async def hold(route) -> None:
        held.set()
        await let_go.wait()
        await route.continue_()

    async with logged_in(url, "2001", STAFF["2001"][2]) as page:
        await page.route("**/api/registers/difference_list", hold)
        await page.get_by_test_id("tab-registers").click()
        await held.wait()
        await page.get_by_test_id("section-worklog").click()
        await expect(page.get_by_test_id("worklog-shown")).to_contain_text("条目 #")
        async with page.expect_response("**/api/registers/difference_list") as late:
            let_go.set()
        await (await late.value).finished()
        # two round trips into the page after the late body arrived: its reply has been handled
        for _ in range(2):
            await page.evaluate("() => new Promise((done) => setTimeout(done))")
        await expect(page.get_by_test_id("register-worklog")).to_be_visible()
        await expect(page.get_by_test_id("worklog-shown")).to_contain_text("条目 #")
