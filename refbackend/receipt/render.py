"""HTML of the receipt and invoice pages: pure functions of the facts, every value escaped."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from refbackend.receipt.text import TEXT

STYLE = "/receipt.css"


def yuan(fen: int) -> str:
    """¥1,234.50 from integer fen."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}¥{whole:,}.{cents:02d}"


def masked_account(account: str) -> str:
    """The first 4 and last 2 digits; the rest as *."""
    if len(account) <= 6:
        return account[:1] + "*" * max(0, len(account) - 1)
    return account[:4] + "*" * (len(account) - 6) + account[-2:]


def local_time(rfc3339: str, zone: ZoneInfo) -> str:
    """An RFC 3339 UTC time as the hall's local time with its offset."""
    when = datetime.fromisoformat(rfc3339).astimezone(zone)
    return f"{when:%Y-%m-%d %H:%M:%S} {when.isoformat()[-6:]}"


def _rows(pairs: list[tuple[str, str]]) -> str:
    return "".join(f'<div class="row"><dt>{escape(k)}</dt><dd>{escape(v)}</dd></div>' for k, v in pairs)


def page(lang: str, title: str, body: str, switch_href: str) -> str:
    """A whole page: phone viewport, our own style sheet only, a link to the other language."""
    t = TEXT[lang]
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{escape(title)}</title><link rel="stylesheet" href="{STYLE}"></head>'
            f'<body><main><header><h1>{escape(title)}</h1>'
            f'<a class="lang" data-testid="lang" href="{escape(switch_href)}" lang="{t["other"]}">'
            f'{t["other_lang"]}</a></header>'
            f'{body}</main></body></html>')


def switch_link(path: str, lang: str) -> str:
    """This page in the other language."""
    return path + ("?lang=en" if lang == "zh-CN" else "")


def receipt_body(lang: str, proof: dict[str, Any], facts: dict[str, Any], zone: ZoneInfo) -> str:
    """A verified receipt: the proof's facts, the backend's record and status, the invoice."""
    t = TEXT[lang]
    payment = facts.get("payment")
    rows = [(t["kiosk"], str(proof["kiosk"]))]
    if facts.get("hall"):
        rows.append((t["hall"], facts["hall"]))
    rows += [(t["seq"], str(proof["seq"])), (t["txn"], str(proof["txn"])),
             (t["time"], local_time(str(proof["at"]), zone))]
    notes = ""
    if payment is not None:
        rows += [(t["account"], masked_account(payment["account"])), (t["holder"], facts.get("holder") or "")]
        notes = _rows([(t["note"].format(n=i), yuan(note["value"]))
                       for i, note in enumerate(payment["notes"], start=1)])
    total = _rows([(t["total"], yuan(int(proof["amount"])))])
    if payment is None:
        status = (f'<p class="status pending" data-status="pending">{escape(t["pending"])}</p>'
                  f'<p class="small">{escape(t["pending_body"])}</p>')
    elif facts["credited"]:
        ref = facts["answer"].get("ref") or ""
        status = (f'<p class="status ok" data-status="credited">{escape(t["credited"])}</p>'
                  + _rows([(t["ref"], ref)]))
    else:
        status = (f'<p class="status bad" data-status="refused">{escape(t["refused"])}</p>'
                  f'<p class="small">{escape(t["refused_body"])}</p>')
    invoice = facts.get("invoice")
    invoice_html = ""
    if invoice:
        link = escape(invoice["url"] + ("?lang=en" if lang == "en" else ""))
        invoice_html = (f'<section class="invoice"><h2>{escape(t["invoice"])}</h2>'
                        + _rows([(t["invoice_number"], invoice["number"])])
                        + f'<a class="button" data-testid="open-invoice" href="{link}">'
                        f'{escape(t["invoice_open"])}</a></section>')
    return (f'<p class="verified">✓ {escape(t["verified"].format(kiosk=proof["kiosk"]))}</p>'
            f'<dl>{_rows(rows)}</dl><dl class="notes">{notes}</dl><dl class="total">{total}</dl>'
            f'{status}{invoice_html}')


def refusal_body(lang: str, kind: str) -> str:
    """Why the receipt is not shown: invalid or mismatch."""
    t = TEXT[lang]
    return (f'<p class="status bad" data-status="{kind}">{escape(t[kind + "_title"])}</p>'
            f'<p>{escape(t[kind + "_body"])}</p>')


def invoice_body(lang: str, facts: dict[str, Any], zone: ZoneInfo) -> str:
    """An issued invoice."""
    t = TEXT[lang]
    invoice, payment = facts["invoice"], facts["payment"]
    rows = [(t["invoice_number"], invoice["number"]), (t["issued"], local_time(invoice["issued"], zone)),
            (t["seller"], t["seller_name"] + (f" · {facts['hall']}" if facts.get("hall") else "")),
            (t["buyer"], facts.get("holder") or masked_account(payment["account"])),
            (t["account"], masked_account(payment["account"])),
            (t["item"], t["item_name"].format(kiosk=facts["kiosk"], seq=payment["seq"]))]
    return (f'<dl>{_rows(rows)}</dl><dl class="total">{_rows([(t["amount"], yuan(payment["amount"]))])}</dl>')


def receipt_path(proof_text: str) -> str:
    """The page's own path for a proof."""
    return "/r/" + quote(proof_text, safe="")
