"""The issue's whole custody session at the simulated kiosk: one counterfeit and one short note,
reconciled per denomination, the handover record printed (zh-CN, then en) with its digest in the
audit chain and the backend's batch, both differences claimed from the vendor (explained by hall
staff, approved by a manager), the claim compensated and shown in the month's claim list."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kioskd.custody.count import LETTERS
from tests.daemon import ROOT, STEP, start_kiosk
from tests.integrity.test_money_chain import without_trigger
from tests.staff.conftest import Staff, add_staff, pay

pytestmark = pytest.mark.slow

STAFF = {"7001": ("张伟", "technician", "246810"), "7002": ("李娜", "technician", "135791"),
         "2001": ("王芳", "hall", "112233"), "8001": ("赵经理", "manager", "445566")}


def kioskctl(*args: str, stdin: str = "", module: str = "kioskd.cli.main") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, input=stdin,
                          capture_output=True, text=True, timeout=60)


def serial_keys(serial: str) -> list[str]:
    """A serial number on the keypad: a letter is its digit, then `finish` until it shows."""
    keys: list[str] = []
    for ch in serial:
        digit = ch if ch.isdigit() else next(d for d, letters in LETTERS.items() if ch in letters)
        keys += [digit] + (["finish"] * (LETTERS[digit].index(ch) + 1) if ch.isalpha() else [])
    return keys


async def as_staff(staff: Staff, who: str, request: dict[str, Any]) -> dict[str, Any]:
    """A control request as a staff member (ID and secret), as kioskctl --as sends it."""
    return await staff.request({**request, "staff": who, "secret": STAFF[who][2]})


async def test_counterfeit_and_short_end_in_a_signed_handover_and_a_compensated_claim(tmp_path: Path) -> None:
    state = tmp_path / "state"
    kiosk = await start_kiosk(state)
    staff = Staff(kiosk)
    try:
        await kiosk.until(lambda s: s.get("state") == "service_idle", "the idle screen")
        await asyncio.to_thread(add_staff, state, STAFF)
        await pay(kiosk, "0012345678", [10000, 10000, 5000, 5000])
        await pay(kiosk, "0023456789", [2000, 500])

        assert (await as_staff(staff, "2001", {"cmd": "cashbox_open"}))["ok"]
        await kiosk.until(lambda s: s["state"] == "maintenance_login", "the technician login")
        for tech in ("7001", "7002"):
            await kiosk.press(*tech, "confirm", *STAFF[tech][2], "confirm")
        await kiosk.until(lambda s: s["state"] == "maintenance_open", "the box released")
        await kiosk.fault("box_removed", True)
        await kiosk.until(lambda s: s["custody"]["box_out"], "the box out")
        await kiosk.fault("box_removed", False)
        await kiosk.until(lambda s: s["state"] == "maintenance_count", "the count")
        # 1 and 10 yuan: none; 5, 20: one each; 50: one (the counters say two); 100: one genuine, a counterfeit
        for figure in ("0", "1", "0", "1", "1", "1", "1", "100"):
            await kiosk.press(*figure, "confirm")
        await kiosk.press(*serial_keys("WR12345678"))
        snap = await kiosk.until(lambda s: s["custody"].get("entry") == "WR12345678", "the serial typed")
        await kiosk.press("confirm")
        for tech in ("7001", "7002"):
            await kiosk.press(*STAFF[tech][2], "confirm")
        snap = await kiosk.until(lambda s: s["custody"]["step"] == "ended", "the reconciliation")

        shown = snap["custody"]
        rows = {r["value"]: r for r in shown["result"]}
        assert (rows[10000]["expected"], rows[10000]["counted"], rows[10000]["counterfeit"],
                rows[10000]["verdict"]) == (2, 1, 1, "match")
        assert (rows[5000]["expected"], rows[5000]["counted"], rows[5000]["verdict"]) == (2, 1, "short")
        assert shown["totals"] == {"expected": 32500, "counted": 17500, "counterfeit": 10000, "over": 0,
                                   "short": 5000, "difference": -15000}
        assert shown["counterfeits"] == [{"value": 10000, "serial": "WR12345678"}]
        assert (shown["outcome"], shown["handover"], shown["differences"]) == ("mismatch", "printed", 2)
        digest = shown["digest"]
        printed = "\n".join(await kiosk.until_printed("钱箱交接记录"))
        assert digest[:32] in printed and digest[32:] in printed
        assert "¥100.00 2/1/1 相符" in printed and "¥50.00 2/1/0 少 1" in printed and "WR12345678" in printed
        assert "技术员一: 7001 张伟" in printed and printed.count("签字: ______________") == 2
        await kiosk.press("confirm")
        await kiosk.until(lambda s: s["state"] == "service_idle", "back in service")

        # the differences, open until two people settle them
        listed = await as_staff(staff, "2001", {"cmd": "difference_list"})
        diffs = {d["kind"]: d for d in listed["differences"]}
        assert sorted(diffs) == ["counterfeit", "short"] and diffs["counterfeit"]["serial"] == "WR12345678"
        nos = sorted(d["id"] for d in diffs.values())
        daily = (await as_staff(staff, "2001", {"cmd": "report_daily"}))["report"]["registers"]
        assert sorted((d["kind"], d["value"]) for d in daily["open"]["period"]["listed"]) == [("counterfeit", 10000), ("short", 5000)]
        own = await as_staff(staff, "2001", {"cmd": "difference_resolve", "nos": nos, "outcome": "vendor_claim",
                                             "explanation": "validator took a fake", "approver": "2001",
                                             "approver_secret": STAFF["2001"][2]})
        assert not own["ok"] and "second person" in own["error"]
        not_manager = await as_staff(staff, "8001", {"cmd": "difference_resolve", "nos": nos, "outcome": "loss",
                                                     "explanation": "x", "approver": "2001",
                                                     "approver_secret": STAFF["2001"][2]})
        assert not not_manager["ok"] and "may not difference approve" in not_manager["error"]
        done = await as_staff(staff, "2001", {"cmd": "difference_resolve", "nos": nos, "outcome": "vendor_claim",
                                              "explanation": "validator took a fake; one 50 missing",
                                              "approver": "8001", "approver_secret": STAFF["8001"][2]})
        assert done["ok"], done
        claim = done["claim"]
        assert (await as_staff(staff, "2001", {"cmd": "difference_list"}))["differences"] == []

        # the claim form, printed in English; the hall may not settle it, the manager does
        shown_claim = await as_staff(staff, "2001", {"cmd": "claim_show", "no": claim, "print": True, "lang": "en"})
        assert shown_claim["claim"]["amount"] == 15000 and shown_claim["claim"]["status"] == "claimed"
        form = "\n".join(await kiosk.until_printed("Vendor claim"))
        assert "counterfeit ¥100.00 WR12345678" in form and "short ¥50.00" in form and "Amount: ¥150.00" in form
        refused = await as_staff(staff, "2001", {"cmd": "claim_settle", "no": claim, "status": "compensated"})
        assert not refused["ok"]
        settled = await as_staff(staff, "8001", {"cmd": "claim_settle", "no": claim, "status": "compensated",
                                                 "vendor_ref": "V-2025-17"})
        assert settled["claim"]["status"] == "compensated"
        back = await as_staff(staff, "8001", {"cmd": "claim_settle", "no": claim, "status": "rejected"})
        assert not back["ok"] and "cannot become rejected" in back["error"]

        month = (await staff.request({"cmd": "status"}))["today"][:7]
        listing = kioskctl("claim", "list", "--month", month, "--lang", "en", "--socket", str(state / "control.sock"),
                           "--as", "2001", "--secret-stdin", stdin=STAFF["2001"][2] + "\n")
        assert listing.returncode == 0, listing.stderr
        assert f"#{claim} " in listing.stdout and "compensated" in listing.stdout and "¥150.00" in listing.stdout
        claims_csv = kioskctl("claim", "list", "--month", month, "--csv", "--socket", str(state / "control.sock"),
                              "--as", "2001", "--secret-stdin", stdin=STAFF["2001"][2] + "\n").stdout.splitlines()
        assert claims_csv[0] == ("no,session,box_id,created,notes,amount,status,serials,vendor_ref,remark,by,updated,"
                                 "updated_by")
        assert claims_csv[1].startswith(f"{claim},") and ",2,15000,compensated," in claims_csv[1]
        assert "V-2025-17" in claims_csv[1]
        await the_work_log_and_the_json_export(staff, state, claim)
        await keys_patrols_and_photos_by_kioskctl(kiosk, state)
        listings_in_both_languages(state)

        reprint = await as_staff(staff, "2001", {"cmd": "handover_show", "print": True, "lang": "en"})
        assert reprint["handover"]["digest"] == digest
        english = "\n".join(await kiosk.until_printed("Cash-box handover record"))
        assert "$" not in english and "Technician 2: 7002 李娜" in english and digest[:32] in english
        report = await as_staff(staff, "8001", {"cmd": "report_close"})  # the close also sends a batch
        assert report["report"]["registers"]["claims"] == {"compensated": {"count": 1, "total": 15000}}
        assert report["report"]["box_emptied"]["missed"] is False and len(report["report"]["box_emptied"]["boxes"]) == 1
        await backend_has(state, "claim", lambda r: r["status"] == "compensated")
        await reports_agree_with_the_backend(staff, state, 32500)
    finally:
        assert await kiosk.stop() == 0

    journal = sqlite3.connect(state / "journal.sqlite3")
    entries = [(k, json.loads(d)) for k, d in journal.execute("select kind, data from audit order by seq")]
    assert [d["digest"] for k, d in entries if k == "handover"] == [digest]
    assert [d["approved_by"] for k, d in entries if k == "difference_resolved"] == ["8001", "8001"]
    backend = sqlite3.connect(state / "backend.sqlite3")
    sent = [json.loads(b) for (b,) in backend.execute("select body from batch_records where kind = 'handover'")]
    assert [r["digest"] for r in sent] == [digest] and sent[0]["record"]["counterfeits"][0]["serial"] == "WR12345678"
    verify = kioskctl("audit", "verify", "--state", str(state), "--key", str(state / "kiosk.key"))
    assert verify.returncode == 0, verify.stdout + verify.stderr
    journal.close()

    # the claim's status edited in the file (its guard trigger put back as it was) is caught
    tampered = sqlite3.connect(state / "journal.sqlite3", isolation_level=None)
    without_trigger(tampered, "vendor_claims_status", f"UPDATE vendor_claims SET status = 'claimed' WHERE id = {claim}")
    tampered.close()
    verify = kioskctl("audit", "verify", "--state", str(state), "--key", str(state / "kiosk.key"), "--lang", "en")
    assert verify.returncode == 1 and f"vendor claim {claim} differs from its chain entry" in verify.stdout


async def the_work_log_and_the_json_export(staff: Staff, state: Path, claim: int) -> None:
    """kioskctl audit list by day, kind and person (CSV), audit print, and a register as JSON."""
    sock, today = str(state / "control.sock"), (await staff.request({"cmd": "status"}))["today"]
    as_hall = ("--socket", sock, "--as", "2001", "--secret-stdin")
    worklog = kioskctl("audit", "list", "--day", today, "--kind", "difference_resolved,claim_compensated",
                       "--person", "8001", "--csv", *as_hall, stdin=STAFF["2001"][2] + "\n")
    assert worklog.returncode == 0, worklog.stderr
    rows = list(csv.DictReader(io.StringIO(worklog.stdout)))
    assert [r["kind"] for r in rows] == ["difference_resolved", "difference_resolved", "claim_compensated"]
    assert json.loads(rows[0]["data"])["approved_by"] == "8001" and rows[0]["by"] == "2001"
    assert rows[2]["by"] == "8001" and json.loads(rows[2]["data"])["no"] == claim
    yesterday = kioskctl("audit", "list", "--day", "2020-01-01", "--csv", *as_hall, stdin=STAFF["2001"][2] + "\n")
    assert yesterday.stdout.splitlines() == ["seq,at,kind,by,by_name,data,hash"]  # another day: no entries
    printed = kioskctl("audit", "print", "--day", today, "--person", "7002", "--print-lang", "en", *as_hall,
                       stdin=STAFF["2001"][2] + "\n")
    assert printed.returncode == 0, printed.stderr
    paper = "\n".join(await staff.kiosk.until_printed("Work log"))
    # each event in words (kioskd/hall/registers/events.py), not the chain's identifiers
    assert "custody session ended 7001+7002" in paper and "count recorded 7001+7002" in paper
    assert "custody_" not in paper and "claim compensated" not in paper  # 7002 did not settle it
    exported = kioskctl("difference", "list", "--status", "all", "--json", *as_hall, stdin=STAFF["2001"][2] + "\n")
    settled = json.loads(exported.stdout)["differences"]
    assert [(d["kind"], d["outcome"], d["claim"]) for d in settled] == [
        ("short", "vendor_claim", claim), ("counterfeit", "vendor_claim", claim)]
    # a page at a time: the next page's --after on stderr, the last page names none
    first = kioskctl("difference", "list", "--status", "all", "--limit", "1", "--lang", "en", *as_hall,
                     stdin=STAFF["2001"][2] + "\n")
    [row] = first.stdout.splitlines()[2:]  # the heading and its rule, then one difference
    assert first.returncode == 0 and row.split()[:2] == [str(settled[0]["id"]), "short"], first.stdout
    assert first.stderr.strip() == f"more entries: --after {settled[0]['id']}"
    rest = kioskctl("difference", "list", "--status", "all", "--after", str(settled[0]["id"]), "--json", *as_hall,
                    stdin=STAFF["2001"][2] + "\n")
    assert [d["id"] for d in json.loads(rest.stdout)["differences"]] == [settled[1]["id"]]
    assert json.loads(rest.stdout)["newer"] is None


async def keys_patrols_and_photos_by_kioskctl(kiosk: Any, state: Path) -> None:
    """A counterfeit's photo recorded once, a box key issued (the receiver's PIN), a patrol: each
    printed (the monthly key register, the patrol log) or exported as CSV."""
    sock = ("--socket", str(state / "control.sock"))
    hall, manager = (*sock, "--as", "2001", "--secret-stdin"), (*sock, "--as", "8001", "--secret-stdin")
    photo = kioskctl("counterfeit", "photo", "1", "photos/WR12345678.jpg", *hall, stdin=STAFF["2001"][2] + "\n")
    assert photo.returncode == 0 and "WR12345678: photos/WR12345678.jpg" in photo.stdout, photo.stderr
    again = kioskctl("counterfeit", "photo", "1", "other.jpg", *hall, stdin=STAFF["2001"][2] + "\n")
    assert again.returncode != 0  # recorded once
    issued = kioskctl("key", "hand", "box-1", "--key", "box", "--to", "7001", "--reason", "issued",
                      "--to-secret-stdin", *manager, stdin=f"{STAFF['7001'][2]}\n{STAFF['8001'][2]}\n")
    assert issued.returncode == 0 and json.loads(issued.stdout)["to"] == "7001", issued.stderr
    printed = kioskctl("key", "list", "--print", "--print-lang", "en", *hall, stdin=STAFF["2001"][2] + "\n")
    assert printed.returncode == 0, printed.stderr
    register = "\n".join(await kiosk.until_printed("Key register"))
    assert "box-1" in register and "7001" in register and "issued" in register
    checked = kioskctl("patrol", "check", "--problem", "seal", "--note", "scratch by the lock", *hall,
                       stdin=STAFF["2001"][2] + "\n")
    assert checked.returncode == 0, checked.stderr
    patrols = kioskctl("patrol", "list", "--csv", *hall, stdin=STAFF["2001"][2] + "\n")
    [row] = list(csv.DictReader(io.StringIO(patrols.stdout)))
    assert (row["by"], row["screen_ok"], row["seal_ok"], row["note"]) == ("2001", "True", "False",
                                                                          "scratch by the lock")
    # a note added to the patrol afterwards, by a manager: shown under it, with who added it
    noted = kioskctl("patrol", "note", "1", "--note", "lock checked, no entry", "--lang", "en", *manager,
                     stdin=STAFF["8001"][2] + "\n")
    assert noted.returncode == 0 and "patrol #1: lock checked, no entry" in noted.stdout, noted.stderr
    listed = kioskctl("patrol", "list", "--lang", "en", *hall, stdin=STAFF["2001"][2] + "\n")
    lines = listed.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("#1 ") and "2001 王芳" in line)
    assert lines[at + 1:at + 3] == ["  screen ok paper ok seal PROBLEM", "  scratch by the lock"]
    assert lines[at + 3].startswith("  + ") and lines[at + 3].endswith(" 8001 赵经理: lock checked, no entry")
    assert kioskctl("patrol", "note", "99", "--note", "x", *hall, stdin=STAFF["2001"][2] + "\n").returncode != 0
    patrols = kioskctl("patrol", "list", "--csv", *hall, stdin=STAFF["2001"][2] + "\n")
    [row] = list(csv.DictReader(io.StringIO(patrols.stdout)))
    assert [(n["by"], n["note"]) for n in json.loads(row["notes"])] == [("8001", "lock checked, no entry")]


def listings_in_both_languages(state: Path) -> None:
    """Each register's listing in zh-CN (the default) and in en (--lang en): headings and words."""
    hall = ("--socket", str(state / "control.sock"), "--as", "2001", "--secret-stdin")

    def listing(*args: str) -> list[str]:
        shown = kioskctl(*args, *hall, stdin=STAFF["2001"][2] + "\n")
        assert shown.returncode == 0, shown.stderr
        return shown.stdout.splitlines()

    zh, en = listing("difference", "list", "--status", "all"), listing("difference", "list", "--status", "all",
                                                                         "--lang", "en")
    assert zh[0].split() == ["编号", "类型", "面额", "冠字号", "清点时间", "状态", "处理方式", "可能对应"]
    assert en[0].split() == ["no", "kind", "value", "serial", "counted", "status", "outcome", "may", "be"]
    counterfeit = next(line for line in zh if "WR12345678" in line)
    assert "假币" in counterfeit and "已处理" in counterfeit and "向厂商索赔" in counterfeit
    counterfeit = next(line for line in en if "WR12345678" in line)
    assert "counterfeit" in counterfeit and "resolved" in counterfeit and "claim from the vendor" in counterfeit
    zh, en = listing("claim", "list"), listing("claim", "list", "--lang", "en")
    assert "已赔付" in zh[1] and "已赔付: 1 / ¥150.00" in zh and zh[-1] == "合计: 1 / ¥150.00"
    assert "compensated" in en[1] and "compensated: 1 / ¥150.00" in en and en[-1] == "Total: 1 / ¥150.00"
    zh, en = listing("key", "list"), listing("key", "list", "--lang", "en")
    assert "当前持有人:" in zh and "  box-1 (钱箱钥匙): 7001 张伟" in zh and "交接:" in zh and "签字: ______________" in zh
    assert "Held now by:" in en and "  box-1 (cash-box key): 7001 张伟" in en and "Handovers:" in en
    zh, en = listing("patrol", "list"), listing("patrol", "list", "--lang", "en")
    assert "  屏幕 正常 打印纸 正常 防撬 异常" in zh and "  screen ok paper ok seal PROBLEM" in en
    zh, en = listing("audit", "list", "--kind", "key_handover"), listing("audit", "list", "--kind", "key_handover",
                                                                         "--lang", "en")
    assert "钥匙交接 8001 赵经理" in zh[1] and "key handed over 8001 赵经理" in en[1]
    assert listing("audit", "list", "--day", "2020-01-01") == ["-" * 32, "无"]
    # the work log a page at a time: the next page named on stderr, in the output language
    first = kioskctl("audit", "list", "--kind", "key_handover,patrol", "--limit", "1", *hall, stdin=STAFF["2001"][2] + "\n")
    [seq] = [int(w.removeprefix("#")) for w in first.stdout.splitlines()[1].split()[:1]]
    assert "钥匙交接" in first.stdout and first.stderr == f"还有更多条目：--after {seq}\n"
    rest = kioskctl("audit", "list", "--kind", "key_handover,patrol", "--after", str(seq), "--lang", "en", *hall,
                    stdin=STAFF["2001"][2] + "\n")
    assert "patrol check-in" in rest.stdout and "key handed over" not in rest.stdout and rest.stderr == ""
    bad = kioskctl("audit", "list", "--limit", "0", *hall, stdin=STAFF["2001"][2] + "\n")
    assert bad.returncode != 0 and "limit" in bad.stderr


