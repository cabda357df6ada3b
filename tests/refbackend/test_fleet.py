"""The operator's side on SQLite and PostgreSQL: exports agree with the credits, fleet alerts, login."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from refbackend import ReferenceBackend
from refbackend.fleet.config import FleetConfig
from refbackend.fleet.exports import collection_rows, custody_rows, payment_rows
from refbackend.fleet.overview import fleet_view
from refbackend.operators import add_operator
from refbackend.testbed.kiosks import BLOCKED, SimKiosk, ago
from tests.refbackend.fleetsim import FleetClient

CONFIG = FleetConfig(timezone="UTC", silent_after=600, box_alert_at=0.9, collect_at=0.8)
PASSWORD = "correct horse battery"


@pytest.fixture
async def fleet(db_target: Path | str) -> AsyncIterator[tuple[ReferenceBackend, FleetClient]]:
    ref = ReferenceBackend(db_target, fleet=CONFIG)
    await ref.start()
    async with aiohttp.ClientSession() as session:
        yield ref, FleetClient(ref, session)
    await ref.stop()
    ref.close()


async def test_exports_agree_with_the_credited_payments_and_custody_counts(fleet) -> None:
    ref, net = fleet
    a1, a2, b1 = (net.enrol(SimKiosk(kid, hall)) for kid, hall in (("K-A1", "H-A"), ("K-A2", "H-A"), ("K-B1", "H-B")))
    opened = ago(seconds=20)
    for kiosk, amounts in ((a1, [10000, 15000, 5000]), (a2, [20000]), (b1, [5000, 5000])):
        for amount in amounts:
            status, answer = await net.post(kiosk, "v1/payments", kiosk.payment(amount, ended=ago(seconds=60)))
            assert (status, answer["status"]) == (200, "credited")
    assert (await net.post(a2, "v1/payments", a2.payment(5000, BLOCKED)))[0] == 422
    # K-A1's box taken out after its three payments; the technicians counted 5000 fen short
    batch, token = a1.custody_batch("S-1", ago(hours=1), {5000: 6}, {5000: 5}, opened, ago(seconds=10))
    assert await net.post(a1, "v1/batches", batch, token) == (200, {"seq": 1, "status": "accepted"})

    today = datetime.now(UTC).date()
    rows = payment_rows(ref.store, CONFIG, today)
    credited = {r["txn"]: r["amount"] for r in rows if r["outcome"] == "credited"}
    assert credited == {**ref.credits("K-A1"), **ref.credits("K-A2"), **ref.credits("K-B1")}
    assert [(r["hall"], r["kiosk"], r["seq"]) for r in rows] == [
        ("H-A", "K-A1", 1), ("H-A", "K-A1", 2), ("H-A", "K-A1", 3), ("H-A", "K-A2", 1), ("H-A", "K-A2", 2),
        ("H-B", "K-B1", 1), ("H-B", "K-B1", 2)]
    refused = [r for r in rows if r["outcome"] == "refused"]
    assert [(r["kiosk"], r["reason"], r["ref"]) for r in refused] == [("K-A2", "account_blocked", None)]
    assert sum(r["amount"] for r in payment_rows(ref.store, CONFIG, today, "H-B")) == 10000
    [session] = custody_rows(ref.store, CONFIG, today)
    assert (session["kiosk"], session["expected"], session["counted"], session["credited"], session["difference"]) == (
        "K-A1", 30000, 25000, 30000, -5000)
    view = fleet_view(ref.store, CONFIG, datetime.now(UTC))
    halls = {h["hall"]: h for h in view["halls"]}
    assert (halls["H-A"]["takings"], halls["H-A"]["payments"], halls["H-A"]["refused"]) == (50000, 4, 1)
    assert (halls["H-A"]["differences"], halls["H-A"]["cases"], halls["H-B"]["takings"]) == (-5000, 0, 10000)


async def test_a_silent_kiosk_and_a_nearly_full_box_raise_their_alerts(fleet) -> None:
    ref, net = fleet
    quiet, full, fine, off = (net.enrol(SimKiosk(f"K-{n}", "H-A")) for n in ("QUIET", "FULL", "FINE", "OFF"))
    for kiosk, notes in ((quiet, 100), (full, 1380), (fine, 300)):
        assert await net.post(kiosk, "v1/status", kiosk.status(notes)) == (200, {"status": "recorded"})
    ref.disable(off.kid)
    later = datetime.fromisoformat(ago(seconds=-700))  # 700 s on: nothing from QUIET, FULL and FINE since
    assert await net.post(full, "v1/alerts", {
        "type": "alert", "kiosk": full.kid, "id": "00000000-0000-4000-8000-000000000001", "code": "note_jam",
        "severity": "critical", "state": "raised", "at": ago(seconds=5), "ts": ago(seconds=0), "detail": {}}) == (
        200, {"id": "00000000-0000-4000-8000-000000000001"})
    now = datetime.now(UTC)
    alerts = [(a["kiosk"], a["code"], a["severity"]) for a in fleet_view(ref.store, CONFIG, now)["alerts"]]
    assert alerts == [("K-FULL", "note_jam", "critical"), ("K-FULL", "box_near_full", "warning")]
    alerts = [(a["kiosk"], a["code"]) for a in fleet_view(ref.store, CONFIG, later)["alerts"]]
    # most severe first, then oldest: the jam, then the kiosks by their last contact (FULL's was its alert)
    assert alerts == [("K-FULL", "note_jam"), ("K-QUIET", "silent"), ("K-FINE", "silent"), ("K-FULL", "silent"),
                      ("K-FULL", "box_near_full")]
    kiosk = {k["kiosk"]: k for k in fleet_view(ref.store, CONFIG, now)["kiosks"]}
    # 1380 notes in two days: 690 a day, 120 left: full tomorrow
    assert kiosk["K-FULL"]["box"]["full_on"] == (now.date().fromordinal(now.date().toordinal() + 1)).isoformat()
    assert [(r["kiosk"], r["reason"]) for r in collection_rows(ref.store, CONFIG, now)] == [("K-FULL", "forecast")]
    daily = FleetConfig(timezone="UTC", empty_daily=("H-A",))
    assert [r["kiosk"] for r in collection_rows(ref.store, daily, now)] == ["K-FINE", "K-FULL", "K-QUIET"]


async def test_operator_login_session_cookie_and_refusals(fleet) -> None:
    ref, _ = fleet
    add_operator(ref.store, "ana", "安娜", PASSWORD)
    origin = ref.url.rstrip("/")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:  # IP hosts too
        async with browser.get(ref.url + "operator/api/fleet") as resp:
            assert resp.status == 401
        form = {"login": "ana", "password": "wrong password"}
        async with browser.post(ref.url + "operator/login", data=form, headers={"Origin": origin}) as resp:
            assert (resp.status, await resp.json()) == (401, {"error": "bad_login"})
        form["password"] = PASSWORD
        async with browser.post(ref.url + "operator/login", data=form, headers={"Origin": "http://evil.example"}) as resp:
            assert resp.status == 403
        async with browser.post(ref.url + "operator/login", data=form, headers={"Origin": origin}) as resp:
            assert resp.status == 200
            cookie = resp.headers["Set-Cookie"]
            assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        async with browser.get(ref.url + "operator/api/fleet") as resp:
            assert resp.status == 200 and (await resp.json())["operator"] == {"login": "ana", "name": "安娜"}
        async with browser.get(ref.url + "operator/export/payments.csv?day=2026-11-23") as resp:
            assert resp.status == 200
            header = next(csv.reader(io.StringIO(await resp.text())))
            assert header[:4] == ["day", "hall", "kiosk", "seq"]
    async with aiohttp.ClientSession() as other:
        for _ in range(4):  # with the one above, five wrong passwords from this address within a minute
            async with other.post(ref.url + "operator/login", data={"login": "x", "password": "y" * 10},
                                  headers={"Origin": origin}) as resp:
                assert resp.status == 401
        async with other.post(ref.url + "operator/login", data=form, headers={"Origin": origin}) as resp:
            assert resp.status == 429 and int(resp.headers["Retry-After"]) >= 1
