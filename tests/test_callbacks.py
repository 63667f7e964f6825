"""Unit tests of aebook.progress on a tiny Keras model."""

from __future__ import annotations

import re

import keras
import pytest
from _synthetic import tiny_fit

import aebook

LINE = re.compile(r"^epoch +(\d+)/(\d+) - loss (\d+\.\d{4}) - val_loss (\d+\.\d{4}) - \d+ s$")


def test_progress_prints_first_every_nth_and_last_epoch(capsys):
    history = tiny_fit(epochs=5, callbacks=[aebook.progress(every=2)])
    lines = capsys.readouterr().out.splitlines()
    matches = [LINE.match(line) for line in lines]
    assert all(matches), lines
    assert [int(m.group(1)) for m in matches] == [1, 2, 4, 5]
    assert {int(m.group(2)) for m in matches} == {5}
    # The printed losses are the epoch's logs, rounded to 4 decimals.
    for m in matches:
        epoch = int(m.group(1)) - 1
        assert float(m.group(3)) == pytest.approx(history.history["loss"][epoch], abs=5e-5)
        assert float(m.group(4)) == pytest.approx(history.history["val_loss"][epoch], abs=5e-5)


def test_progress_default_every_shows_first_and_last_only(capsys):
    callback = aebook.progress()
    assert isinstance(callback, keras.callbacks.Callback)
    tiny_fit(epochs=3, callbacks=[callback], validation=False)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("epoch   1/3 - loss ")
    assert lines[1].startswith("epoch   3/3 - loss ")
    assert "val_loss" not in lines[0]


@pytest.mark.parametrize("bad", [0, -2, 2.0, True, "5", None])
def test_progress_rejects_bad_every(bad):
    with pytest.raises(ValueError, match=r"progress\(every=\)"):
        aebook.progress(every=bad)
