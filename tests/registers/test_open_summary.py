"""A kiosk whose staff never settle its count differences: every daily close states them as a count
and a total with a few listed (the oldest carried over, the day's new ones), never the whole list,
so the close and its chain entry stay the same size however many there are; the numbers are the
rows' own, a settled one leaves the summary, and `audit verify` checks each close against the
difference entries before it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backend_api.jcs import canonicalize
from kioskd.cli.audit import signature_checker
from kioskd.custody.session import key_signer
from kioskd.customer.receipts.layout import format_money
from kioskd.hall.accounts import Person
from kioskd.hall.registers.differences import Differences
from kioskd.hall.reports import DailyClose, report_lines
from kioskd.ledger import Ledger
from kioskd.ledger.records import AuditProblem
from kioskd.system.clock import CLOCK, wall_now
from tests.audit.test_tamper import save_key, verify
from tests.ledger.conftest import KIOSK

TZ = "Asia/Shanghai"
HALL = Person("2001", "王芳", "hall", "page")
MANAGER = Person("8001", "赵经理", "manager", "page")
KINDS = [("short", 5000), ("over", 10000), ("counterfeit", 10000), ("short", 2000), ("short", 100)]


@pytest.fixture
async def ledger(tmp_path: Path) -> AsyncIterator[Ledger]:
    opened = await Ledger.open(tmp_path, KIOSK)
    yield opened
    await opened.close()


async def counted(ledger: Ledger, session: str, n: int) -> list[int]:
    """One count leaving `n` notes over, short or counterfeit (kinds and values in turn); their numbers."""
    diffs: list[dict[str, Any]] = []
    fakes: list[dict[str, Any]] = []
    for i in range(n):
        kind, value = KINDS[i % len(KINDS)]
        if kind == "counterfeit":
            fakes.append({"value": value, "serial": f"AB{len(fakes):08d}"})
        diffs.append({"kind": kind, "value": value, **({"counterfeit": len(fakes) - 1} if kind == "counterfeit" else {})})
    await ledger.custody_open(session, "service_key")
    written = await ledger.registers.record_count(session, "B-1", {"session": session}, {"session": session}, fakes,
                                                  diffs)
    return written["differences"]


def closer(ledger: Ledger, tmp_path: Path) -> DailyClose:
    kiosk = SimpleNamespace(id="K-TEST-01", currency="CNY", tz=TZ, locale="zh-CN")
    return DailyClose(ledger, None, kiosk=kiosk, encoding="gb18030", flush=lambda why: None,  # type: ignore[arg-type]
                      at="23:30", printed=False, state_file=tmp_path / "daily_close.json")


async def verified(ledger: Ledger) -> list[AuditProblem]:
    """What a full check (`kioskctl audit verify`) finds, the chain signed up to now."""
    key = Ed25519PrivateKey.generate()
    await ledger.audit_checkpoint(key_signer(key))
    return await ledger.audit_check(signature_checker(key.public_key()), full=True)


async def close_entry(ledger: Ledger, seq: int) -> str:
    """The close's chain entry as stored (its data's canonical JSON)."""
    [entry] = [e for e in await ledger.audit_entries(seq - 1, 1) if e["type"] == "daily_close"]
    return json.dumps(entry["data"], ensure_ascii=False, separators=(",", ":"))


async def test_five_hundred_open_differences_make_a_close_no_bigger(ledger: Ledger, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # checked before counting: the day's 25 differences, counted and closed, must not straddle midnight
    if (datetime.now(ZoneInfo(TZ)) + timedelta(minutes=2)).date() != datetime.now(ZoneInfo(TZ)).date():
        pytest.skip("the local day ends within two minutes: its differences would straddle two days")
    monkeypatch.setattr(CLOCK, "offset", -3 * 86400.0)  # three days ago: counts nobody settled since
    earlier = [no for s in range(4) for no in await counted(ledger, f"s-old-{s}", 120)]
    monkeypatch.setattr(CLOCK, "offset", 0.0)
    today = await counted(ledger, "s-today", 25)
    day = wall_now().astimezone(ZoneInfo(TZ)).date()
    close = closer(ledger, tmp_path)

    report = await close.close(day)
    still_open = report["registers"]["open"]
    rows = await ledger.registers.differences(status="open")
    assert len(rows) == 505 and still_open["count"] == 505
    assert still_open["total"] == sum(r["value"] for r in rows)  # the rows summed one by one
    for kind in ("over", "short", "counterfeit"):
        mine = [r["value"] for r in rows if r["kind"] == kind]
        assert still_open["by_kind"][kind] == {"count": len(mine), "total": sum(mine)}
    # the spec's digest: SHA-256 of the RFC 8785 form of the whole list, by number
    assert still_open["digest"] == hashlib.sha256(canonicalize([[r["id"], r["kind"], r["value"]] for r in rows])).hexdigest()
    assert still_open["last"] == today[-1]
    # the oldest ten carried over, and the day's new ones (the first 20 of 25) by number
    assert [d["no"] for d in still_open["earlier"]["oldest"]] == earlier[:10]
    assert still_open["earlier"]["count"] == 480
    assert still_open["period"]["count"] == 25 and [d["no"] for d in still_open["period"]["listed"]] == today[:20]
    assert still_open["period"]["listed"][2]["serial"] == "AB00000000"  # a counterfeit: its serial

    size = len(await close_entry(ledger, report["audit"]["seq"]))
    assert size < 8000, size
    total = still_open["total"]
    for lang, words in (("zh-CN", [f"未处理差额: 505 / {format_money(total)}", "另有 470 笔未列出", "另有 5 笔未列出",
                                   "完整清单：kioskctl difference list"]),
                        ("en", [f"Differences still open: 505 / {format_money(total, 'CNY', 'en')}",
                                "470 more not listed", "5 more not listed", "Full list: kioskctl difference list"])):
        lines = report_lines(report, lang)
        assert [w for w in words if not any(w in line for line in lines)] == [], (lang, lines)
        assert len(lines) < 120

    # a thousand more, counted earlier: the close's entry stays the same size (its figures' digits aside)
    monkeypatch.setattr(CLOCK, "offset", -2 * 86400.0)
    for s in range(4):
        await counted(ledger, f"s-more-{s}", 250)
    monkeypatch.setattr(CLOCK, "offset", 0.0)
    bigger = await close.close(day)
    assert bigger["registers"]["open"]["count"] == 1505
    assert abs(len(await close_entry(ledger, bigger["audit"]["seq"])) - size) < 40

    # every one is still in the full list, 100 a page
    differences, seen, after = Differences(ledger, TZ), [], None
    while page := await differences.listing("open", after=after, limit=100):
        seen += [d["id"] for d in page]
        after = page[-1]["id"]
    assert seen == sorted(r["id"] for r in await ledger.registers.differences(status="open")) and len(seen) == 1505

    # the chain's difference entries before each close give what it signed
    assert await verified(ledger) == []


async def test_a_settled_difference_leaves_the_summary(ledger: Ledger, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(CLOCK, "offset", -86400.0)
    earlier = await counted(ledger, "s-old", 12)
    monkeypatch.setattr(CLOCK, "offset", 0.0)
    today = await counted(ledger, "s-today", 3)
    day = wall_now().astimezone(ZoneInfo(TZ)).date()
    close = closer(ledger, tmp_path)
    before = (await close.close(day))["registers"]["open"]
    assert [d["no"] for d in before["earlier"]["oldest"]] == earlier[:10]

    differences = Differences(ledger, TZ)
    await differences.resolve([earlier[0]], "vendor_claim", "a short note", None, HALL, MANAGER)  # short 50
    await differences.resolve([today[1]], "surplus", "kept", None, HALL, MANAGER)  # over 100
    after = (await close.close(day))["registers"]["open"]
    assert (after["count"], after["total"]) == (before["count"] - 2, before["total"] - 5000 - 10000)
    assert [d["no"] for d in after["earlier"]["oldest"]] == earlier[1:11]
    assert [d["no"] for d in after["period"]["listed"]] == [today[0], today[2]]
    assert after["digest"] != before["digest"]
    assert await verified(ledger) == []

    # tomorrow's close: today's differences are carried over with the rest
    tomorrow = (await close.close(day + timedelta(days=1)))["registers"]["open"]
    assert tomorrow["period"] == {"count": 0, "total": 0, "listed": []}
    assert tomorrow["earlier"]["count"] == tomorrow["count"] == 13


async def test_audit_verify_names_a_close_whose_summary_the_chain_does_not_give(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ledger = await Ledger.open(tmp_path, KIOSK)
    try:
        await counted(ledger, "s-1", 7)
        rows = await ledger.registers.differences(status="open")
        true = await ledger.registers.open_summary("", "~")
        assert true["count"] == 7 and true["total"] == sum(r["value"] for r in rows)
        # a close signed with one difference fewer than the chain before it holds (its hash is right)
        seq, _ = await ledger.audit_append("daily_close", {"registers": {"open": {**true, "count": 6}}})
        key = Ed25519PrivateKey.generate()
        save_key(tmp_path, key)
        await ledger.audit_checkpoint(key_signer(key))
        # start-up's quick check leaves this replay to audit verify
        assert await ledger.audit_check(signature_checker(key.public_key()), full=False) == []
    finally:
        await ledger.close()
    code, out = await verify(tmp_path, capsys)
    assert code == 1 and f"{seq}: entry {seq} (daily close): its open differences' count is 6, the chain before it gives 7" in out
