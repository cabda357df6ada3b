"""A kiosk is installed without the reference backend's extra: no psycopg, no PyNaCl, and it runs."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from tests.daemon import ROOT, start_kiosk

BACKEND_ONLY = {"psycopg", "pynacl"}  # what `pip install kioskd[backend]` adds
# import names of those distributions: the simulated kiosk must not reach for them
BLOCKED = ("psycopg", "nacl")


def requirement_names(requirements: list[str]) -> set[str]:
    return {re.split(r"[\[<>=~!; ]", r, maxsplit=1)[0].lower() for r in requirements}


def test_the_backend_s_libraries_come_with_its_extra_only() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert requirement_names(project["dependencies"]) & BACKEND_ONLY == set()
    assert BACKEND_ONLY <= requirement_names(project["optional-dependencies"]["backend"])


@pytest.mark.slow
async def test_a_simulated_kiosk_takes_a_payment_without_them(tmp_path: Path, monkeypatch) -> None:
    """`pip install .` then `kioskd run --simulate`: psycopg and PyNaCl cannot be imported."""
    site = tmp_path / "site"
    site.mkdir()
    # a None entry in sys.modules makes every import of that package fail, as when not installed
    (site / "sitecustomize.py").write_text(
        f"import sys\nsys.modules.update(dict.fromkeys({BLOCKED!r}))\n", encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(site))
    kiosk = await start_kiosk(tmp_path / "state")
    try:
        await kiosk.until(lambda s: s.get("state") == "service_idle", "the idle screen")
        snap = await kiosk.pay("0012345678", [10000, 2000, 500])
        # the simulator's backend checked the kiosk's signature without libsodium and credited it
        assert (snap["result"]["status"], snap["result"]["amount"]) == ("credited", 12500)
    finally:
        assert await kiosk.stop() == 0
    log = (tmp_path / "daemon.log").read_text(encoding="utf-8")
    assert "Traceback" not in log