async def backend_has(state: Path, kind: str, test: Any) -> None:
    """Wait (bounded) until the reference backend filed a batch record of `kind` that passes `test`."""
    async with asyncio.timeout(STEP):
        while True:
            with sqlite3.connect(state / "backend.sqlite3") as db:
                found = [json.loads(b) for (b,) in db.execute("select body from batch_records where kind = ?",
                                                                 (kind,))]
            if any(test(r) for r in found):
                return
            await asyncio.sleep(0.2)  # another process: poll, bounded


async def reports_agree_with_the_backend(staff: Staff, state: Path, credited: int) -> None:
    """The week's and the range's reports and the reconciliation CSV against the backend's own export."""
    today = (await staff.request({"cmd": "status"}))["today"]
    week = (await as_staff(staff, "2001", {"cmd": "report_period", "period": "week"}))["report"]
    month = (await as_staff(staff, "2001", {"cmd": "report_period", "period": "month"}))["report"]
    days = (await as_staff(staff, "2001", {"cmd": "report_range", "since": today, "until": today}))["report"]
    exported = kioskctl("report", "export", today, today, "--socket", str(state / "control.sock"), "--as", "2001",
                        "--secret-stdin", stdin=STAFF["2001"][2] + "\n")
    assert exported.returncode == 0, exported.stderr
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert list(rows[0]) == ["kiosk", "day", "seq", "txn", "account", "amount", "currency", "notes", "started",
                             "ended", "state", "ref", "reason", "opened_reason"]
    backend = kioskctl("export", "payments", "--day", today, "--db", str(state / "backend.sqlite3"),
                       module="refbackend")
    assert backend.returncode == 0, backend.stderr
    theirs = list(csv.DictReader(io.StringIO(backend.stdout)))
    assert sum(int(r["amount"]) for r in theirs if r["outcome"] == "credited") == credited
    assert sum(int(r["amount"]) for r in rows if r["state"] == "credited") == credited
    assert {r["txn"]: r["ref"] for r in rows} == {r["txn"]: r["ref"] for r in theirs}
    assert week["total"] == days["total"] == credited and week["by_status"] == {"credited": {"count": 2,
                                                                                           "total": credited}}
    assert week["period"] == "week" and week["first"] <= today <= week["last"]
    assert month["period"] == "month" and month["first"] == today[:8] + "01" and month["total"] == credited
