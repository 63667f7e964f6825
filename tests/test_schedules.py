"""aebook.warmup_cosine: the schedule chapter 2 teaches, offered to the later chapters."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import aebook

ROOT = Path(__file__).resolve().parents[1]


def _chapter_2_schedule(steps_per_epoch: int):
    """Chapter 2's own ``warmup_cosine``, taken from the notebook's code cell and run."""
    import keras

    nb = json.loads((ROOT / "notebooks" / "02_undercomplete.ipynb").read_text(encoding="utf-8"))
    source = next(
        "".join(c["source"])
        for c in nb["cells"]
        if c["cell_type"] == "code" and "def warmup_cosine(" in "".join(c["source"])
    )
    start = source.index("def warmup_cosine(")
    end = source.index("\ndef ", start + 1)
    namespace = {"keras": keras, "STEPS_PER_EPOCH": steps_per_epoch}
    exec(source[start:end], namespace)
    return namespace["warmup_cosine"]


@pytest.mark.parametrize("epochs, steps", [(30, 215), (5, 40), (2, 1)])
def test_the_library_schedule_is_chapter_2s(epochs: int, steps: int) -> None:
    taught = _chapter_2_schedule(steps)(epochs)
    offered = aebook.warmup_cosine(epochs, steps)
    points = np.unique(np.linspace(0, epochs * steps + 5, 97).astype(int))
    ours = np.array([float(offered(int(p))) for p in points])
    theirs = np.array([float(taught(int(p))) for p in points])
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    assert ours.max() == pytest.approx(3e-3, rel=1e-3)  # the peak, after one epoch
    assert ours[0] == pytest.approx(3e-5) and ours[-1] == pytest.approx(0.02 * 3e-3, rel=1e-3)


@pytest.mark.parametrize(
    "kwargs",
    [{"epochs": 0}, {"steps_per_epoch": True}, {"peak": 0.0}, {"final_fraction": 2.0}],
)
def test_bad_schedule_arguments_are_refused(kwargs: dict) -> None:
    args = {"epochs": 3, "steps_per_epoch": 10} | kwargs
    with pytest.raises(ValueError, match="epochs|steps_per_epoch|peak"):
        aebook.warmup_cosine(**args)
