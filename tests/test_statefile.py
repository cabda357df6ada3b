"""State files written by two writers of one path at once (threads of one process: the ccTalk counters'
save and a test's, the alerts' saves): each write lands whole, none fails, nothing is left behind."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from drivers import statefile

ROUNDS = 200


def _race(path: Path, write: object, payloads: list[bytes]) -> list[BaseException]:
    """Each payload written ROUNDS times by its own thread, all starting together; the errors raised."""
    start, errors = threading.Barrier(len(payloads)), []

    def writer(data: bytes) -> None:
        start.wait()
        try:
            for _ in range(ROUNDS):
                write(path, data)  # type: ignore[operator]
        except BaseException as err:  # noqa: BLE001 - reported by the test
            errors.append(err)

    threads = [threading.Thread(target=writer, args=(data,)) for data in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_two_writers_of_one_path_each_land_whole_and_leave_nothing_behind(tmp_path: Path) -> None:
    path = tmp_path / "cctalk-counters.json"
    payloads = [b"a" * 4096 + b"\n", b"b" * 9000 + b"\n"]  # sizes differ: a torn or mixed file shows
    assert _race(path, statefile.write_file, payloads) == []
    assert path.read_bytes() in payloads
    assert os.listdir(tmp_path) == [path.name]  # no temporary file left


def test_concurrent_creates_of_one_path_make_it_once(tmp_path: Path) -> None:
    key = tmp_path / "kiosk.key"

    def create(path: Path, data: bytes) -> None:
        try:
            statefile.create_file(path, data, 0o600)
        except FileExistsError:
            pass  # the other one was first: refused, as it must be

    payloads = [b"first-key", b"second-key"]
    assert _race(key, create, payloads) == []
    assert key.read_bytes() in payloads and os.listdir(tmp_path) == [key.name]
    assert key.stat().st_mode & 0o777 == 0o600


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "alerts.json"
    statefile.write_file(path, b"old")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space"):
        statefile.write_file(path, b"new")
    monkeypatch.undo()
    assert path.read_bytes() == b"old" and os.listdir(tmp_path) == [path.name]


def test_the_temporaries_of_writes_cut_short_are_removed_and_nothing_else(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    statefile.write_json(tmp_path / "alerts.json", {"open": []})
    # a power cut between the temporary's fsync and its rename: what _write_temp leaves
    cut = [statefile._write_temp(tmp_path / name, b'{"half', 0o644) for name in ("alerts.json", "kiosk.key")]
    others = [".alerts.json.tmp", "alerts.json.abcdefgh.tmp", ".render-x1y2z3.wav", ".alerts.json.ABCDEFGH.tmp",
              "journal.sqlite3-wal"]
    for name in others:
        (tmp_path / name).write_bytes(b"not ours")
    (tmp_path / ".daily_close.json.abcd1234.tmp").mkdir()  # not a file: not one of our writes
    with caplog.at_level("WARNING", logger="drivers.statefile"):
        removed = statefile.remove_leftover_temps(tmp_path)
    assert sorted(removed) == sorted(p.name for p in cut) and not any(p.exists() for p in cut)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [*others, ".daily_close.json.abcd1234.tmp", "alerts.json"])
    assert statefile.read_json(tmp_path / "alerts.json") == {"open": []}
    logged = [r.getMessage() for r in caplog.records]
    assert len(logged) == 2 and all("cut short" in line for line in logged)
    assert any(str(cut[1]) in line and "kiosk.key" in line for line in logged)
    assert statefile.remove_leftover_temps(tmp_path) == []  # nothing left to remove
