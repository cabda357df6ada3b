"""Where a font with Chinese glyphs is (for receipt pictures, and the start-up warning)."""

from __future__ import annotations

import subprocess
from pathlib import Path

# Fonts with Chinese glyphs, first found wins (Debian: fonts-wqy-microhei, fonts-noto-cjk, ...).
CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)


def find_cjk_font() -> str | None:
    """Path of an installed font that has Chinese glyphs (the usual files, else fontconfig's), or None."""
    known = next((path for path in CJK_FONTS if Path(path).exists()), None)
    return known or _fontconfig_cjk_font()


def _fontconfig_cjk_font() -> str | None:
    """A Chinese font fontconfig knows (what Chromium draws the screen with); None without fc-list."""
    try:
        listed = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    files = sorted(line.rstrip().rstrip(":") for line in listed.stdout.splitlines() if line.strip())
    return next((f for f in files if f.lower().endswith((".ttc", ".ttf", ".otf"))), None)
