"""Our ESC/POS bytes against python-escpos's Dummy printer, the oracle they replaced.

kioskd renders receipts with drivers.printer.commands so the daemon never imports
python-escpos (and Pillow, qrcode, YAML with it). A printer must still get exactly the
bytes it got before: every command, every receipt and every report is rendered both
ways here and compared byte for byte.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from escpos.constants import QR_ECLEVEL_H, QR_ECLEVEL_L, QR_ECLEVEL_M, QR_ECLEVEL_Q
from escpos.printer import Dummy
from hypothesis import given, settings
from hypothesis import strategies as st

from backend_api.receipt_proof import make_proof
from drivers.printer.commands import EscposJob
from kioskd.customer.receipts.layout import (
    QR_DOT_SIZE,
    ReceiptData,
    receipt_lines,
    render_lines,
    render_receipt,
)
from tests.receipts.sample import CREDITED, KEY, PENDING

ROOT = Path(__file__).resolve().parents[2]
EC_LEVELS = {"L": QR_ECLEVEL_L, "M": QR_ECLEVEL_M, "Q": QR_ECLEVEL_Q, "H": QR_ECLEVEL_H}
FAST = settings(max_examples=150)


# --- the renderer as it was (python-escpos Dummy), kept verbatim as the reference ---------


def _dummy_line(printer: Dummy, line: str, encoding: str) -> None:
    if line.isascii():
        printer.text(line + "\n")
    elif encoding == "gb18030":
        printer._raw(b"\x1c&" + line.encode("gb18030") + b"\x1c.")
        printer.text("\n")
    else:
        printer.text(line.encode("ascii", "replace").decode("ascii") + "\n")


def dummy_receipt(data: ReceiptData, *, locale: str, encoding: str) -> bytes:
    """render_receipt before drivers.printer.commands, on python-escpos's Dummy."""
    if encoding == "ascii":
        locale = "en"
    lines = receipt_lines(data, locale=locale)
    if encoding == "ascii" and data.duplicate:
        lines[2] = f"DUPLICATE {data.duplicate}"
    proof = make_proof(KEY, kiosk=data.kiosk, txn=data.txn, seq=data.seq, amount=data.total, at=data.time)
    printer = Dummy()
    printer.hw("INIT")
    printer.charcode("CP437")
    printer.set(align="center", bold=True, custom_size=True, width=2, height=2)
    _dummy_line(printer, lines[0], encoding)
    printer.set(custom_size=True, width=1, height=1)
    _dummy_line(printer, lines[1], encoding)
    body_start = 2
    if data.duplicate:
        _dummy_line(printer, lines[2], encoding)
        body_start = 3
    printer.set(align="left", bold=False)
    for line in lines[body_start:-1]:
        _dummy_line(printer, line, encoding)
    printer.set(align="center")
    _dummy_line(printer, lines[-1], encoding)
    printer.qr(proof, ec=QR_ECLEVEL_M, size=QR_DOT_SIZE, native=True)
    printer.cut()
    return printer.output


def dummy_lines(lines: list[str], *, encoding: str) -> bytes:
    """render_lines before drivers.printer.commands, on python-escpos's Dummy."""
    out = Dummy()
    out.hw("INIT")
    out.charcode("CP437")
    for line in lines:
        _dummy_line(out, line, encoding)
    out.cut()
    return out.output


# --- one command at a time ----------------------------------------------------------------


def test_init_and_code_page_are_escpos_init_and_cp437() -> None:
    ours, theirs = EscposJob(), Dummy()
    ours.init()
    ours.code_page()
    theirs.hw("INIT")
    theirs.charcode("CP437")
    assert ours.output == theirs.output == b"\x1b@\x1bt\x00"


@pytest.mark.parametrize("width", range(1, 9))
@pytest.mark.parametrize("height", range(1, 9))
def test_char_size_is_escpos_custom_size(width: int, height: int) -> None:
    ours, theirs = EscposJob(), Dummy()
    ours.char_size(width, height)
    theirs.set(custom_size=True, width=width, height=height)
    assert ours.output == theirs.output


@pytest.mark.parametrize("align", ["left", "center", "right"])
@pytest.mark.parametrize("bold", [True, False])
def test_size_bold_align_in_escpos_set_order(align: str, bold: bool) -> None:
    ours, theirs = EscposJob(), Dummy()
    ours.char_size(2, 2)
    ours.bold(bold)
    ours.align(align)
    theirs.set(align=align, bold=bold, custom_size=True, width=2, height=2)
    assert ours.output == theirs.output


@FAST
@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_ascii_text_is_escpos_text_in_cp437(text: str) -> None:
    ours, theirs = EscposJob(), Dummy()
    ours.text(text)
    theirs.charcode("CP437")
    before = len(theirs.output)
    theirs.text(text)
    assert ours.output == theirs.output[before:]


