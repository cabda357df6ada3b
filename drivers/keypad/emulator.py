"""ASCII keypad emulator on a pty pair, with unplug/replug behind a stable symlink.

`python -m drivers.keypad.emulator --link /tmp/keypad` then type keys on stdin, one per
line: 0-9, confirm, cancel, backspace, finish, lang (or `raw 0a` for any byte).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import tty

from drivers.keypad.ascii import KEY_BYTES


class KeypadEmulator:
    """The keypad's side of a pty; the driver opens `port` like a real serial device."""

    def __init__(self, link: str | None = None) -> None:
        # udev gives real keypads a stable /dev/serial/by-id name; the link plays that part
        self._own_dir: str | None = None
        if not link:
            self._own_dir = tempfile.mkdtemp(prefix="kioskd-keypad-")
            link = os.path.join(self._own_dir, "keypad")
        self.link = link
        self._master: int | None = None
        self._slave: int | None = None

    @property
    def port(self) -> str:
        """The path the driver opens."""
        return self.link

    @property
    def plugged(self) -> bool:
        """True while the emulated keypad is connected."""
        return self._master is not None

    def plug(self) -> str:
        """Create a fresh pty and point the link at it; returns the link."""
        if self._master is not None:
            return self.link
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo or line editing before the driver sets its own mode
        tmp = f"{self.link}.{os.getpid()}.tmp"
        os.symlink(os.ttyname(slave), tmp)
        os.replace(tmp, self.link)
        self._master, self._slave = master, slave
        return self.link

    def unplug(self) -> None:
        """Hang up: the driver's reads fail as when a USB adapter is pulled."""
        for fd in (self._master, self._slave):
            if fd is not None:
                os.close(fd)
        self._master = self._slave = None
        if os.path.lexists(self.link):
            os.unlink(self.link)

    def press(self, key: str) -> None:
        """Send the byte for `key` (one of drivers.base.KEYS)."""
        self.send(KEY_BYTES[key])

    def send(self, data: bytes) -> None:
        """Send raw bytes, as line noise or an unknown key would."""
        if self._master is None:
            raise OSError(f"keypad emulator {self.link}: unplugged")
        os.write(self._master, data)

    def close(self) -> None:
        """Unplug and remove the link (and the temporary directory it made)."""
        self.unplug()
        if self._own_dir is not None:
            os.rmdir(self._own_dir)
            self._own_dir = None


def main(argv: list[str] | None = None) -> int:
    """Run an emulator fed from stdin (for --simulate demos and manual tests)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--link", help="symlink path the driver opens (default: a temp dir)")
    args = parser.parse_args(argv)
    emu = KeypadEmulator(args.link)
    print(emu.plug(), flush=True)
    try:
        for line in sys.stdin:
            word = line.strip()
            if word.startswith("raw "):
                emu.send(bytes.fromhex(word[4:]))
            elif word in KEY_BYTES:
                emu.press(word)
            elif word:
                print(f"unknown key {word!r}; keys: {' '.join(KEY_BYTES)}", file=sys.stderr)
    finally:
        emu.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
