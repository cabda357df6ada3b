"""The customer screen's per-boot secret, and the start page the kiosk's browser opens.

With `[screen] key_dir` set (a folder on /run: emptied at each boot), kioskd keeps the secret in
`key_dir/key` across its own restarts, so the browser's page keeps working, and writes
`key_dir/screen.html`, a page that sends the browser on to the screen with the secret. The
screen unit opens that file: the secret never appears on a command line, which every local
user could read in /proc. Both files are mode 0640; the folder's group is the screen's user.
"""

from __future__ import annotations

import html
import logging
import re
import secrets
from pathlib import Path

from drivers.statefile import write_file

log = logging.getLogger(__name__)

KEY_FILE, START_PAGE = "key", "screen.html"
SECRET = re.compile(r"[A-Za-z0-9_-]{32,128}")


def screen_secret(key_dir: str) -> str:
    """This boot's secret: the one in `key_dir` if there is one, else a new one (kept there if set)."""
    if not key_dir:
        return secrets.token_urlsafe(24)
    path = Path(key_dir) / KEY_FILE
    try:
        kept = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        kept = ""
    if SECRET.fullmatch(kept):
        return kept
    secret = secrets.token_urlsafe(24)
    try:
        write_file(path, secret.encode("ascii") + b"\n", 0o640)
    except OSError as err:  # the kiosk browser cannot be told: staff see it in the log
        log.error("screen: cannot keep the screen's secret in %s: %s", path, err.strerror)
    return secret


def write_start_page(key_dir: str, page_url: str) -> None:
    """`key_dir/screen.html`: sends the kiosk's browser on to `page_url` (with its secret)."""
    if not key_dir:
        return
    target = html.escape(page_url, quote=True)
    page = (f'<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0; url={target}">'
            "<title>kioskd</title>\n")
    try:
        write_file(Path(key_dir) / START_PAGE, page.encode("utf-8"), 0o640)
    except OSError as err:
        log.error("screen: cannot write the start page in %s: %s", key_dir, err.strerror)
