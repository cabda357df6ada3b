"""A throwaway PostgreSQL server for tests and benchmarks: initdb in a temp dir, unix socket + loopback TCP, stop."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg

# Debian's postgresql package puts the server programs here, not on PATH.
_BIN_GLOB = "/usr/lib/postgresql/*/bin"
_PROGRAMS = ("initdb", "pg_ctl", "postgres")


def find_bindir() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres (newest Debian version first), or None."""
    candidates = sorted(glob.glob(_BIN_GLOB), key=lambda d: _version(Path(d).parent.name), reverse=True)
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(str(Path(on_path).resolve().parent))
    for directory in candidates:
        if all(os.access(Path(directory, p), os.X_OK) for p in _PROGRAMS):
            return Path(directory)
    return None


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".") if p.isdigit())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ThrowawayPostgres:
    """One PostgreSQL cluster under a temp dir, run by a non-root user (postgres refuses root)."""

    DATABASE = "kioskd_test"

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="kioskd-pg-"))  # under /tmp: reachable by the server user
        self.data, self.sockets, self.log = self.root / "data", self.root / "sock", self.root / "server.log"
        self.user = "kioskd"  # the cluster's superuser role (trust auth: loopback and socket only)
        self.port = 0
        self._runas: list[str] = []
        if os.geteuid() == 0:
            account = _server_account()
            self._runas = ["runuser", "-u", account.pw_name, "--"]
            os.chown(self.root, account.pw_uid, account.pw_gid)
        self.sockets.mkdir()
        if self._runas:
            os.chown(self.sockets, account.pw_uid, account.pw_gid)

    def _run(self, program: str, *args: str) -> None:
        cmd = [*self._runas, str(self.bindir / program), *args]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr.strip()}\n{log}")

    def start(self) -> None:
        """initdb, start on the socket dir and a free loopback port (waits until it accepts), create the database."""
        # --no-sync: initdb's final flush only; the running server keeps fsync on.
        self._run("initdb", "-D", str(self.data), "-U", self.user, "-A", "trust", "-E", "UTF8",
                  "--no-locale", "--no-sync")
        for attempt in range(3):  # the free port may be taken between the probe and the bind
            self.port = _free_port()
            options = f"-k {self.sockets} -h 127.0.0.1 -p {self.port} -c max_connections=40"
            try:
                self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30",
                          "-o", options, "start")
                break
            except RuntimeError:
                if attempt == 2:
                    raise
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.DATABASE}"')

    def url(self, dbname: str = "postgres") -> str:
        """A postgresql:// URL over loopback TCP."""
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{dbname}"

    def fresh_url(self) -> str:
        """A URL of a new empty schema in the test database: its sessions see only that schema.

        A schema per test, not a database: CREATE DATABASE copies and syncs a template each time.
        """
        name = f"s_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(self.DATABASE), autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{name}"')
        return f"{self.url(self.DATABASE)}?options=-csearch_path%3D{name}"

    def stop(self) -> None:
        """Stop the server (immediate: nothing in it is worth keeping) and delete its files."""
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def _server_account() -> pwd.struct_passwd:
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root, and neither a 'postgres' nor a 'nobody' user exists to run PostgreSQL")
