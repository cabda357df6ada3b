"""The coverage check's idea of the chart is the machine's own, so no transition escapes it."""

from __future__ import annotations

from statemachine.definition import TRIGGERS
from tests.machine.conftest import Kiosk
from tests.machine.transition_coverage import Recorder, chart_transitions


def test_the_chart_is_expanded_as_the_built_machine_expands_it() -> None:
    machine = Kiosk().machine
    built = Recorder()
    for trigger in TRIGGERS:
        for transition in machine.get_nested_transitions(trigger):
            built.record(transition, trigger)
    chart = chart_transitions()
    assert len(chart) == len(set(chart))
    assert sorted(map(str, built.fired)) == sorted(map(str, chart))
