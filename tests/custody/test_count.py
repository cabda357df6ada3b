"""A whole custody session: box out and in, blind count with an over and a short denomination."""

from __future__ import annotations

import json

import pytest

from kioskd.custody.count import LETTERS
from kioskd.custody.statement import statement_lines
from tests.custody.conftest import Site
from tests.ledger.conftest import paid


async def count(site: Site, counted: dict[int, int], fakes: list[tuple[int, str]] = ()) -> None:
    """Type the figure of each line the screen asks for: genuine notes per denomination, how many
    counterfeits, then each counterfeit's value (yuan) and serial number (letters with `finish`)."""
    for _ in range(64):  # bounded: a refused line would otherwise be typed for ever
        custody = site.screen["custody"]
        if custody["line"] is None:
            return
        line = custody["lines"][custody["line"]]
        if line["kind"] == "notes":
            keys = list(str(counted.get(line["value"], 0)))
        elif line["kind"] == "counterfeit":
            keys = list(str(len(fakes)))
        elif line["kind"] == "cf_value":
            keys = list(str(fakes[line["index"] - 1][0] // 100))
        else:
            keys = serial_keys(fakes[line["index"] - 1][1])
        await site.keys(*keys, "confirm")
        assert site.screen["custody"].get("message") is None, site.screen["custody"]["message"]
    raise AssertionError("the count did not end")


def serial_keys(serial: str) -> list[str]:
    """The keys that type a serial number: a letter is its phone key's digit, then `finish` until it shows."""
    keys: list[str] = []
    for ch in serial:
        if ch.isdigit():
            keys.append(ch)
            continue
        digit = next(d for d, letters in LETTERS.items() if ch in letters)
        keys += [digit] + ["finish"] * (LETTERS[digit].index(ch) + 1)
    return keys


@pytest.mark.looptime
async def test_session_with_an_over_and_a_short_denomination(site: Site) -> None:
    await paid(site.ledger, 10000, 10000, 5000)
    await paid(site.ledger, 5000, 5000, 2000)
    assert await site.ledger.counters() == {2000: 1, 5000: 3, 10000: 2}

    await site.custody.start("service_key")
    await site.login("1001")
    await site.login("1002")
    assert site.state == "maintenance_open"
    statement = site.printed[0]
    assert statement.counts == {2000: 1, 5000: 3, 10000: 2} and statement.payments == 2
    assert statement.total == 37000

    await site.custody.stacker_opened()  # expected now: no tamper alert
    assert "box_tamper" not in site.alerts.raised and site.state == "maintenance_open"
    await site.custody.stacker_closed()  # the new box: counting begins, counters start anew
    assert site.state == "maintenance_count"
    assert await site.ledger.counters() == {}

    # blind: nothing on screen tells the expected figures while counting
    screen = site.screen["custody"]
    assert [(line["kind"], line["value"]) for line in screen["lines"]] == [
        ("notes", v) for v in (100, 500, 1000, 2000, 5000, 10000)] + [("counterfeit", None)]
    assert "result" not in screen and "expected" not in json.dumps(screen)
    # 3 genuine 100s and a counterfeit 100 (the box holds 2 by the counters: one over), 2 of 3 50s
    await count(site, {10000: 3, 5000: 2, 2000: 1}, [(10000, "WR12345678")])
    screen = site.screen["custody"]
    assert screen["step"] == "confirm1" and "result" not in screen
    assert screen["entered"] == {"100": 0, "500": 0, "1000": 0, "2000": 1, "5000": 2, "10000": 3, "counterfeit": 1,
                                 "cf1_value": 10000, "cf1_serial": "WR12345678"}
    await site.keys(*"135790", "confirm")
    await site.keys(*"246802", "confirm")

    assert site.state == "maintenance_result"
    shown = site.screen["custody"]
    assert (shown["step"], shown["outcome"], shown["counterfeit"], shown["statement"]) == (
        "ended", "mismatch", 1, "printed")
    rows = {r["value"]: r for r in shown["result"]}
    assert (rows[10000]["verdict"], rows[10000]["diff"], rows[10000]["counterfeit"]) == ("over", 2, 1)
    assert (rows[5000]["verdict"], rows[5000]["diff"]) == ("short", -1)
    assert rows[2000]["verdict"] == "match" and rows[100]["verdict"] == "match"
    assert "custody_mismatch" in site.alerts.raised
    recorded = (await site.entries("custody_count"))[0]
    assert recorded["counterfeit"] == 1 and recorded["confirmed_by"] == ["1001", "1002"]
    assert recorded["counterfeits"] == [{"value": 10000, "serial": "WR12345678"}]
    assert shown["totals"] == {"expected": 37000, "counted": 42000, "counterfeit": 10000, "over": 20000,
                               "short": 5000, "difference": 5000}

    end = (await site.entries("custody_end"))[-1]
    assert end["outcome"] == "mismatch"
    await site.leave()
    assert site.state == "service_idle"
    assert await site.audit_problems() == []

    # the new box counts from zero
    await paid(site.ledger, 1000)
    assert await site.ledger.counters() == {1000: 1}


async def test_a_confirmation_needs_the_right_pin(site: Site) -> None:
    await paid(site.ledger, 5000)
    await site.custody.start("service_key")
    await site.login("1001")
    await site.login("1002")
    await site.keys("confirm")  # count without taking the box out
    await count(site, {5000: 1})
    await site.keys(*"246802", "confirm")  # technician 2's PIN where technician 1 must confirm
    assert site.screen["custody"]["step"] == "confirm1"
    assert site.screen["custody"]["message"] == "bad_pin"
    await site.keys(*"135790", "confirm", *"246802", "confirm")
    assert all(r["verdict"] == "match" for r in site.screen["custody"]["result"])
    assert "custody_mismatch" not in site.alerts.raised


async def test_backspace_on_an_empty_line_goes_back_to_the_line_before(site: Site) -> None:
    await paid(site.ledger, 5000)
    await site.custody.start("service_key")
    await site.login("1001")
    await site.login("1002")
    await site.keys("confirm")
    await site.keys("2", "confirm", "1", "2")  # 2 one-yuan notes, then typing the five-yuan line
    assert (site.screen["custody"]["line"], site.screen["custody"]["entry"]) == (1, "12")
    await site.keys("backspace", "backspace", "backspace")  # the line emptied, then back to the first
    assert (site.screen["custody"]["line"], site.screen["custody"]["entry"]) == (0, "2")
    assert site.screen["custody"]["entered"] == {}
    await site.keys("backspace", "0", "confirm")
    assert site.screen["custody"]["entered"] == {"100": 0}


@pytest.mark.looptime
async def test_tamper_makes_the_kiosk_unavailable_until_a_custody_session(site: Site) -> None:
    await site.custody.stacker_opened()
    assert "box_tamper" in site.alerts.raised and site.state == "unavailable"
    assert site.screen["unavailable"] == {"reason": "box_tamper"}
    await site.custody.stacker_closed()
    assert site.state == "unavailable"  # putting the box back is not enough

    await site.custody.start("door")  # an aborted session is not enough either
    await site.keys("cancel")
    await site.leave()
    assert site.state == "unavailable"

    await site.custody.start("door")
    await site.login("1002")
    await site.login("1003")
    await site.keys("confirm")
    await count(site, {})
    await site.keys(*"246802", "confirm", *"112233", "confirm")
    await site.leave()
    assert site.state == "service_idle"
    assert "box_tamper" in site.alerts.cleared
    assert [e for e in await site.kinds() if e == "box_tamper"] == ["box_tamper"]


def test_statement_lines_in_both_languages() -> None:
    from kioskd.custody.statement import Statement

    s = Statement("K-0001", "K-0001-20250301-ab", "2025-02-01T00:00:00.000Z", "2025-03-01T08:00:00.000Z",
                  {10000: 2, 5000: 3}, 4, ("1001", "张伟"), ("1002", "李娜"))
    zh, en = statement_lines(s, "zh-CN"), statement_lines(s, "en")
    assert zh[0] == "终端现金对账单" and en[0] == "Terminal cash statement"
    for lines in (zh, en):
        text = "\n".join(lines)
        assert "K-0001-20250301-ab" in text and "¥100.00 x 2 = ¥200.00" in text
        assert "¥50.00 x 3 = ¥150.00" in text and "¥350.00" in text
        assert "1001 张伟" in text and "1002 李娜" in text
