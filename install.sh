#!/usr/bin/env bash
# Install kioskd on a kiosk board: its own virtual environment under /opt/kioskd, the systemd
# units, udev rules, sysusers/tmpfiles entries, modules-load list and /etc/kioskd/kioskd.toml
# (only if absent: an edited config is never overwritten).
#
#   sudo ./install.sh                      # or: sudo make install
#   DESTDIR=/tmp/stage ./install.sh        # stage into a directory, no system changes
#
# Environment: DESTDIR (staging root), PREFIX (/opt/kioskd), PYTHON (python3, >= 3.11),
# PIP_ARGS (e.g. "--no-index --find-links /media/usb/wheels" on a board without Internet),
# SKIP_VENV=1 (files only; the venv is built elsewhere). A staged venv keeps DESTDIR in its
# script paths: build the venv on the target itself.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DESTDIR=${DESTDIR:-}
PREFIX=${PREFIX:-/opt/kioskd}
PYTHON=${PYTHON:-python3}
PIP_ARGS=${PIP_ARGS:-}
SKIP_VENV=${SKIP_VENV:-0}
LIB=/usr/lib

say() { printf 'install.sh: %s\n' "$*"; }
put() { # put MODE SOURCE TARGET
  install -D -m "$1" "$SRC/$2" "$DESTDIR$3"
  say "$3"
}

if [[ $SKIP_VENV != 1 ]]; then
  "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || { say "$PYTHON is older than 3.11"; exit 1; }
  "$PYTHON" -m venv --clear "$DESTDIR$PREFIX/venv"
  # shellcheck disable=SC2086  # PIP_ARGS is a list of options
  "$DESTDIR$PREFIX/venv/bin/python" -m pip install --quiet $PIP_ARGS "$SRC[evdev]"
  say "$PREFIX/venv (kioskd, kioskctl)"
fi

put 0644 systemd/kioskd.service        $LIB/systemd/system/kioskd.service
put 0644 systemd/kioskd-screen.service $LIB/systemd/system/kioskd-screen.service
put 0644 systemd/kioskd.sysusers       $LIB/sysusers.d/kioskd.conf
put 0644 systemd/kioskd.tmpfiles       $LIB/tmpfiles.d/kioskd.conf
put 0644 systemd/70-kioskd.rules       $LIB/udev/rules.d/70-kioskd.rules
put 0644 systemd/kioskd-modules.conf   $LIB/modules-load.d/kioskd.conf
put 0644 README.md                     "$PREFIX/share/README.md"
put 0644 config/kioskd.toml            "$PREFIX/share/kioskd.toml.example"

if [[ -e $DESTDIR/etc/kioskd/kioskd.toml ]]; then
  say "/etc/kioskd/kioskd.toml exists: kept (the new example is $PREFIX/share/kioskd.toml.example)"
else
  install -D -m 0640 "$SRC/config/kioskd.toml" "$DESTDIR/etc/kioskd/kioskd.toml"
  say "/etc/kioskd/kioskd.toml (edit kiosk.id, kiosk.name and backend.url)"
fi

if [[ -z $DESTDIR && $(id -u) == 0 ]]; then
  systemd-sysusers kioskd.conf
  systemd-tmpfiles --create kioskd.conf
  chgrp kioskd /etc/kioskd /etc/kioskd/kioskd.toml
  systemd-modules-load 2>/dev/null || say "some kernel modules did not load (no such hardware?)"
  udevadm control --reload && udevadm trigger --subsystem-match=tty --subsystem-match=usbmisc \
    --subsystem-match=input
  systemctl daemon-reload
  say "done: edit /etc/kioskd/kioskd.toml, then: systemctl enable --now kioskd kioskd-screen"
else
  say "staged in ${DESTDIR:-/} (no users, udev or systemd changes made)"
fi
