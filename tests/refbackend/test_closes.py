"""The backend checks each kiosk's daily closes against its count differences: a real kiosk journal's
closes (open differences as a summary, one from before the summary, one forged with a wrong total)
reach the store in batches, one resent in part, and `kioskd-backend closes` names the one that
disagrees with the difference entries before it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from backend_api.keys import public_b64url
from kioskd.hall.registers.differences import Differences
from kioskd.ledger import Ledger
from kioskd.system.clock import CLOCK, wall_now
from refbackend.cli import main as backend_cli
from refbackend.fleet.closes import close_checks
from refbackend.store import open_store
from refbackend.testbed.kiosks import SimKiosk, ago
from tests.ledger.conftest import KIOSK
from tests.registers.test_open_summary import HALL, MANAGER, TZ, closer, counted


@pytest.fixture
async def ledger(tmp_path: Path) -> AsyncIterator[Ledger]:
    opened = await Ledger.open(tmp_path / "kiosk", KIOSK)
    yield opened
    await opened.close()


async def test_the_backend_names_the_close_its_difference_records_do_not_give(
        ledger: Ledger, tmp_path: Path, db_target: Path | str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(CLOCK, "offset", -3 * 86400.0)
    old = await counted(ledger, "s-old", 40)
    monkeypatch.setattr(CLOCK, "offset", 0.0)
    await counted(ledger, "s-today", 5)
    day = wall_now().astimezone(ZoneInfo(TZ)).date()
    close = closer(ledger, tmp_path)
    first = await close.close(day)
    await Differences(ledger, TZ).resolve([old[0], old[3]], "loss", "not found", None, HALL, MANAGER)
    second = await close.close(day)
    # a close from before the summary lists every open difference: left as it was
    listed = [{"no": d["id"], "kind": d["kind"], "value": d["value"]}
              for d in await ledger.registers.differences(status="open")]
    await ledger.audit_append("daily_close", {"date": "2026-01-01", "registers": {"open": listed}})
    # a close whose signed total is not the sum of the differences open before it
    forged = {**second["registers"]["open"], "total": second["registers"]["open"]["total"] + 5000}
    bad_seq, _ = await ledger.audit_append("daily_close", {"date": "2026-01-02", "registers": {"open": forged}})

    entries = await ledger.audit_entries(0, 10000)
    kiosk = SimKiosk(KIOSK, "H-1")
    store = open_store(db_target)
    store.enroll(KIOSK, public_b64url(kiosk.key), kiosk.hall)  # the operator's view shows enrolled kiosks
    try:
        # two batches, the second resending the first's last entries (a kiosk that crashed before noting it)
        for part in (entries[:30], entries[26:]):
            kiosk.audit_seq, kiosk.audit_hash = part[-1]["seq"], part[-1]["hash"]
            payload, token = kiosk.batch(part)
            assert store.apply_batch(KIOSK, payload, token, ago(seconds=1))[0] == 200
            if part is entries[:30]:  # before the forged close arrived: the fleet has no alert of it
                assert store.fleet_rows()["alerts"] == []
        rows = close_checks(store)
        # the forged close raised the fleet's alert as its batch arrived, naming the close and what disagrees
        alerts = store.fleet_rows()["alerts"]
        kiosk.audit_seq, kiosk.audit_hash = entries[-1]["seq"], entries[-1]["hash"]
        payload, token = kiosk.batch(entries[-1:])  # the close sent again (a kiosk restarted): no second alert
        assert store.apply_batch(KIOSK, payload, token, ago(seconds=1))[0] == 200
        assert len(store.fleet_rows()["alerts"]) == 1
    finally:
        store.close()
    true_total = sum(d["value"] for d in listed)
    assert [(a["kiosk"], a["code"], a["severity"]) for a in alerts] == [(KIOSK, "close_mismatch", "critical")]
    assert json.loads(alerts[0]["detail"]) == {
        "date": "2026-01-02", "seq": bad_seq, "field": "total", "signed": true_total + 5000, "chain": true_total,
        "reason": f"its open differences' total is {true_total + 5000}, the chain before it gives {true_total}"}
    assert [(r["seq"], r["verdict"]) for r in rows] == [
        (first["audit"]["seq"], "ok"), (second["audit"]["seq"], "ok"), (bad_seq - 1, "list"),
        (bad_seq, f"its open differences' total is {true_total + 5000}, the chain before it gives {true_total}")]
    assert [r["count"] for r in rows] == [45, 43, 43, 43]
    assert rows[1]["total"] == true_total == rows[2]["total"]

    code = backend_cli(["closes", "--db", str(db_target)])
    out = capsys.readouterr().out.splitlines()
    assert code == 1 and len(out) == 4
    yuan = f"¥{rows[1]['total'] // 100:,}.{rows[1]['total'] % 100:02d}"
    assert out[1] == f"{KIOSK}  seq {second['audit']['seq']}  {day}  open 43 / {yuan}  ok"
    assert out[3].startswith(f"{KIOSK}  seq {bad_seq}  2026-01-02  open 43 / ") and "total is" in out[3]
    assert backend_cli(["closes", "--kiosk", "K-OTHER", "--db", str(db_target)]) == 0
