"""Simulated hardware for `kioskd run --simulate`: wire emulators on ptys and a reference backend.

The real drivers open the emulators' ptys, so every demo runs the real protocol code.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from drivers.printer.emulator import EscposEmulator, render_png
from drivers.registry import VALIDATORS
from kioskd.config import Config
from kioskd.uplink.corrections import PATHS as CORRECTION_PATHS
from kioskd.uplink.keys import init_key, load_key, public_b64url
from refbackend import ReferenceBackend

log = logging.getLogger("kioskd.sim.hardware")

PRINTER_FAULTS = ("paper_low", "paper_out", "cover_open", "offline")
DOOR_FAULT = "door_open"  # the simulated door switch: a GPIO-style value file in the state dir
DOOR_UNREADABLE = "door_unreadable"  # the value file reads neither 0 nor 1 (a cut cable, a bad export)
BACKEND_FAULT = "backend_down"  # the reference backend answers every request 503
# re-credits and voids answered 503 (all else as usual): a case's request waits for the outbox
CORRECTIONS_FAULT = "backend_corrections_down"
CORRECTIONS_ONLY = tuple(f"/{path}" for path in CORRECTION_PATHS.values())
# the backend predates customers' ratings: a batch with one gets 400 (a backend older than the kiosk)
RATINGS_FAULT = "backend_predates_ratings"
def validator_emulator(driver: str, **options: Any) -> Any:
    """A new wire emulator for `driver` (options such as encrypted=True for eSSP)."""
    return VALIDATORS[driver].emulator_class()(**options)


class Simulation:
    """The simulated validator, printer and backend, and the /sim page's controls."""

    def __init__(self, state_dir: Path, validator: str = "id003", *, encrypted: bool = False) -> None:
        self.state_dir = state_dir
        state_dir.mkdir(parents=True, exist_ok=True)
        self.driver = validator
        # an eSSP kiosk gets a device that requires encryption, as an NV9 with eSSP on does
        self.validator = validator_emulator(validator, **({"encrypted": True} if encrypted else {}))
        self.printer = EscposEmulator()
        self.backend = ReferenceBackend(state_dir / "backend.sqlite3")
        self.door = state_dir / "door"
        # whether the kiosk takes notes now (the runner asks its machine); a bare Simulation does
        self.taking_notes: Callable[[], bool] = lambda: True

    async def start(self, config: Config) -> Config:
        """Start everything; return the config pointed at the emulators and the backend."""
        if not config.key_path.exists():
            init_key(config.key_path)
        self.backend.enroll(config.kiosk.id, public_b64url(load_key(config.key_path)))
        url = await self.backend.start("127.0.0.1", 0)
        await self.validator.start()
        await self.printer.start()
        self._set_door(False)
        log.info("simulated validator on %s, printer on %s, backend at %s",
                 self.validator.port, self.printer.port, url)
        return dataclasses.replace(
            config,
            validator=dataclasses.replace(config.validator, port=self.validator.port),
            printer=dataclasses.replace(config.printer, port=self.printer.port, transport="serial"),
            # the receipt's QR code opens the receipt page of the simulated backend
            backend=dataclasses.replace(config.backend, url=url, receipt_url=config.backend.receipt_url or url + "r/"),
            door=dataclasses.replace(config.door, path=str(self.door), open_value="1"),
        )

    async def stop(self) -> None:
        """Stop the emulators and the backend."""
        await self.validator.stop()
        await self.printer.stop()
        await self.backend.stop()

    # --- SimControl (the /sim page) ---------------------------------------------
    def notes(self) -> list[int]:
        """The note values (fen) the simulated validator knows, smallest first."""
        return self.validator.notes_fen

    async def insert(self, value: int) -> bool:
        """Offer a note of `value` fen (-1: a counterfeit the validator refuses) at the slot.

        False when the kiosk is taking no notes (not at its cash step): the customer keeps the
        note, as at an inhibited validator, rather than leave it queued for the next customer.
        Raises ValueError for a value the validator does not know.
        """
        if value != -1 and value not in self.notes():
            raise ValueError(f"no note of {value} fen")
        if not self.taking_notes():
            log.info("sim: a %s fen note offered while the kiosk takes none is handed back", value)
            return False
        if value < 0:
            self.validator.insert_counterfeit()
        else:
            self.validator.insert(value)
        return True

    async def fault(self, name: str, on: bool) -> None:
        """Switch a validator, printer, door or backend fault."""
        if name in PRINTER_FAULTS:
            setattr(self.printer, name, on)
        elif name == DOOR_FAULT:
            self._set_door(on)
        elif name == DOOR_UNREADABLE:
            self._set_door(False, "?\n" if on else None)
        elif name in (BACKEND_FAULT, CORRECTIONS_FAULT):
            faults = self.backend.faults
            faults.fail_5xx = 10**9 if on else 0
            faults.paths = CORRECTIONS_ONLY if name == CORRECTIONS_FAULT else None
        elif name == RATINGS_FAULT:
            self.backend.faults.unknown_kinds = frozenset({"rating"} if on else ())
        elif name in self.validator.faults:
            self.validator.set_fault(name, on)
        else:
            raise ValueError(f"unknown fault {name!r}")

    def _set_door(self, is_open: bool, text: str | None = None) -> None:
        # replaced whole, as a GPIO value file never reads half-written ("1" is open)
        temp = self.door.with_name("door.tmp")
        temp.write_text(text or ("1\n" if is_open else "0\n"), encoding="ascii")
        temp.replace(self.door)

    def faults(self) -> dict[str, bool]:
        """Every fault switch and its position."""
        switches = {name: bool(on) for name, on in self.validator.faults.items()}
        switches.update({name: bool(getattr(self.printer, name)) for name in PRINTER_FAULTS})
        down = self.backend.faults.fail_5xx > 0
        switches[BACKEND_FAULT] = down and self.backend.faults.paths is None
        switches[CORRECTIONS_FAULT] = down and self.backend.faults.paths == CORRECTIONS_ONLY
        switches[RATINGS_FAULT] = "rating" in self.backend.faults.unknown_kinds
        level = self.door.read_text(encoding="ascii").strip() if self.door.exists() else ""
        switches[DOOR_FAULT], switches[DOOR_UNREADABLE] = level == "1", level not in ("0", "1")
        return switches

    def latest_qr(self) -> list[str]:
        """The QR codes' texts of the last receipt the printer emulator decoded."""
        return list(self.printer.receipts[-1].qr) if self.printer.receipts else []

    def printed(self) -> int:
        """How many receipts the printer emulator decoded since the start."""
        return len(self.printer.receipts)

    def backend_hits(self) -> dict[str, int]:
        """Requests the reference backend received, per path (a look-up is /v1/accounts/lookup)."""
        return dict(self.backend.hits)

    def latest_receipt(self) -> tuple[list[str], bytes | None] | None:
        """The last receipt the printer emulator decoded, as text lines and a PNG."""
        if not self.printer.receipts:
            return None
        receipt = self.printer.receipts[-1]
        return receipt.lines, render_png(receipt)
