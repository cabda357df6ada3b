"""Start-up's journal check: nothing is signed on a journal whose chain or money tables fail it."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from kioskd.custody.session import key_signer
from kioskd.ledger import JournalTampered
from kioskd.ledger.integrity import describe_problems
from kioskd.uplink.keys import signature_checker

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from kioskd.ledger import Ledger

log = logging.getLogger("kioskd")


async def verify_and_sign_restart(ledger: Ledger, key: Ed25519PrivateKey, kiosk_id: str, *, full: bool) -> None:
    """Schema, chain, checkpoints and money tables; any problem: out of service, nothing signed."""
    problems = await ledger.audit_check(signature_checker(key.public_key()), full=full)
    if problems:
        await ledger.close()
        raise JournalTampered(f"journal {ledger.path}: {describe_problems(problems)}")
    # only a verified chain is signed: the restart entry and a checkpoint right after it
    await ledger.start_run(key_signer(key), {"kiosk": kiosk_id})
    upgraded = await ledger.staff_key_old_hashes()  # a journal from before PIN keys
    if upgraded:
        log.info("staff: PIN hashes of %s keyed with the kiosk key", ", ".join(upgraded))