def test_non_ascii_text_is_refused_not_guessed() -> None:
    with pytest.raises(UnicodeEncodeError):
        EscposJob().text("合计")


@FAST
@given(
    content=st.text(min_size=1, max_size=300),
    ec=st.sampled_from(sorted(EC_LEVELS)),
    dot_size=st.integers(1, 16),
)
def test_qr_is_escpos_native_qr(content: str, ec: str, dot_size: int) -> None:
    ours, theirs = EscposJob(), Dummy()
    ours.qr(content, ec=ec, dot_size=dot_size)
    theirs.qr(content, ec=EC_LEVELS[ec], size=dot_size, native=True)
    assert ours.output == theirs.output


def test_empty_qr_prints_nothing_like_escpos() -> None:
    ours, theirs = EscposJob(), Dummy()
    ours.qr("", ec="M", dot_size=4)
    theirs.qr("", ec=QR_ECLEVEL_M, size=4, native=True)
    assert ours.output == theirs.output == b""


def test_cut_is_escpos_feed_and_full_cut() -> None:
    ours, theirs = EscposJob(), Dummy()
    ours.cut()
    theirs.cut()
    assert ours.output == theirs.output == b"\x1bd\x06\x1dV\x00"


@pytest.mark.parametrize(
    "call",
    [
        lambda job: job.char_size(0, 1),
        lambda job: job.char_size(1, 9),
        lambda job: job.align("middle"),
        lambda job: job.qr("x", ec="X"),
        lambda job: job.qr("x", dot_size=17),
        lambda job: job.code_page(256),
    ],
)
def test_out_of_range_arguments_are_refused(call) -> None:  # noqa: ANN001
    job = EscposJob()
    with pytest.raises(ValueError):
        call(job)
    assert job.output == b""  # nothing half-written


# --- whole receipts and reports -----------------------------------------------------------

# Names as they come from the backend and config: Chinese, Latin, other scripts, control
# characters, long enough to wrap on a 32-column roll.
names = st.text(min_size=1, max_size=60)
chinese_names = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1, max_size=20)
kiosk_ids = st.text(
    alphabet=st.characters(blacklist_categories=("Zs", "Zl", "Zp", "Cc", "Cs")), min_size=1, max_size=24
).filter(lambda s: not any(c.isspace() for c in s))
notes = st.lists(st.sampled_from([100, 500, 1000, 2000, 5000, 10000]), min_size=1, max_size=12)


@st.composite
def receipts(draw: st.DrawFn) -> ReceiptData:
    status = draw(st.sampled_from(["credited", "pending", "flagged"]))
    paid = tuple(draw(notes))
    credited = status == "credited"
    return ReceiptData(
        hall=draw(st.one_of(names, chinese_names)),
        kiosk=draw(kiosk_ids),
        seq=draw(st.integers(0, 10**9)),
        txn=str(draw(st.uuids())),
        time=draw(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))),
        account=draw(st.text(alphabet="0123456789", min_size=1, max_size=20)),
        holder=draw(st.one_of(names, chinese_names)),
        notes=paid,
        total=sum(paid),
        status=status,
        balance=draw(st.none() | st.integers(-(10**9), 10**9)) if credited else None,
        ref=draw(st.none() | names) if credited else None,
        duplicate=draw(st.integers(0, 5)),
        currency=draw(st.sampled_from(["CNY", "USD"])),
    )


@pytest.mark.parametrize("data", [CREDITED, PENDING, dataclasses.replace(CREDITED, duplicate=1)])
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
@pytest.mark.parametrize("encoding", ["gb18030", "ascii"])
def test_sample_receipts_are_the_bytes_escpos_made(data: ReceiptData, locale: str, encoding: str) -> None:
    assert render_receipt(data, locale=locale, encoding=encoding, key=KEY) == dummy_receipt(
        data, locale=locale, encoding=encoding
    )


@FAST
@given(data=receipts(), locale=st.sampled_from(["zh-CN", "en"]), encoding=st.sampled_from(["gb18030", "ascii"]))
def test_any_receipt_is_the_bytes_escpos_made(data: ReceiptData, locale: str, encoding: str) -> None:
    assert render_receipt(data, locale=locale, encoding=encoding, key=KEY) == dummy_receipt(
        data, locale=locale, encoding=encoding
    )


@FAST
@given(lines=st.lists(st.one_of(names, chinese_names, st.just("")), max_size=40), encoding=st.sampled_from(["gb18030", "ascii"]))
def test_any_report_is_the_bytes_escpos_made(lines: list[str], encoding: str) -> None:
    assert render_lines(lines, encoding=encoding) == dummy_lines(lines, encoding=encoding)


def test_the_daemon_imports_no_escpos_or_pillow() -> None:
    # In a fresh interpreter: this test process has imported python-escpos itself.
    probe = (
        "import sys, kioskd.app, kioskd.runner; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'escpos', 'PIL', 'qrcode', 'barcode', 'yaml'}))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
