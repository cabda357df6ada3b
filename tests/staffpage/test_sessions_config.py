"""Session expiry, the wrong-token limit over time, and the [staff_page] config keys."""

from __future__ import annotations

import tomllib
from pathlib import Path
from types import SimpleNamespace

import pytest

from kioskd import config as cfg
from kioskd.__main__ import main
from kioskd.hall.page import start_staff_page
from kioskd.hall.page.sessions import LoginLimiter, Sessions
from tests.daemon import ROOT


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_session_lives_twelve_hours_then_needs_a_new_login() -> None:
    clock = Clock()
    sessions = Sessions(clock=clock)
    sid = sessions.new("2001")
    assert sessions.person(sid) == "2001" and sessions.valid(sid) and not sessions.valid(sid[:-1] + "x") and not sessions.valid("")
    clock.now += 12 * 3600 - 1
    assert sessions.valid(sid)
    clock.now += 1
    assert not sessions.valid(sid) and len(sessions) == 0


def test_session_ids_are_random_and_bounded() -> None:
    sessions = Sessions()
    ids = [sessions.new(str(n)) for n in range(100)]
    assert len(set(ids)) == 100 and all(len(i) >= 40 for i in ids)
    assert len(sessions) == 64 and sessions.valid(ids[-1]) and not sessions.valid(ids[0])


def test_five_wrong_tokens_a_minute_per_client() -> None:
    clock = Clock()
    limiter = LoginLimiter(clock=clock)
    right = b"hall-staff-token-2024"
    for _ in range(5):
        assert limiter.blocked_for("10.0.0.7") == 0
        assert not limiter.check("10.0.0.7", b"guess", right)
        clock.now += 1
    assert limiter.blocked_for("10.0.0.7") == 55  # the first failure (5 s ago) ages out 60 s after it
    assert limiter.blocked_for("10.0.0.8") == 0  # another client is not punished
    assert limiter.check("10.0.0.8", right, right)
    clock.now += 54.5
    assert limiter.blocked_for("10.0.0.7") == 1
    clock.now += 0.5
    assert limiter.blocked_for("10.0.0.7") == 0


def simulate_config(tmp_path: Path, staff_page: str) -> Path:
    text = (ROOT / "config" / "simulate.toml").read_text(encoding="utf-8")
    path = tmp_path / "kiosk.toml"
    path.write_text(text + "\n[staff_page]\n" + staff_page, encoding="utf-8")
    return path


def test_off_by_default_and_documented() -> None:
    for name in ("simulate.toml", "kioskd.toml"):
        assert cfg.load(ROOT / "config" / name).staff_page == cfg.StaffPageConfig(
            enabled=False, listen="127.0.0.1", port=8081, token="")
    documented = tomllib.loads((ROOT / "config" / "kioskd.toml").read_text(encoding="utf-8"))["staff_page"]
    assert documented == {"enabled": False, "listen": "127.0.0.1", "port": 8081, "token": "",
                          "tls_cert": "", "tls_key": "", "names": []}


@pytest.mark.parametrize(("table", "key"), [
    ('enabled = true\ntoken = "fifteen-chars-x"\n', "staff_page.token"),
    ('enabled = true\ntoken = "                    "\n', "staff_page.token"),
    ('enabled = true\ntoken = "sixteen-chars-xx"\nport = 8080\n', "staff_page.port"),
    ('port = 70000\n', "staff_page.port"),
    ('enabled = "yes"\n', "staff_page.enabled"),
    ('tokn = "hall-staff-token-2024"\n', "staff_page.tokn"),
])
def test_bad_staff_page_config_exits_78_naming_the_key(tmp_path: Path, table: str, key: str, capsys) -> None:
    path = simulate_config(tmp_path, table)
    assert main(["run", "--config", str(path), "--state", str(tmp_path / "s")]) == cfg.EXIT_CONFIG
    err = capsys.readouterr().err
    assert f"{path}: {key}:" in err


def test_the_page_needs_no_token_and_a_sixteen_character_one_is_an_emergency_login(tmp_path: Path) -> None:
    assert cfg.load(simulate_config(tmp_path, 'enabled = true\nport = 0\n')).staff_page.enabled
    path = simulate_config(tmp_path, 'enabled = true\ntoken = "sixteen-chars-xx"\nport = 0\n')
    assert cfg.load(path).staff_page.token == "sixteen-chars-xx"


async def test_disabled_page_is_not_started() -> None:
    assert await start_staff_page(cfg.StaffPageConfig(), handlers=SimpleNamespace(), tz="Asia/Shanghai") is None
