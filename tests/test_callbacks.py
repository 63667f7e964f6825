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


def test_stop_at_stops_at_the_first_epoch_that_reaches_the_target(capsys):
    from _synthetic import tiny_model

    callback = aebook.stop_at(0.10)
    callback.set_model(tiny_model())
    callback.on_train_begin()
    for epoch, value in enumerate([0.30, 0.15, 0.1001]):
        callback.on_epoch_end(epoch, {"loss": 0.0, "val_loss": value})
        assert not callback.model.stop_training
    assert callback.stopped_epoch is None
    callback.on_epoch_end(3, {"loss": 0.0, "val_loss": 0.10})  # at the target counts
    assert callback.model.stop_training
    assert callback.stopped_epoch == 4
    assert "val_loss 0.1000 <= 0.1 after epoch 4: target reached" in capsys.readouterr().out


def test_stop_at_ends_fit_early():
    callback = aebook.stop_at(1e9)  # any loss reaches it
    history = tiny_fit(epochs=5, callbacks=[callback])
    assert callback.stopped_epoch == 1
    assert len(history.history["val_loss"]) == 1


def test_stop_at_runs_all_epochs_when_the_target_is_not_reached(capsys):
    callback = aebook.stop_at(1e-9)
    history = tiny_fit(epochs=3, callbacks=[callback])
    assert callback.stopped_epoch is None
    assert len(history.history["loss"]) == 3
    assert capsys.readouterr().out == ""


def test_stop_at_needs_the_monitored_value():
    with pytest.raises(KeyError, match="val_loss"):
        tiny_fit(epochs=1, callbacks=[aebook.stop_at(0.5)], validation=False)


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf")])
def test_stop_at_rejects_bad_targets(bad):
    with pytest.raises(ValueError, match="stop_at"):
        aebook.stop_at(bad)


@pytest.mark.parametrize("bad", ["0.1", None, True])
def test_stop_at_rejects_non_numbers(bad):
    with pytest.raises(TypeError, match="stop_at"):
        aebook.stop_at(bad)
