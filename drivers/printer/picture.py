"""Draw a decoded receipt as a picture (Pillow): text lines in a CJK font and the QR codes."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from PIL import Image, ImageDraw, ImageFont

from drivers.printer.fonts import find_cjk_font

if TYPE_CHECKING:
    from drivers.printer.emulator import Line

DOTS_PER_ROW = 24  # font A is 12 x 24 dots; a CJK character is 24 x 24
MARGIN = 16
QR_DOT_SIZE = 4


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = find_cjk_font()
    if path is None:
        # Pillow's own font draws Latin text only: Chinese shows as boxes. Install a CJK font.
        return ImageFont.load_default(size)
    return ImageFont.truetype(path, size)


def _qr_image(payload: str) -> Image.Image:
    try:
        import qrcode
    except ImportError:
        return _placeholder(payload)
    code = qrcode.QRCode(border=2, box_size=QR_DOT_SIZE, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(payload)
    code.make(fit=True)
    image: Image.Image = code.make_image(fill_color="black", back_color="white").get_image().convert("L")
    return image


def _placeholder(payload: str) -> Image.Image:
    """A labelled box standing for a QR code when no QR encoder is installed."""
    image = Image.new("L", (200, 200), 255)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 199, 199), outline=0, width=3)
    draw.multiline_text((8, 8), "QR\n" + "\n".join(payload[i : i + 20] for i in range(0, 80, 20)), fill=0)
    return image


def draw_receipt(layout: Sequence[Line], width: int = 576) -> Image.Image:
    """Lay the lines out top to bottom on a white strip `width` dots wide."""
    pieces: list[tuple[Image.Image | None, Line]] = []
    height = MARGIN
    for line in layout:
        if line.qr is not None:
            image = _qr_image(line.qr)
            pieces.append((image, line))
            height += image.height + 8
        else:
            pieces.append((None, line))
            height += DOTS_PER_ROW * line.scale + 6
    height += MARGIN
    canvas = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(canvas)
    y = MARGIN
    for picture, line in pieces:
        if picture is not None:
            x = _x(line.align, picture.width, width)
            canvas.paste(picture, (x, y))
            y += picture.height + 8
            continue
        font = _font(DOTS_PER_ROW * line.scale)
        text_width = int(draw.textlength(line.text, font=font))
        x = _x(line.align, text_width, width)
        draw.text((x, y), line.text, fill=0, font=font)
        if line.bold:  # thermal printers embolden by double strike: draw it twice, 1 dot apart
            draw.text((x + 1, y), line.text, fill=0, font=font)
        y += DOTS_PER_ROW * line.scale + 6
    return canvas


def _x(align: str, item_width: int, width: int) -> int:
    if align == "center":
        return max(MARGIN, (width - item_width) // 2)
    if align == "right":
        return max(MARGIN, width - MARGIN - item_width)
    return MARGIN
