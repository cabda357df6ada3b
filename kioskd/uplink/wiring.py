"""How the daemon links to its backend: the client, the outbox sender and the batches, told of each other."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kioskd.uplink.batches import BatchBuilder
from kioskd.uplink.client import BackendClient
from kioskd.uplink.invoices import Invoices
from kioskd.uplink.outbox import OutboxSender
from kioskd.uplink.scheduler import BatchScheduler

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from kioskd.config import BackendConfig
    from kioskd.ledger import Ledger
    from kioskd.uplink.outbox import AcceptedHook, FlaggedHook


@dataclass(frozen=True)
class Uplink:
    """The parts of the backend link the daemon starts and the other services use."""

    client: BackendClient
    batch_builder: BatchBuilder
    invoices: Invoices
    sender: OutboxSender
    batches: BatchScheduler


def build_uplink(ledger: Ledger, backend: BackendConfig, kiosk_id: str, key: Ed25519PrivateKey, *,
                 on_flagged: FlaggedHook, on_accepted: AcceptedHook) -> Uplink:
    """The backend link on `ledger`'s outbox: nothing is sent until the sender and batches run."""
    client = BackendClient(backend.url, kiosk_id, key, timeout=backend.timeout)
    batch_builder = BatchBuilder(ledger, client, on_flagged=on_flagged, on_accepted=on_accepted)
    invoices = Invoices(ledger, client, timeout=backend.timeout, on_flagged=on_flagged)
    sender = OutboxSender(
        ledger, client, on_flagged=on_flagged,
        batch_handler=batch_builder.handle_conflict, invoice_handler=invoices.send,
        on_batch_accepted=on_accepted,
    )
    client.on_back = sender.wake  # the backend answers again: send what waits at once
    invoices.outbox = sender
    batches = BatchScheduler(ledger, batch_builder, wake_sender=sender.wake)
    return Uplink(client, batch_builder, invoices, sender, batches)
