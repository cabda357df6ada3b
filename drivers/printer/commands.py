"""The few ESC/POS commands our receipts use, collected into one print job (stdlib only).

Names and bytes follow the Epson ESC/POS command reference. kioskd used python-escpos's
Dummy printer for this; its import pulls in Pillow, qrcode, python-barcode, YAML and the
whole printer-capabilities database (~9 MB of the daemon's RSS) for a dozen fixed byte
strings. python-escpos stays the test oracle: tests/printer/test_commands.py renders with
both and compares the bytes.
"""

from __future__ import annotations

ESC, GS, FS, LF = b"\x1b", b"\x1d", b"\x1c", b"\n"

CODE_PAGE_CP437 = 0  # ESC t n: n = 0 is PC437 (USA, standard Europe)
ALIGNMENTS = {"left": 0, "center": 1, "right": 2}  # ESC a n
# FS & / FS . select and cancel Chinese (double-byte) character mode on GB18030 printers.
FS_CHINESE_ON = FS + b"&"
FS_CHINESE_OFF = FS + b"."
QR_MODEL_2 = 2  # GS ( k fn 65: model 1 = 49, model 2 = 50, micro = 51 (48 + model)
QR_EC_LEVELS = {"L": 0, "M": 1, "Q": 2, "H": 3}  # GS ( k fn 69: n = 48 + level
_QR = b"1"  # GS ( k cn = 49: the QR code symbol
CUT_FEED_LINES = 6  # lines fed before the cut, so the last line clears the cutter


class EscposJob:
    """An ESC/POS print job built command by command; `output` holds the bytes so far."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    @property
    def output(self) -> bytes:
        """Every byte added so far, in order."""
        return b"".join(self._parts)

    def raw(self, data: bytes) -> None:
        """Append bytes as they are."""
        self._parts.append(bytes(data))

    def init(self) -> None:
        """ESC @: initialize the printer (clear the buffer, reset every mode)."""
        self.raw(ESC + b"@")

    def code_page(self, n: int = CODE_PAGE_CP437) -> None:
        """ESC t n: select the character code table for single-byte text."""
        self.raw(ESC + b"t" + _byte(n, 0, 255, "code page"))

    def char_size(self, width: int, height: int) -> None:
        """GS ! n: character size, width and height multipliers 1..8."""
        _byte(width, 1, 8, "width multiplier")
        _byte(height, 1, 8, "height multiplier")
        self.raw(GS + b"!" + bytes([(width - 1) << 4 | (height - 1)]))  # bits 4-6 width, 0-2 height

    def bold(self, on: bool) -> None:
        """ESC E n: emphasized (bold) mode on or off."""
        self.raw(ESC + b"E" + (b"\x01" if on else b"\x00"))

    def align(self, where: str) -> None:
        """ESC a n: justification, "left", "center" or "right"."""
        if where not in ALIGNMENTS:
            raise ValueError(f"align must be one of {tuple(ALIGNMENTS)}, got {where!r}")
        self.raw(ESC + b"a" + bytes([ALIGNMENTS[where]]))

    def text(self, text: str) -> None:
        """ASCII text, one byte a character (the same byte in CP437); LF prints the line."""
        # Refuse rather than guess a code page: non-ASCII goes through chinese() or is
        # replaced by the caller, so nothing is printed as something else.
        self.raw(text.encode("ascii"))

    def chinese(self, text: str, encoding: str = "gb18030") -> None:
        """FS & <double-byte text> FS .: text in Chinese character mode, then back."""
        self.raw(FS_CHINESE_ON + text.encode(encoding) + FS_CHINESE_OFF)

    def qr(self, content: str, *, ec: str = "M", dot_size: int = 3) -> None:
        """GS ( k: a native model-2 QR code of `content` (UTF-8), stored then printed."""
        if ec not in QR_EC_LEVELS:
            raise ValueError(f"QR error correction must be one of {tuple(QR_EC_LEVELS)}, got {ec!r}")
        _byte(dot_size, 1, 16, "QR dot size")
        if not content:
            return  # an empty symbol prints nothing (python-escpos does the same)
        self._symbol(b"A", bytes([48 + QR_MODEL_2, 0]))  # fn 65: select the model
        self._symbol(b"C", bytes([dot_size]))  # fn 67: module size in dots
        self._symbol(b"E", bytes([48 + QR_EC_LEVELS[ec]]))  # fn 69: error correction level
        self._symbol(b"P", content.encode("utf-8"), m=b"0")  # fn 80: store the data
        self._symbol(b"Q", b"", m=b"0")  # fn 81: print the stored symbol

    def _symbol(self, fn: bytes, data: bytes, m: bytes = b"") -> None:
        # GS ( k pL pH cn fn [m] data: pL pH = len(cn fn m data), little-endian.
        length = len(data) + len(m) + 2
        if length > 0xFFFF:
            raise ValueError(f"QR data too long: {len(data)} bytes")
        self.raw(GS + b"(k" + length.to_bytes(2, "little") + _QR + fn + m + data)

    def cut(self) -> None:
        """ESC d n then GS V 0: print and feed n lines, then a full cut."""
        self.raw(ESC + b"d" + bytes([CUT_FEED_LINES]))
        self.raw(GS + b"V\x00")


def _byte(value: int, low: int, high: int, what: str) -> bytes:
    if not low <= value <= high:
        raise ValueError(f"{what} must be {low}..{high}, got {value}")
    return bytes([value])
