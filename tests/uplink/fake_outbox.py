"""An in-memory outbox with the ledger's method names, plus the two look-ups batches need."""

from __future__ import annotations

from dataclasses import dataclass, replace

from kioskd.ledger.records import OutboxItem


@dataclass(frozen=True)
class Item(OutboxItem):
    """The ledger's outbox item, and when it was answered: the fake keeps answered items."""

    done: str | None = None


class FakeOutbox:
    """outbox_put/next/done/retry like kioskd.ledger; outbox_last/outbox_item as batches.py asks."""

    def __init__(self) -> None:
        self.items: list[Item] = []

    async def outbox_put(self, kind: str, key: str, body: str) -> int:
        for item in self.items:
            if (item.kind, item.key) == (kind, key):
                return item.id
        self.items.append(Item(len(self.items) + 1, kind, key, body, 0, "2000-01-01T00:00:00.000Z"))
        return len(self.items)

    async def outbox_next(self, kind: str) -> Item | None:
        return next((i for i in self.items if i.kind == kind and i.done is None), None)

    async def outbox_done(self, item_id: int, answer: str) -> None:
        self.items[item_id - 1] = replace(self.items[item_id - 1], done=answer)

    async def outbox_retry(self, item_id: int, next_try: str, error: str) -> None:
        item = self.items[item_id - 1]
        self.items[item_id - 1] = replace(item, tries=item.tries + 1, next_try=next_try)

    async def outbox_last(self, kind: str) -> Item | None:
        return next((i for i in reversed(self.items) if i.kind == kind), None)

    async def outbox_item(self, kind: str, key: str) -> Item | None:
        return next((i for i in self.items if (i.kind, i.key) == (kind, key)), None)
