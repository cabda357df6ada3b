"""The ALSA stream under the unit's MemoryDenyWriteExecute=yes: it plays, and libasound stays quiet.

The unit (systemd/kioskd.service) forbids memory that is both writable and executable. libasound's
error handler is a ctypes callback, which needs libffi to make a trampoline: if the sandbox
refused it, the kiosk would print libasound's own errors or fail to speak. The kernel's
PR_SET_MDWE (Linux 6.3+) applies the same rule to a process without systemd, so the daemon's own
AlsaOutput runs in a child process under it, playing into ALSA's `file` plugin.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kioskd.customer.voice import phrases
from kioskd.customer.voice.clips import ClipStore
from tests.voice.conftest import needs_voice

pytestmark = needs_voice

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import asyncio, ctypes, json, mmap, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(65, 1, 0, 0, 0) != 0:  # PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN
    print(json.dumps({"mdwe": False})); sys.exit(0)
try:  # the rule holds: no writable and executable memory from here on
    mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    print(json.dumps({"mdwe": "not enforced"})); sys.exit(0)
except OSError:
    pass
from kioskd.customer.voice.alsa import AlsaError, PcmStream
from kioskd.customer.voice.output import AlsaOutput
try:  # a device that is not there: libasound calls its error handler (ours, silent)
    PcmStream("kioskd-no-such-device", 0.2)
except AlsaError:
    pass
segments = [bytes.fromhex(s) for s in json.load(sys.stdin)]
played = asyncio.run(AlsaOutput("kioskdrecord").play(segments, frozenset(), asyncio.Event()))
print(json.dumps({"mdwe": True, "segments": played.segments}))
"""


def test_the_stream_plays_and_stays_quiet_without_writable_executable_memory(clips: ClipStore,
                                                                             tmp_path: Path) -> None:
    heard = tmp_path / "heard.raw"
    (tmp_path / ".asoundrc").write_text(
        f'pcm.kioskdrecord {{ type file; slave.pcm "null"; file "{heard}"; format "raw" }}\n')
    said = phrases.note_accepted((5000,), 5000, "zh-CN")
    segments = clips.segments(said)
    env = {**os.environ, "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    child = subprocess.run([sys.executable, "-c", CHILD], input=json.dumps([s.hex() for s in segments]),
                           capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert child.returncode == 0, child.stderr
    outcome = json.loads(child.stdout.splitlines()[-1])
    if outcome["mdwe"] is not True:
        pytest.skip(f"this kernel cannot forbid writable+executable memory (PR_SET_MDWE: {outcome['mdwe']})")
    assert outcome["segments"] == len(segments)
    # what reached the device is the announcement, sample for sample
    assert heard.read_bytes() == b"".join(segments)
    # libasound's own "ALSA lib ... Unknown PCM" never reaches the kiosk's stderr (journald)
    assert "ALSA lib" not in child.stderr, child.stderr
