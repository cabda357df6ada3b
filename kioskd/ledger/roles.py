"""The staff table's roles: a constant with no SQL, so kioskctl's parser reads it without the journal."""

from __future__ import annotations

ROLES = ("hall", "manager", "technician")
