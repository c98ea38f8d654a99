from __future__ import annotations

import json

import pytest

from libra.consensus import twins


def test_500_n4_f1_twins_scenarios_are_safe() -> None:
    """The CI run of Twins: 500 generated scenarios of 4 validators with one twin."""
    done: list[int] = []
    summary = twins.run(scenarios=500, seed=1, n=4, workers=2, progress=done.append)
    assert sum(done) == 500
    assert summary.scenarios == 500 and summary.twins == 1 and summary.f == 1
    assert summary.safe, summary.example_violation
    assert summary.scenarios_with_commits > 250
    json.dumps(summary.to_json())


def test_n7_f2_twins_are_safe() -> None:
    summary = twins.run(scenarios=40, seed=2, n=7, workers=2)
    assert summary.twins == 2
    assert summary.safe, summary.example_violation
    assert summary.scenarios_with_commits > 10


def test_negative_control_f_plus_one_twins_finds_a_violation() -> None:
    summary = twins.run(scenarios=25, seed=7, n=4, twins=2)
    assert not summary.safe
    assert summary.first_violating_scenarios
    assert summary.example_violation is not None


def test_scenarios_are_reproducible() -> None:
    a = twins.run_scenario(19, seed=7, n=4, twins=2)
    b = twins.run_scenario(19, seed=7, n=4, twins=2)
    assert a == b


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError):
        twins.run(scenarios=1, seed=0, n=4, twins=5)


@pytest.mark.slow
def test_500_scenarios_n4_and_n7() -> None:
    for n in (4, 7):
        summary = twins.run(scenarios=500, seed=11, n=n, workers=2)
        assert summary.safe, summary.example_violation
