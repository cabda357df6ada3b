"""Call a ledger method whether the ledger exposes it sync or async."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any


async def call(method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call `method`; await the result when the ledger's facade is async."""
    result = method(*args, **kwargs)
    if inspect.isawaitable(result):
        return await result
    return result
