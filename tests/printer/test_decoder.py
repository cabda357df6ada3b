"""The emulator's ESC/POS decoder on hand-written byte streams, and the receipt picture."""

from __future__ import annotations

import io

from PIL import Image

from drivers.printer.emulator import EscposDecoder, Receipt, render_png
from drivers.printer.fonts import find_cjk_font

JOB = (
    b"\x1b@\x1bt\x00\x1ba\x01\x1bE\x01\x1d!\x11"
    + b"\x1c&\xba\xcf\xbc\xc6\x1c.\n"  # 合计 in Chinese mode, double size, bold, centred
    + b"\x1d!\x00\x1bE\x00\x1ba\x00Total: 1.00\n"
    + b"\x1c&\x81\x39\xee\x39\x1c.\n"  # U+3400, a four-byte GB18030 character
    + b"\x1b\x7a\x00"  # an unknown command is skipped, the stream stays in sync
    + b"\x1d(k\x09\x001P0K1.abc\x1d(k\x03\x001Q0"
    + b"\x10\x04\x04"  # a status query in the middle of the job
    + b"\x1bd\x06\x1dV\x00"
)


def decode(chunks: list[bytes]) -> tuple[list[Receipt], list[int], EscposDecoder]:
    decoder = EscposDecoder()
    receipts: list[Receipt] = []
    queries: list[int] = []
    for chunk in chunks:
        for kind, value in decoder.feed(chunk):
            (queries if kind == "status" else receipts).append(value)  # type: ignore[arg-type]
    return receipts, queries, decoder


def test_job_decodes_to_lines_qr_and_layout() -> None:
    [receipt], queries, decoder = decode([JOB])
    assert receipt.lines == ["合计", "Total: 1.00", "\u3400"]
    assert receipt.qr == ["K1.abc"]
    assert queries == [4]
    assert decoder.unknown == [b"\x1b\x7a"]
    title = receipt.layout[0]
    assert (title.align, title.bold, title.scale) == ("center", True, 2)
    assert receipt.layout[1].scale == 1 and receipt.layout[1].align == "left"
    assert receipt.layout[3].qr == "K1.abc"


def test_job_split_into_single_bytes_decodes_the_same() -> None:
    whole, _, _ = decode([JOB])
    split, queries, _ = decode([JOB[i : i + 1] for i in range(len(JOB))])
    assert split == whole
    assert queries == [4]


def test_nothing_is_a_receipt_before_the_cut() -> None:
    receipts, _, decoder = decode([JOB[: JOB.index(b"\x1bd")]])
    assert receipts == []
    assert decoder.current.lines == ["合计", "Total: 1.00", "\u3400"]


def test_png_is_a_receipt_wide_picture_with_the_qr() -> None:
    [receipt], _, _ = decode([JOB])
    image = Image.open(io.BytesIO(render_png(receipt)))
    assert image.format == "PNG" and image.width == 576
    # The QR code makes a block of black modules below the three text lines.
    pixels = image.convert("L").load()
    dark = sum(1 for y in range(150, image.height) for x in range(image.width) if pixels[x, y] < 128)
    assert dark > 1000
    if find_cjk_font() is None:
        return  # without a CJK font the Chinese glyphs cannot be checked
    top = [pixels[x, y] for y in range(16, 64) for x in range(200, 376)]
    assert min(top) < 128  # the centred double-size 合计 was drawn
