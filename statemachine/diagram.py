"""Render the state chart as a Mermaid diagram (docs/state-chart.md) from the definition."""

from __future__ import annotations

import sys
from pathlib import Path

from transitions.extensions.factory import HierarchicalAsyncGraphMachine

from statemachine.definition import TRANSITIONS, Timeouts, states
from statemachine.machine import KioskState

DOC = Path(__file__).resolve().parent.parent / "docs" / "state-chart.md"
HEADER = (
    "# kioskd state chart\n\n"
    "Generated from `statemachine/definition.py` by `python -m statemachine.diagram`;\n"
    "a test fails when this file is stale. Timeouts shown are the defaults of\n"
    "`[timeouts]`.\n\n"
)


def mermaid() -> str:
    """The chart in Mermaid syntax."""

    class Drawing:
        """A model that only carries the state for drawing."""

    class DrawingMachine(HierarchicalAsyncGraphMachine):
        """The graph flavour of the kiosk machine, with the same state class."""

        state_cls = KioskState

    machine = DrawingMachine(
        model=Drawing(),
        states=states(Timeouts()),
        transitions=TRANSITIONS,
        initial="starting",
        auto_transitions=False,
        graph_engine="mermaid",
        show_conditions=True,
    )
    text = machine.get_graph().draw(None)
    # transitions writes a bare title as front matter, which Mermaid rejects; drop it
    lines = text.splitlines()
    if lines[:1] == ["---"]:
        lines = lines[lines.index("---", 1) + 1 :]
    return "\n".join(lines)


def document() -> str:
    """The whole Markdown page."""
    return HEADER + "```mermaid\n" + mermaid().rstrip() + "\n```\n"


def main() -> int:
    """Write docs/state-chart.md."""
    DOC.write_text(document(), encoding="utf-8")
    print(f"wrote {DOC}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
