"""The hall's registers: count differences and vendor claims, the key register, the patrol log, the work log."""
