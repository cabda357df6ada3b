"""Migrations 4, 8 and 11: dual-custody sessions of the cash box, the staff accounts
(technicians first), and PIN hashes keyed with the kiosk key.
"""

from __future__ import annotations

V4_CUSTODY: tuple[str, ...] = (
    # PINs are kept only as scrypt hashes (hex) with their own random salt.
    """CREATE TABLE technicians (
        id TEXT PRIMARY KEY NOT NULL CHECK (length(id) > 0),
        name TEXT NOT NULL,
        pin_hash TEXT NOT NULL,
        salt TEXT NOT NULL,
        enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
        failures INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
        locked_until TEXT,
        created TEXT NOT NULL
    )""",
    """CREATE TRIGGER technicians_no_delete BEFORE DELETE ON technicians
       BEGIN SELECT RAISE(ABORT, 'technicians are disabled, never deleted'); END""",
    """CREATE TABLE custody_sessions (
        id TEXT PRIMARY KEY NOT NULL,
        started TEXT NOT NULL,
        source TEXT NOT NULL,
        tech1 TEXT,
        tech2 TEXT,
        box_id TEXT,
        outcome TEXT CHECK (outcome IS NULL OR outcome IN
            ('aborted', 'match', 'mismatch')),
        reason TEXT,
        ended TEXT
    )""",
    # Signed checkpoints of the audit chain: Ed25519 over {kiosk, seq, hash, at}.
    """CREATE TABLE audit_checkpoints (
        seq INTEGER PRIMARY KEY CHECK (seq >= 1),
        hash TEXT NOT NULL,
        at TEXT NOT NULL,
        sig TEXT NOT NULL
    )""",
    """CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
       BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END""",
    """CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
       BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END""",
)


V8_STAFF: tuple[str, ...] = (
    # The technicians become staff accounts with the role technician; hall staff and
    # managers join them. A role is fixed for the life of an account (disable, add anew).
    "ALTER TABLE technicians RENAME TO staff",
    """ALTER TABLE staff ADD COLUMN role TEXT NOT NULL DEFAULT 'technician'
        CHECK (role IN ('hall', 'manager', 'technician'))""",
    "DROP TRIGGER technicians_no_delete",
    """CREATE TRIGGER staff_no_delete BEFORE DELETE ON staff
       BEGIN SELECT RAISE(ABORT, 'staff accounts are disabled, never deleted'); END""",
    """CREATE TRIGGER staff_fixed BEFORE UPDATE OF id, role, name, created ON staff
       WHEN NEW.id IS NOT OLD.id OR NEW.role IS NOT OLD.role OR NEW.name IS NOT OLD.name
            OR NEW.created IS NOT OLD.created
       BEGIN SELECT RAISE(ABORT, 'a staff account keeps its id, role and name'); END""",
    """CREATE TRIGGER staff_stays_disabled BEFORE UPDATE OF enabled ON staff
       WHEN OLD.enabled = 0 AND NEW.enabled != 0
       BEGIN SELECT RAISE(ABORT, 'a disabled staff account stays disabled'); END""",
)


V11_PINS_KEYED: tuple[str, ...] = (
    # PIN hashes are keyed with a secret derived from the kiosk key (kioskd.ledger.custody.keyed):
    # every new one, and an old plain one only ever becomes keyed (the daemon does it at start)
    """CREATE TRIGGER staff_pin_keyed BEFORE INSERT ON staff WHEN NEW.pin_hash NOT LIKE 'hmac-scrypt$%'
       BEGIN SELECT RAISE(ABORT, 'a PIN hash is keyed with the kiosk key'); END""",
    """CREATE TRIGGER staff_pin_stays_keyed BEFORE UPDATE OF pin_hash ON staff
       WHEN NEW.pin_hash IS NOT OLD.pin_hash
            AND NOT (OLD.pin_hash LIKE 'scrypt$%' AND NEW.pin_hash LIKE 'hmac-scrypt$%')
       BEGIN SELECT RAISE(ABORT, 'a PIN hash is only ever keyed, never changed'); END""",
)
