"""The staff page in real Chromium as one person: the launch, the log-in, and no script error."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from tests.chromium import launched


@asynccontextmanager
async def logged_in(url: str, staff: str, secret: str, *, width: int = 1024,
                    height: int = 900) -> AsyncIterator[Any]:
    """A Chromium page logged in as `staff`; the page must raise no script error meanwhile."""
    from playwright.async_api import expect

    async with launched() as browser:
        page = await browser.new_page(viewport={"width": width, "height": height})
        errors: list[str] = []
        page.on("pageerror", lambda err: errors.append(str(err)))
        await page.goto(url)
        if await page.get_by_test_id("logout").is_visible():
            await page.get_by_test_id("logout").click()
        await page.get_by_test_id("staff-id").fill(staff)
        await page.get_by_test_id("secret").fill(secret)
        await page.get_by_test_id("login-button").click()
        await expect(page.get_by_test_id("me")).to_contain_text(staff)
        yield page
        assert not errors, f"script errors on the staff page: {errors}"
