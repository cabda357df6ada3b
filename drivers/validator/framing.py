"""Shared framing for length-prefixed validator protocols: CRC-16/Kermit and a resynchronising parser.

Pure functions of bytes (stdlib + drivers.errors only). A frame is ``HEADER | ... | LNG | ... |
CRC_L CRC_H`` where HEADER starts with a sync byte, LNG (at a fixed offset) counts the whole frame
and the CRC covers everything before it (ID-003 and CCNET, docs/protocols.md §1, §4).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

FrameT = TypeVar("FrameT")


def _make_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC_TABLE = _make_table()


def crc16_kermit(data: bytes | bytearray | memoryview, crc: int = 0) -> int:
    """CRC-16/Kermit (reflected 0x1021, init 0); "123456789" gives 0x2189."""
    table = _CRC_TABLE
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc


class LengthPrefixedParser(Generic[FrameT]):
    """Incremental parser that resynchronises after garbage, partial frames and bad CRCs.

    Subclasses give the header bytes (sync first, e.g. sync + address), the offset of the length
    byte, the minimum frame length and a CRC over all but the 2 trailing little-endian CRC bytes,
    and implement `_decode`, which turns one validated raw frame into the protocol's Frame.
    """

    def __init__(self, header: bytes, length_at: int, min_frame: int,
                 crc: Callable[[memoryview], int] = crc16_kermit) -> None:
        if not header or length_at < len(header) or min_frame < length_at + 3:
            raise ValueError("framing: the length byte must follow the header and precede the CRC")
        self._header = bytes(header)
        self._length_at = length_at
        self._min_frame = min_frame
        self._crc = crc
        self._buf = bytearray()
        self.dropped_bytes = 0
        self.bad_frames = 0  # complete frames whose CRC failed
        self.frames = 0
        self.last_dropped = b""  # the bytes dropped by the latest feed, for DEBUG logs

    def _decode(self, buf: bytearray, start: int, end: int) -> FrameT:
        """The protocol's Frame for the valid frame buf[start:end] (header, length, CRC checked)."""
        raise NotImplementedError

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
        header = self._header
        sync = header[0]
        check_header = len(header) > 1  # the sync byte alone is found by find() below
        length_at = self._length_at
        need = length_at + 1  # bytes before the length byte can be read
        min_frame = self._min_frame
        crc_of = self._crc
        decode = self._decode
        out: list[FrameT] = []
        dropped = bytearray()
        pos = 0
        n = len(buf)
        while True:
            start = buf.find(sync, pos)
            if start < 0:
                dropped += buf[pos:]
                pos = n
                break
            if start > pos:
                dropped += buf[pos:start]
            pos = start
            if n - pos < need:
                break
            length = buf[pos + length_at]
            if length < min_frame or (check_header and not buf.startswith(header, pos)):
                dropped.append(sync)
                pos += 1
                continue
            if n - pos < length:
                # Incomplete; but if a whole valid frame starts later in the buffer, the
                # sync byte here was noise with a large length byte: do not wait on it.
                later = self._valid_frame_after(pos + 1)
                if later < 0:
                    break
                dropped += buf[pos:later]
                pos = later
                continue
            end = pos + length
            if crc_of(memoryview(buf)[pos : end - 2]) != buf[end - 2] | buf[end - 1] << 8:
                self.bad_frames += 1
                dropped.append(sync)
                pos += 1  # a real frame may begin inside the bad one
                continue
            out.append(decode(buf, pos, end))  # no copy of the whole frame
            pos = end
        del buf[:pos]
        self.frames += len(out)
        self.dropped_bytes += len(dropped)
        self.last_dropped = bytes(dropped)
        return out

    def _valid_frame_after(self, pos: int) -> int:
        """Where the first whole valid frame at or after `pos` starts, or -1."""
        buf = self._buf
        header = self._header
        sync = header[0]
        length_at = self._length_at
        min_frame = self._min_frame
        n = len(buf)
        while True:
            pos = buf.find(sync, pos)
            if pos < 0 or n - pos < min_frame:
                return -1
            length = buf[pos + length_at]
            if min_frame <= length <= n - pos and buf.startswith(header, pos):
                end = pos + length
                if self._crc(memoryview(buf)[pos : end - 2]) == buf[end - 2] | buf[end - 1] << 8:
                    return pos
            pos += 1
