"""Which transitions of the state chart the machine tests fired, and which they never did.

A transition is keyed (trigger, source, dest, guard): sources expanded as the chart's
HierarchicalAsyncMachine expands them ('*' is every top-level state, a list is each of
its states), guard the names of its `conditions` and `not <unless>`, so that two rules
that differ only by guard (finish -> submit / -> idle) count separately.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from transitions.extensions.asyncio import NestedAsyncTransition

from statemachine.definition import TRANSITIONS, Timeouts, states


@dataclass(frozen=True)
class Fired:
    """One transition of the chart: what triggers it, from where, to where, under which guard."""

    trigger: str
    source: str
    dest: str | None
    guard: tuple[str, ...] = ()

    def __str__(self) -> str:
        dest = self.dest or "(stays, internal)"
        guard = f" if {' and '.join(self.guard)}" if self.guard else ""
        return f"{self.trigger}: {self.source} -> {dest}{guard}"


# Fired by no test on purpose, each with the one-line reason it cannot happen (none today).
UNREACHABLE: dict[Fired, str] = {}


def _names(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _guard(conditions: Iterable[str], unless: Iterable[str]) -> tuple[str, ...]:
    return (*conditions, *(f"not {name}" for name in unless))


def chart_transitions(rules: list[dict[str, Any]] = TRANSITIONS) -> list[Fired]:
    """Every transition the chart defines, in definition order, wildcard and list sources expanded."""
    top_level = [state["name"] for state in states(Timeouts())]
    chart: dict[Fired, None] = {}
    for rule in rules:
        sources = top_level if rule["source"] == "*" else _names(rule["source"])
        guard = _guard(_names(rule.get("conditions")), _names(rule.get("unless")))
        chart.update(dict.fromkeys(Fired(rule["trigger"], s, rule["dest"], guard) for s in sources))
    return list(chart)


class Recorder:
    """Collects the transitions the machine actually executed."""

    def __init__(self) -> None:
        self.fired: set[Fired] = set()

    def record(self, transition: NestedAsyncTransition, trigger: str) -> None:
        """Note one executed transition (its conditions held and its callbacks ran)."""
        guard = _guard(
            (str(c.func) for c in transition.conditions if c.target),
            (str(c.func) for c in transition.conditions if not c.target),
        )
        self.fired.add(Fired(trigger, transition.source, transition.dest, guard))

    def never_fired(self, chart: list[Fired]) -> list[Fired]:
        """Transitions of `chart` no test fired, except the ones unreachable by design."""
        return [t for t in chart if t not in self.fired and t not in UNREACHABLE]

    def outside(self, chart: list[Fired]) -> list[Fired]:
        """Recorded transitions the chart does not define: the recorder's keys are out of step."""
        return sorted(set(self.fired) - set(chart), key=str)


RECORDER = Recorder()
