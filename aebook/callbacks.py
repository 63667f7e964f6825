"""A quiet progress line for ``model.fit``: one line every few epochs instead of a bar."""

from __future__ import annotations

import time
from typing import Any

__all__ = ["progress"]


def progress(every: int = 10) -> Any:
    """A Keras callback printing epoch, losses and elapsed time every ``every`` epochs.

    The first and the last epoch are always printed, so a two-epoch smoke run shows both.
    Use it with ``verbose=0``: ``model.fit(..., verbose=0, callbacks=[aebook.progress()])``.
    """
    import keras

    if not isinstance(every, int) or isinstance(every, bool) or every < 1:
        raise ValueError(f"progress(every=) must be a positive int, got {every!r}")

    class _Progress(keras.callbacks.Callback):
        def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
            self._start = time.perf_counter()
            self._epochs = int(self.params.get("epochs") or 0)

        def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
            n = epoch + 1
            if n == 1 or n % every == 0 or n == self._epochs:
                parts = " - ".join(f"{k} {v:.4f}" for k, v in sorted((logs or {}).items()))
                elapsed = time.perf_counter() - self._start
                print(f"epoch {n:3d}/{self._epochs} - {parts} - {elapsed:.0f} s", flush=True)

    return _Progress()
