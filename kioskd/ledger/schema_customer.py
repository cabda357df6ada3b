"""Migrations 5, 7 and 9: what a customer asks of a payment after it: a rating, an invoice,
a self-service reprint of its receipt.
"""

from __future__ import annotations

V5_RATINGS: tuple[str, ...] = (
    # the customer's optional rating of a payment on the result screen; batched by id
    """CREATE TABLE ratings (
        id INTEGER PRIMARY KEY,
        txn TEXT NOT NULL UNIQUE REFERENCES txns(id),
        rating TEXT NOT NULL CHECK (rating IN ('good', 'fair', 'poor')),
        at TEXT NOT NULL
    )""",
    """CREATE TRIGGER ratings_only_payments BEFORE INSERT ON ratings
       WHEN (SELECT seq FROM txns WHERE id = NEW.txn) IS NULL
       BEGIN SELECT RAISE(ABORT, 'only a payment that took cash is rated'); END""",
    """CREATE TRIGGER ratings_no_update BEFORE UPDATE ON ratings
       BEGIN SELECT RAISE(ABORT, 'a rating is never changed'); END""",
    """CREATE TRIGGER ratings_no_delete BEFORE DELETE ON ratings
       BEGIN SELECT RAISE(ABORT, 'a rating is never deleted'); END""",
)


V7_INVOICES: tuple[str, ...] = (
    # the customer's request for an electronic invoice of a payment (one per payment), and what
    # the backend answered; the signed request is the outbox body (kind "invoice", key txn)
    """CREATE TABLE invoices (
        id INTEGER PRIMARY KEY,
        txn TEXT NOT NULL UNIQUE REFERENCES txns(id),
        requested TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('requested', 'issued', 'refused')),
        number TEXT,
        url TEXT,
        reason TEXT,
        answered TEXT
    )""",
)


V9_SELF_REPRINTS: tuple[str, ...] = (
    # a customer's own copy of a receipt at the kiosk (补打凭条): one per payment that took cash
    """CREATE TABLE self_reprints (
        txn TEXT PRIMARY KEY NOT NULL REFERENCES txns(id),
        at TEXT NOT NULL
    )""",
    """CREATE TRIGGER self_reprints_only_payments BEFORE INSERT ON self_reprints
       WHEN (SELECT seq FROM txns WHERE id = NEW.txn) IS NULL
       BEGIN SELECT RAISE(ABORT, 'only a payment that took cash has a receipt to reprint'); END""",
    """CREATE TRIGGER self_reprints_no_update BEFORE UPDATE ON self_reprints
       BEGIN SELECT RAISE(ABORT, 'a reprint is never changed'); END""",
    """CREATE TRIGGER self_reprints_no_delete BEFORE DELETE ON self_reprints
       BEGIN SELECT RAISE(ABORT, 'a reprint is never deleted'); END""",
)
