"""How fast this machine trains the book's models: a calibration stamped beside run times.

The book's time budget (6 minutes a chapter, 25 for chapters 1-9, on 2 CPU cores) is a
property of the chapters, but a stamp's ``wall_seconds`` is a property of the chapter *and*
the machine that ran it. The project's own 2-core machines differ by more than a factor of
two on the same notebook (chapter 3's unchanged code: 174.2 s on the machine that stamped it
on 2026-12-03, 381 s on another one on 2026-12-06), while their matrix products differ the
other way. So the executor also times one fixed workload, before and after the notebook, in a
fresh process of its own, and stamps it::

    "calibration": {"workload": "dense-ae-v1", "seconds_per_epoch": 0.31, "runs": [0.31, 0.51]}

The workload (:data:`WORKLOAD`) is the book's most common kind of step: chapter 2's
784-32-784 dense autoencoder, trained with ``fit`` at batch 256 and
``steps_per_execution=32``, on 24,576 images (96 full batches, 3 calls into TensorFlow per
epoch; random pixel values: the cost of a step does not depend on them), with
``aebook.setup``'s determinism on, as in every chapter, for 12 epochs in one ``fit``. It
reports the median seconds per epoch of epochs 3 to 12 (the first two trace and compile).
On one machine, three such measurements in a row gave 0.34 to 0.40 s, and one taken while
another program ran gave 0.51 s. Contention can only slow the workload, and a slower
calibration would shrink the converted time, so the stamp keeps the *faster* of the two: the
conversion errs towards charging a chapter more time, not less.

:func:`reference_seconds` converts a stamp to the **reference machine**, the one whose
calibration is :data:`REFERENCE_SECONDS_PER_EPOCH`, so that runs on different machines can be
compared. It is a measurement, not the budget: the budget test reads the wall time, because
the reference value is inferred (see its comment) and a reader's machine is the one that
counts. Stamps without a calibration count as they are.

    python -m booktools.calibrate          # prints this machine's calibration and its factor
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = [
    "CALIBRATION_KEY",
    "REFERENCE_SECONDS_PER_EPOCH",
    "WORKLOAD",
    "CalibrationError",
    "measure",
    "reference_seconds",
    "stamp_entry",
]

#: The workload's name in a stamp; a new workload gets a new name (and a new reference).
WORKLOAD = "dense-ae-v1"
#: The stamp key under the executor's metadata.
CALIBRATION_KEY = "calibration"

#: Seconds per epoch of :data:`WORKLOAD` on the reference machine, the one that stamped the
#: second edition's chapters. It was never measured there directly; it is inferred from one
#: chapter run on both machines with the same code: chapter 3 took 174.2 s on the reference
#: machine (its committed stamp of 2026-12-03) and 370.3 s on the machine of 2026-12-07, whose
#: calibration was 0.3076 s before that run and 0.3168 s after; with the faster of the two, as
#: stamps keep, the reference takes 0.3076 x 174.2 / 370.3 = 0.145 s. (The chapter, split
#: into shorter cells but otherwise the same, took 374.4 s there again, at 0.2993 s: 176 s
#: converted.) A session on a machine of the reference's speed should re-anchor it by
#: executing an unchanged chapter.
REFERENCE_SECONDS_PER_EPOCH = 0.145

_BATCH = 256
_IMAGES = 96 * _BATCH
_EPOCHS = 12
_WARM = 2


class CalibrationError(RuntimeError):
    """The calibration workload could not be run or gave no usable time."""


def _child() -> float:  # pragma: no cover - runs in its own process (see measure)
    from aebook.profile import setup  # lazy: the child alone trains; the parent stays light

    setup(seed=0)
    import keras  # lazy: after setup, which must come before Keras is imported
    import numpy as np  # lazy: as keras

    x = np.random.default_rng(0).random((_IMAGES, 784), dtype=np.float32)
    model = keras.Sequential(
        [
            keras.Input((784,)),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(784, activation="sigmoid"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy", steps_per_execution=32)
    times: list[float] = []

    class Timer(keras.callbacks.Callback):  # type: ignore[misc]
        def on_epoch_begin(self, epoch: int, logs: object = None) -> None:
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: object = None) -> None:
            times.append(time.perf_counter() - self.start)

    model.fit(x, x, epochs=_EPOCHS, batch_size=_BATCH, verbose=0, callbacks=[Timer()])
    return statistics.median(times[_WARM:])


def measure(timeout: float = 300) -> float:
    """Seconds per epoch of :data:`WORKLOAD` on this machine, in a fresh Python process.

    Raises :class:`CalibrationError` with the child's last error line if it fails.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("AEBOOK_SMOKE",)}
    root = Path(__file__).resolve().parents[1]
    try:
        done = subprocess.run(
            [sys.executable, "-m", "booktools.calibrate", "--child"],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=root,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise CalibrationError(f"the calibration workload took over {timeout:.0f} s") from exc
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise CalibrationError(f"the calibration workload failed: {tail}")
    try:
        seconds = float(json.loads(lines[-1])["seconds_per_epoch"])
    except (ValueError, KeyError, TypeError) as exc:
        raise CalibrationError(f"the calibration workload printed {lines[-1]!r}") from exc
    if not seconds > 0:
        raise CalibrationError(f"the calibration workload reported {seconds} s per epoch")
    return seconds


def stamp_entry(runs: Sequence[float]) -> dict[str, object]:
    """The stamp's ``calibration`` entry for measured ``runs`` (seconds per epoch): the
    fastest run, which contention has slowed least (see the module's text)."""
    if not runs or not all(r > 0 for r in runs):
        raise ValueError(f"calibration runs must be positive seconds, got {list(runs)}")
    return {
        "workload": WORKLOAD,
        "seconds_per_epoch": round(min(runs), 4),
        "runs": [round(r, 4) for r in runs],
    }


def reference_seconds(stamp: Mapping[str, object]) -> float:
    """A stamp's wall time converted to the reference machine (see the module's text).

    A stamp without a calibration counts as made on the reference machine. One with an
    unknown workload, or a non-positive time, raises :class:`ValueError`.
    """
    wall = float(stamp["wall_seconds"])  # type: ignore[arg-type]
    entry = stamp.get(CALIBRATION_KEY)
    if entry is None:
        return wall
    if not isinstance(entry, Mapping) or entry.get("workload") != WORKLOAD:
        raise ValueError(
            f"the stamp's calibration {entry!r} is not of workload {WORKLOAD!r}: re-execute the "
            "notebook with this toolchain (python -m booktools.execute)"
        )
    seconds = min(float(r) for r in entry.get("runs") or [entry["seconds_per_epoch"]])
    if not seconds > 0:
        raise ValueError(f"the stamp's calibration has {seconds} s per epoch; re-execute it")
    return wall * REFERENCE_SECONDS_PER_EPOCH / seconds


def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m booktools.calibrate", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=1, help="measurements (default 1)")
    args = parser.parse_args(argv)
    if args.child:  # pragma: no cover - exercised through measure()
        print(json.dumps({"seconds_per_epoch": _child()}))
        return 0
    if args.repeats < 1:
        parser.error(f"--repeats {args.repeats}: give at least 1")
    try:
        runs = [measure() for _ in range(args.repeats)]
    except CalibrationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    best = min(runs)
    print(
        f"{WORKLOAD}: {best:.3f} s per epoch, the fastest (runs {', '.join(f'{r:.3f}' for r in runs)}); "
        f"the reference machine takes {REFERENCE_SECONDS_PER_EPOCH} s, so this machine is "
        f"{best / REFERENCE_SECONDS_PER_EPOCH:.2f}x its time"
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(_main())
