"""Each close's open differences checked against the chain before it (`kioskctl audit verify`).

A close signs its open differences as a summary (kioskd.ledger.opendiffs), not the list; the
replay of the difference entries up to it (backend_api.opendiffs, the backend's check too) must
give what it signed.
"""

from __future__ import annotations

import json
import sqlite3

from backend_api.opendiffs import KINDS, OpenReplay
from kioskd.ledger.audit import kind_indexed
from kioskd.ledger.records import AuditProblem


def check_close_summaries(conn: sqlite3.Connection) -> AuditProblem | None:
    """The first close (or difference entry) the replay of the difference entries before it disagrees with."""
    replay = OpenReplay()
    for seq, kind, data_json in conn.execute(
            f"SELECT seq, kind, data FROM audit WHERE kind IN ({', '.join('?' * len(KINDS))}){kind_indexed(KINDS)}"
            " ORDER BY seq", KINDS):
        try:
            why = replay.entry(kind, json.loads(data_json))
        except ValueError as err:  # not JSON, or a number RFC 8785 cannot write
            why = str(err)
        if why is not None:
            return AuditProblem(seq, f"entry {seq} ({kind}): {why}", "close_replay",
                                {"seq": seq, "kind": kind, "why": why})
    return None
