"""The result screen with everything it can say at once fits: nothing clipped, nothing on top of
anything else, in zh-CN and en, at normal and large text, on the kiosk's screen sizes (#16)."""

from __future__ import annotations

import pytest

from tests.screen.helpers import snapshot
from tests.screen.test_browser import CREDITED, PENDING, SHOTS, browser, deadline_in, screen  # noqa: F401
from tests.screen.test_reasons_in_browser import HOTLINE

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

OUT = SHOTS / "result-layout"
SIZES = {"1280x800": (1280, 800), "1024x768": (1024, 768)}
# the lines the result screen may show together, with the soft keys, the hall's contact and a notice
FULLEST = {
    "pending": dict(state="payment_done", result={**PENDING, "reason_code": "unreachable"}, receipt="failed",
                    site=HOTLINE),
    "pending-invoice": dict(state="payment_done", result={**PENDING, "reason_code": "unreachable"},
                            receipt="failed", invoice={"state": "pending"}, site=HOTLINE),
    "credited-follow-up": dict(state="payment_done", result=CREDITED, receipt="printed", site=HOTLINE,
                               follow_up={"amount": 2000, "seq": 44}, invoice={"state": "issued",
                                                                               "number": "044001900111-12345678"}),
    "receipt": dict(state="payment_receipt", result={**PENDING, "reason_code": "unreachable"}, receipt="printing",
                    site=HOTLINE, notices=["printer_unavailable"]),
}
# what must be read in full: the view's lines, the rating prompt, the soft keys, notices, the contact
PARTS = "#view > *, .softkeys > :not([hidden]), .notices li, footer.contact:not([hidden]), .topbar"

LAYOUT = """(selector) => {
  const main = document.querySelector("main").getBoundingClientRect();
  const view = document.getElementById("view").getBoundingClientRect();
  return [...document.querySelectorAll(selector)].filter((el) => el.getClientRects().length).map((el) => {
    const r = el.getBoundingClientRect();
    const inView = el.parentElement.id === "view";
    const box = inView ? view : main;
    return {what: (el.dataset.testid || el.className || el.tagName) + ": " + el.textContent.slice(0, 24),
            top: r.top, bottom: r.bottom, left: r.left, right: r.right,
            clipped: r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5 || r.right > box.right + 0.5};
  });
}"""


KEYPAD = """[...document.querySelectorAll('.keypad button')].map((b) => b.getBoundingClientRect().toJSON())"""


def overlaps(a: dict, b: dict) -> bool:
    """Two boxes share area (more than half a pixel each way: borders that touch are fine)."""
    return (min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > 0.5
            and min(a["right"], b["right"]) - max(a["left"], b["left"]) > 0.5)


async def show(page, locale: str, large: bool, changes: dict) -> float:
    """Wait for the published screen; its base text size (px) as drawn (the root size times the fit)."""
    from playwright.async_api import expect

    root = page.get_by_test_id("screen")
    await expect(root).to_have_attribute("data-state", changes["state"])
    await expect(root).to_have_attribute("data-locale", locale)
    await expect(page.locator("html")).to_have_class("large" if large else "")
    await expect(page.get_by_test_id("contact")).to_be_visible()
    return await page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)"
                               " * parseFloat(document.getElementById('screen').dataset.fit)")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
async def test_the_fullest_result_screen_shows_every_line_whole_and_apart(screen, locale, size):  # noqa: F811
    server, keys, page = screen
    width, height = SIZES[size]
    await page.set_viewport_size({"width": width, "height": height})
    OUT.mkdir(parents=True, exist_ok=True)
    for name, changes in FULLEST.items():
        drawn = {}
        for large in (False, True):
            server.publish(snapshot(locale=locale, large_text=large, deadline=deadline_in(45), timeout=60, **changes))
            drawn[large] = await show(page, locale, large, changes)
            shot = OUT / f"{name}-{locale}-{'large' if large else 'normal'}-{size}.png"
            await page.screenshot(path=str(shot), animations="disabled")
            parts = await page.evaluate(LAYOUT, PARTS)
            assert [p["what"] for p in parts if p["clipped"]] == [], shot.name
            together = [(a["what"], b["what"]) for i, a in enumerate(parts) for b in parts[i + 1:] if overlaps(a, b)]
            assert together == [], shot.name
            keypad = await page.evaluate(KEYPAD)
            assert keypad and all(0 <= k["left"] and k["right"] <= width and k["bottom"] <= height
                                  for k in keypad), shot.name
        # a screen drawn smaller to fit keeps large text larger than the normal text of the same screen
        assert drawn[True] > drawn[False], (name, drawn)
