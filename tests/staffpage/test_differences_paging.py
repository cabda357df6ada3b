"""Every open count difference on the staff page, 100 a page, however many nobody settled: over the
HTTP API (each once, in number order, with the count and total of all) and in Chromium (the total
above the list, next and previous pages, zh-CN and en); a bad page size or cursor is refused."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest

from kioskd.hall.registers.differences import Differences
from tests.daemon import ROOT
from tests.registers.test_open_summary import counted
from tests.staffpage.browser import logged_in

from .conftest import STAFF, Page

SHOTS = ROOT / "artifacts" / "screens" / "staff"


async def differences(session: aiohttp.ClientSession, page: Page, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    async with session.post(page.url + "api/registers/difference_list", json=body) as resp:
        return resp.status, await resp.json()


async def open_differences(page: Page) -> list[int]:
    """250 differences from two counts nobody settled; the page's registers see them."""
    ledger = page.daemon.ledger
    page.daemon.registers = SimpleNamespace(differences=Differences(ledger, page.daemon.config.kiosk.tz))
    return [*await counted(ledger, "s-1", 180), *await counted(ledger, "s-2", 70)]


async def test_every_open_difference_a_page_at_a_time(staff_page: Page) -> None:
    nos = await open_differences(staff_page)
    rows = await staff_page.daemon.ledger.registers.differences(status="open")
    session = await staff_page.logged_in("2001")
    seen, after, sizes = [], None, []
    while True:
        status, reply = await differences(session, staff_page, {"after": after})
        assert status == 200, reply
        assert reply["open"] == {"count": 250, "total": sum(r["value"] for r in rows)}
        seen += [d["id"] for d in reply["differences"]]
        sizes.append(len(reply["differences"]))
        if reply["newer"] is None:
            break
        after = reply["newer"]
        assert after == seen[-1]
    assert seen == nos and sizes == [100, 100, 50]
    status, small = await differences(session, staff_page, {"limit": 7, "after": nos[10]})
    assert [d["id"] for d in small["differences"]] == nos[11:18] and small["newer"] == nos[17]

    for body, named in [({"limit": 0}, "limit"), ({"limit": 5001}, "limit"), ({"limit": "100"}, "limit"),
                        ({"after": -1}, "after"), ({"after": "1 OR 1=1"}, "after"), ({"after": True}, "after")]:
        status, reply = await differences(session, staff_page, body)
        assert status == 409 and reply["error"].startswith(f"{named}: an integer from ") and "须为" in reply["error_zh"]


@pytest.mark.browser
async def test_the_differences_pages_in_chromium(staff_page: Page) -> None:
    from playwright.async_api import expect

    nos = await open_differences(staff_page)
    total = sum(r["value"] for r in await staff_page.daemon.ledger.registers.differences(status="open"))
    async with logged_in(staff_page.url, "2001", STAFF["2001"][2]) as page:
        await page.get_by_test_id("tab-registers").click()
        await expect(page.get_by_test_id("open-summary")).to_have_text(
            f"未处理差额共 250 笔，合计 ¥{total // 100:,}.{total % 100:02d}")
        shown = page.get_by_test_id("differences-shown")
        await expect(shown).to_have_text(f"差额 #{nos[0]} – #{nos[99]}")
        await expect(page.get_by_test_id("differences").locator("tr[data-no]")).to_have_count(100)
        await expect(page.get_by_test_id("differences-prev")).to_be_disabled()
        await page.get_by_test_id("differences-next").click()
        await expect(shown).to_have_text(f"差额 #{nos[100]} – #{nos[199]}")
        await page.get_by_test_id("differences-next").click()
        await expect(shown).to_have_text(f"差额 #{nos[200]} – #{nos[249]}")
        await expect(page.get_by_test_id("differences").locator("tr[data-no]")).to_have_count(50)
        await expect(page.get_by_test_id("differences-next")).to_be_disabled()
        SHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SHOTS / "registers-differences-page3-zh-CN.png"), full_page=True)
        await page.get_by_test_id("differences-prev").click()
        await expect(shown).to_have_text(f"差额 #{nos[100]} – #{nos[199]}")

        await page.get_by_test_id("lang").click()
        await expect(page.get_by_test_id("open-summary")).to_have_text(
            f"250 differences open, ¥{total // 100:,}.{total % 100:02d} in all")
        await expect(shown).to_have_text(f"differences #{nos[100]} – #{nos[199]}")
        await expect(page.get_by_test_id("differences-next")).to_have_text("Next page ›")
        await page.screenshot(path=str(SHOTS / "registers-differences-page2-en.png"), full_page=True)
