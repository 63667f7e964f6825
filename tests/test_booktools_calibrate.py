"""Unit tests of booktools.calibrate: the stamp entry, the conversion, and the workload itself."""

from __future__ import annotations

import sys

import pytest

from booktools import calibrate
from booktools.calibrate import (
    REFERENCE_SECONDS_PER_EPOCH,
    WORKLOAD,
    CalibrationError,
    reference_seconds,
    stamp_entry,
)


def _stamp(wall: float, entry: object = None) -> dict[str, object]:
    stamp: dict[str, object] = {"profile": "full", "wall_seconds": wall}
    if entry is not None:
        stamp["calibration"] = entry
    return stamp


def test_a_stamp_without_calibration_counts_as_the_reference_machine() -> None:
    assert reference_seconds(_stamp(174.2)) == 174.2


def test_a_slower_machine_converts_to_less_time() -> None:
    twice = stamp_entry([2 * REFERENCE_SECONDS_PER_EPOCH])
    assert reference_seconds(_stamp(400.0, twice)) == pytest.approx(200.0, rel=1e-3)
    same = stamp_entry([REFERENCE_SECONDS_PER_EPOCH])
    assert reference_seconds(_stamp(400.0, same)) == pytest.approx(400.0)


def test_stamp_entry_keeps_the_fastest_run_and_names_the_workload() -> None:
    assert stamp_entry([0.5, 0.3]) == {
        "workload": WORKLOAD, "seconds_per_epoch": 0.3, "runs": [0.5, 0.3]
    }  # fmt: skip
    for bad in ([], [0.3, 0.0], [-1.0]):
        with pytest.raises(ValueError, match="must be positive"):
            stamp_entry(bad)


def test_the_conversion_uses_the_fastest_run() -> None:
    entry = {"workload": WORKLOAD, "seconds_per_epoch": 0.4, "runs": [0.3, 0.5]}  # a mean
    expected = 100.0 * REFERENCE_SECONDS_PER_EPOCH / 0.3
    assert reference_seconds(_stamp(100.0, entry)) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("entry", "match"),
    [
        ({"workload": "other-v0", "seconds_per_epoch": 0.3}, "not of workload"),
        ("0.3", "not of workload"),
        ({"workload": WORKLOAD, "seconds_per_epoch": 0.0}, "re-execute"),
        ({"workload": WORKLOAD, "seconds_per_epoch": 0.3, "runs": [0.3, -1.0]}, "re-execute"),
    ],
)
def test_a_calibration_that_cannot_be_converted_is_refused(entry: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        reference_seconds(_stamp(100.0, entry))


def test_a_failing_workload_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "executable", "/bin/false")
    with pytest.raises(CalibrationError, match="calibration workload failed"):
        calibrate.measure()


@pytest.mark.slow  # trains a small model for about 10 s
def test_the_workload_runs_and_gives_a_plausible_time() -> None:
    seconds = calibrate.measure()
    # 96 steps of a 784-32-784 model: well under 1 ms of arithmetic each on any 2-core CPU,
    # and Keras's per-call overhead keeps an epoch above a few hundredths of a second
    assert 0.02 < seconds < 5.0
