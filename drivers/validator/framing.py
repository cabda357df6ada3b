"""Shared framing for length-prefixed validator protocols: CRC-16/Kermit and a resynchronising parser.

Pure functions of bytes (stdlib + drivers.errors only). A frame is ``HEADER | ... | LNG | ... |
CRC_L CRC_H`` where HEADER starts with a sync byte, LNG (at a fixed offset) counts the whole frame
and the CRC covers everything before it (ID-003 and CCNET, docs/protocols.md §1, §4).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

FrameT = TypeVar("FrameT")


def _reflected_table(poly: int) -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ poly if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


def msb_first_table(poly: int) -> tuple[int, ...]:
    """The lookup table of a CRC-16 with polynomial `poly`, most significant bit first."""
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ poly) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
        table.append(crc)
    return tuple(table)


def crc16_msb_first(table: tuple[int, ...], data: bytes | bytearray | memoryview, crc: int) -> int:
    """A CRC-16 (most significant bit first) of `data` from `crc`, with `table` from msb_first_table."""
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ table[(crc >> 8) ^ byte]
    return crc


_KERMIT = _reflected_table(0x8408)


def crc16_kermit(data: bytes | bytearray | memoryview, crc: int = 0) -> int:
    """CRC-16/Kermit (reflected 0x1021, init 0); "123456789" gives 0x2189."""
    table = _KERMIT
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc


class ResyncingParser(Generic[FrameT]):
    """Incremental parser that resynchronises after garbage, partial frames and bad checks.

    Keeps the bytes received, the counters the link logs and the contract tests read, and the
    part of `feed` every protocol shares; a protocol's `_scan` finds the frames.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self.dropped_bytes = 0
        self.bad_frames = 0  # complete frames whose check failed
        self.frames = 0
        self.last_dropped = b""  # the bytes dropped by the latest feed, for DEBUG logs

    def reset(self) -> None:
        """Forget any partial frame (e.g. after a reply timeout); counts it as dropped."""
        self.dropped_bytes += len(self._buf)
        self._buf.clear()

    @property
    def pending(self) -> int:
        """Bytes held waiting for the rest of a frame."""
        return len(self._buf)

    def feed(self, chunk: bytes) -> list[FrameT]:
        """Add received bytes; return every complete valid frame, in order."""
        buf = self._buf
        buf += chunk
        out: list[FrameT] = []
        dropped = bytearray()
        pos = self._scan(buf, out, dropped)
        del buf[:pos]
        self.frames += len(out)
        self.dropped_bytes += len(dropped)
        self.last_dropped = bytes(dropped)
        return out

    def _scan(self, buf: bytearray, out: list[FrameT], dropped: bytearray) -> int:
        """Append the valid frames in `buf` to `out` and the bytes passed over to `dropped`;
        return how far `buf` is done with (the rest waits for more bytes)."""
        raise NotImplementedError


INCOMPLETE = -1  # _frame_at: the frame at pos needs more bytes
NOT_A_FRAME = -2  # _frame_at: the sync byte at pos starts no frame (its header or length is off)
BAD = -3  # _frame_at: a whole frame at pos whose check failed


class SyncedParser(ResyncingParser[FrameT]):
    """A ResyncingParser for frames that start with a sync byte; `_frame_at` reads one."""

    def __init__(self, sync: int) -> None:
        super().__init__()
        self._sync = sync

    def _frame_at(self, buf: bytearray, pos: int) -> tuple[int, FrameT | None]:
        """(end, frame) for the valid frame whose sync byte is buf[pos]; else (INCOMPLETE,
        NOT_A_FRAME or BAD, None)."""
        raise NotImplementedError

    def _scan(self, buf: bytearray, out: list[FrameT], dropped: bytearray) -> int:
        sync = self._sync
        frame_at = self._frame_at
        pos = 0
        n = len(buf)
        while True:
            start = buf.find(sync, pos)
            if start < 0:
                dropped += buf[pos:]
                return n
            if start > pos:
                dropped += buf[pos:start]
            pos = start
            end, frame = frame_at(buf, pos)
            if frame is not None:
                out.append(frame)
                pos = end
            elif end == INCOMPLETE:
                # Incomplete; but if a whole valid frame starts later in the buffer, the
                # sync byte here was noise with a large length byte: do not wait on it.
                later = self._valid_frame_after(pos + 1)
                if later < 0:
                    return pos
                dropped += buf[pos:later]
                pos = later
            else:
                if end == BAD:
                    self.bad_frames += 1
                dropped.append(sync)
                pos += 1  # a real frame may begin inside the bad one

    def _valid_frame_after(self, pos: int) -> int:
        """Where the first whole valid frame at or after `pos` starts, or -1."""
        buf, sync = self._buf, self._sync
        while True:
            pos = buf.find(sync, pos)
            if pos < 0:
                return -1
            if self._frame_at(buf, pos)[1] is not None:
                return pos
            pos += 1


class LengthPrefixedParser(SyncedParser[FrameT]):
    """A SyncedParser for frames with a length byte and a trailing CRC.

    Subclasses give the header bytes (sync first, e.g. sync + address), the offset of the length
    byte, the minimum frame length and a CRC over all but the 2 trailing little-endian CRC bytes,
    and implement `_decode`, which turns one validated raw frame into the protocol's Frame.
    """

    def __init__(self, header: bytes, length_at: int, min_frame: int,
                 crc: Callable[[memoryview], int] = crc16_kermit) -> None:
        if not header or length_at < len(header) or min_frame < length_at + 3:
            raise ValueError("framing: the length byte must follow the header and precede the CRC")
        super().__init__(header[0])
        self._header = bytes(header)
        self._check_header = len(header) > 1  # the sync byte alone is found by find()
        self._length_at = length_at
        self._min_frame = min_frame
        self._crc = crc

    def _decode(self, buf: bytearray, start: int, end: int) -> FrameT:
        """The protocol's Frame for the valid frame buf[start:end] (header, length, CRC checked)."""
        raise NotImplementedError

    def _frame_at(self, buf: bytearray, pos: int) -> tuple[int, FrameT | None]:
        available = len(buf) - pos
        if available <= self._length_at:
            return INCOMPLETE, None
        length = buf[pos + self._length_at]
        if length < self._min_frame or (self._check_header and not buf.startswith(self._header, pos)):
            return NOT_A_FRAME, None
        if available < length:
            return INCOMPLETE, None
        end = pos + length
        if self._crc(memoryview(buf)[pos : end - 2]) != buf[end - 2] | buf[end - 1] << 8:
            return BAD, None
        return end, self._decode(buf, pos, end)  # no copy of the whole frame
