"""`kioskctl tech add|list|disable` on a journal file, PIN from stdin."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from kioskd.cli.main import main as kioskctl


def run(monkeypatch: pytest.MonkeyPatch, *argv: str, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return kioskctl(list(argv))


def test_add_list_disable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                          capsys: pytest.CaptureFixture[str]) -> None:
    state = str(tmp_path)
    assert run(monkeypatch, "tech", "--state", state, "add", "1001", "--name", "张伟", "--pin-stdin",
               stdin="135790\n") == 2  # no journal and no --kiosk
    assert "no journal" in capsys.readouterr().err
    assert run(monkeypatch, "tech", "--state", state, "--kiosk", "K-0001", "add", "1001", "--name", "张伟",
               "--pin-stdin", stdin="135790\n") == 0
    assert run(monkeypatch, "tech", "--state", state, "add", "1002", "--name", "李娜", "--pin-stdin",
               stdin="12345\n") == 2
    assert "at least 6 digits" in capsys.readouterr().err
    assert run(monkeypatch, "tech", "--state", state, "add", "1001", "--name", "again", "--pin-stdin",
               stdin="246802\n") == 1
    assert "exists" in capsys.readouterr().err
    assert run(monkeypatch, "tech", "--state", state, "disable", "1001") == 0
    capsys.readouterr()
    assert run(monkeypatch, "tech", "--state", state, "list") == 0
    out = capsys.readouterr().out
    assert "1001\t张伟\tdisabled" in out and "135790" not in out
    assert b"135790" not in (tmp_path / "journal.sqlite3").read_bytes()
