"""`kioskctl staff add|list|disable` and its technicians-only alias `tech`, on a journal file."""

from __future__ import annotations

import io
import json
import os
import pwd
import sqlite3
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kioskd.cli import main as ctl


def run(monkeypatch: pytest.MonkeyPatch, *argv: str, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return ctl.main(list(argv))


def test_tech_add_list_disable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    state = str(tmp_path)
    assert run(monkeypatch, "tech", "--state", state, "add", "1001", "--name", "张伟", "--pin-stdin", "--lang", "en",
               stdin="135790\n") == 2  # no journal and no --kiosk
    assert "no journal" in capsys.readouterr().err
    # PIN hashes are keyed with the kiosk key: no accounts before it exists
    assert run(monkeypatch, "tech", "--state", state, "--kiosk", "K-0001", "add", "1001", "--name", "张伟",
               "--pin-stdin", "--lang", "en", stdin="135790\n") == 1
    assert "kiosk.key does not exist" in capsys.readouterr().err
    assert run(monkeypatch, "keys", "init", "--key", str(tmp_path / "kiosk.key")) == 0
    assert run(monkeypatch, "tech", "--state", state, "--kiosk", "K-0001", "add", "1001", "--name", "张伟",
               "--pin-stdin", stdin="135790\n") == 0
    assert run(monkeypatch, "tech", "--state", state, "add", "1002", "--name", "李娜", "--pin-stdin", "--lang", "en",
               stdin="12345\n") == 2
    assert "at least 6 digits" in capsys.readouterr().err
    assert run(monkeypatch, "tech", "--state", state, "add", "1003", "--name", "王芳", "--pin-stdin", "--lang", "en",
               stdin="long-password\n") == 2  # typed on the keypad: digits only
    assert "digits only" in capsys.readouterr().err
    assert run(monkeypatch, "tech", "--state", state, "add", "1001", "--name", "again", "--pin-stdin", "--lang", "en",
               stdin="246802\n") == 1
    assert "exists" in capsys.readouterr().err
    assert run(monkeypatch, "tech", "--state", state, "disable", "1001") == 0
    capsys.readouterr()
    assert run(monkeypatch, "tech", "--state", state, "list", "--lang", "en") == 0
    out = capsys.readouterr().out
    assert out.splitlines()[2].split()[:4] == ["1001", "张伟", "technician", "disabled"] and "135790" not in out
    assert b"135790" not in (tmp_path / "journal.sqlite3").read_bytes()


def test_staff_of_every_role_scriptable_with_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    state = str(tmp_path)
    assert run(monkeypatch, "keys", "init", "--key", str(tmp_path / "kiosk.key")) == 0
    capsys.readouterr()
    assert run(monkeypatch, "staff", "--state", state, "--kiosk", "K-0001", "add", "2001", "--name", "王芳",
               "--role", "hall", "--secret-stdin", "--json", stdin="hall-password-1\n") == 0
    assert json.loads(capsys.readouterr().out) == {"ok": True, "added": "2001", "role": "hall"}
    assert run(monkeypatch, "staff", "--state", state, "add", "3001", "--name", "赵经理", "--role", "manager",
               "--secret-stdin", stdin="864209\n") == 0
    assert run(monkeypatch, "tech", "--state", state, "add", "1001", "--name", "张伟", "--pin-stdin",
               stdin="135790\n") == 0
    # a short password, a letter in the ID, a role that does not exist
    assert run(monkeypatch, "staff", "--state", state, "add", "2002", "--name", "x", "--role", "hall",
               "--secret-stdin", stdin="short\n") == 2
    assert run(monkeypatch, "staff", "--state", state, "add", "20a2", "--name", "x", "--role", "hall",
               "--secret-stdin", stdin="hall-password-2\n") == 2
    with pytest.raises(SystemExit):
        run(monkeypatch, "staff", "--state", state, "add", "2003", "--name", "x", "--role", "boss")
    capsys.readouterr()
    assert run(monkeypatch, "staff", "--state", state, "list", "--json") == 0
    listed = json.loads(capsys.readouterr().out)["staff"]
    assert [(m["id"], m["name"], m["role"], m["enabled"]) for m in listed] == [
        ("1001", "张伟", "technician", True), ("2001", "王芳", "hall", True), ("3001", "赵经理", "manager", True)]
    assert run(monkeypatch, "tech", "--state", state, "list", "--json") == 0  # technicians only
    assert [m["id"] for m in json.loads(capsys.readouterr().out)["staff"]] == ["1001"]
    assert run(monkeypatch, "staff", "--state", state, "disable", "2001", "--json") == 0
    assert json.loads(capsys.readouterr().out) == {"ok": True, "disabled": "2001"}
    assert run(monkeypatch, "staff", "--state", state, "disable", "9999", "--json", "--lang", "en") == 1
    assert "unknown staff 9999" in json.loads(capsys.readouterr().out)["error"]

    # every change names who made it: the local user running kioskctl
    db = sqlite3.connect(tmp_path / "journal.sqlite3")
    entries = [(k, json.loads(d)) for k, d in db.execute("select kind, data from audit order by seq")]
    me = f"{pwd.getpwuid(os.getuid()).pw_name} (uid {os.getuid()})"
    assert [(k, d["staff"], d.get("role"), d["by"], d["by_name"]) for k, d in entries] == [
        ("staff_added", "2001", "hall", "installer", me),
        ("staff_added", "3001", "manager", "installer", me),
        ("staff_added", "1001", "technician", "installer", me),
        ("staff_disabled", "2001", None, "installer", me),
    ]
    # an account is never deleted, its role and name never change, a disabled one stays so
    for sql in ("delete from staff where id = '2001'", "update staff set role = 'manager' where id = '2001'",
                "update staff set enabled = 1 where id = '2001'"):
        with pytest.raises(sqlite3.IntegrityError):
            db.execute(sql)
    db.close()


def test_account_commands_speak_the_staffs_language(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """zh-CN unless --lang en: what was done, what was refused, and the list (roles and states in words,
    times in the kiosk's local time, Asia/Shanghai by default)."""
    state = str(tmp_path)
    assert run(monkeypatch, "tech", "--state", state, "list") == 2
    assert "找不到账本" in capsys.readouterr().err
    assert run(monkeypatch, "keys", "init", "--key", str(tmp_path / "kiosk.key")) == 0
    capsys.readouterr()
    assert run(monkeypatch, "tech", "--state", state, "--kiosk", "K-0001", "add", "1001", "--name", "张伟",
               "--pin-stdin", stdin="135790\n") == 0
    assert capsys.readouterr().out == "已添加技术员 1001\n"
    assert run(monkeypatch, "staff", "--state", state, "add", "2001", "--name", "王芳", "--role", "hall",
               "--secret-stdin", "--lang", "en", stdin="hall-password-1\n") == 0
    assert capsys.readouterr().out == "added hall staff 2001\n"
    refusals = [
        (("tech", "add", "1002", "--name", "李娜", "--pin-stdin"), "12345\n", "PIN 至少要有 6 位数字",
         "the PIN must have at least 6 digits"),
        (("tech", "add", "10a2", "--name", "李娜", "--pin-stdin"), "135790\n", "工号只能是数字",
         "the staff ID must be digits"),
        (("tech", "add", "1003", "--name", "王芳", "--pin-stdin"), "long-password\n", "技术员的 PIN 只能是数字",
         "a technician's PIN must be digits only"),
        (("tech", "add", "1001", "--name", "again", "--pin-stdin"), "246802\n", "工号 1001 已存在（工号不会重复使用）",
         "staff 1001 exists (IDs are never reused)"),
        (("staff", "disable", "9999"), "", "工号 9999 不存在", "unknown staff 9999"),
    ]
    for argv, stdin, zh, en in refusals:
        assert run(monkeypatch, argv[0], "--state", state, *argv[1:], stdin=stdin) != 0
        assert zh in capsys.readouterr().err, argv
        assert run(monkeypatch, argv[0], "--state", state, *argv[1:], "--lang", "en", stdin=stdin) != 0
        assert en in capsys.readouterr().err, argv
    assert run(monkeypatch, "staff", "--state", state, "disable", "2001") == 0
    assert capsys.readouterr().out == "已停用 2001\n"
    db = sqlite3.connect(tmp_path / "journal.sqlite3")
    [(created,)] = db.execute("select created from staff where id = '1001'").fetchall()
    db.close()
    local = datetime.fromisoformat(created.replace("Z", "+00:00")).astimezone(ZoneInfo("Asia/Shanghai"))
    assert run(monkeypatch, "staff", "--state", state, "list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["工号", "姓名", "角色", "状态", "错误次数", "添加时间"]
    assert lines[2].split() == ["1001", "张伟", "技术员", "可用", "0", *f"{local:%Y-%m-%d %H:%M}".split()]
    assert lines[3].split()[:4] == ["2001", "王芳", "大厅工作人员", "已停用"]
    assert run(monkeypatch, "staff", "--state", state, "list", "--lang", "en") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["ID", "name", "role", "state", "failures", "added"]
    assert lines[3].split()[:5] == ["2001", "王芳", "hall", "staff", "disabled"]
