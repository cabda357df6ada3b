"""`kioskd run` says in one line when no font has Chinese glyphs (the zh-CN screen would show boxes)."""

from __future__ import annotations

import logging

import pytest

from drivers.printer.fonts import find_cjk_font
from kioskd import runner


def test_no_cjk_font_is_one_warning_line(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(runner, "find_cjk_font", lambda: None)
    with caplog.at_level(logging.WARNING, logger="kioskd"):
        runner.warn_without_cjk_font()
    [record] = caplog.records
    assert "no Chinese (CJK) font installed" in record.getMessage()
    assert "fonts-noto-cjk" in record.getMessage() and "\n" not in record.getMessage()


def test_an_installed_cjk_font_is_found_and_not_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    if find_cjk_font() is None:
        pytest.skip("no CJK font here: install fonts-noto-cjk or fonts-wqy-microhei (see the README)")
    with caplog.at_level(logging.WARNING, logger="kioskd"):
        runner.warn_without_cjk_font()
    assert caplog.records == []
