"""Run profiles, seeding and the one set-up call at the top of every chapter.

The **full** profile (the default) is what readers see: all the data and the epochs that
reach the chapter's target numbers. ``AEBOOK_SMOKE=1`` switches to the **smoke**
profile: the same code on a small subset of the real data for one or two epochs, so the
test suite can run every notebook quickly. Notebooks call :func:`epochs` and
:func:`subset` where the reader sees them, so the switch is never hidden.
"""

from __future__ import annotations

import contextlib
import os
import platform
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from .checks import check_int
from .glue import record

#: When ``aebook`` was imported: a chapter's first code cell, before TensorFlow's import.
_IMPORTED_AT = time.perf_counter()

__all__ = [
    "SMOKE_ENV",
    "SMOKE_EPOCHS",
    "Run",
    "epochs",
    "is_smoke",
    "profile_name",
    "setup",
    "subset",
]

SMOKE_ENV = "AEBOOK_SMOKE"
#: Epochs a smoke run trains for, at most.
SMOKE_EPOCHS = 2

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def is_smoke() -> bool:
    """``True`` when ``AEBOOK_SMOKE`` asks for the smoke profile.

    Accepts ``1/true/yes/on`` and ``0/false/no/off`` (any case); anything else is an
    error rather than a guess.
    """
    raw = os.environ.get(SMOKE_ENV, "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ValueError(f"{SMOKE_ENV}={raw!r} is not understood; use 1 (smoke) or 0 / unset (full)")


def profile_name() -> str:
    """``"smoke"`` or ``"full"``."""
    return "smoke" if is_smoke() else "full"


def epochs(full: int, smoke: int = SMOKE_EPOCHS) -> int:
    """The number of epochs to train: ``full`` normally, ``min(full, smoke)`` in smoke runs."""
    check_int("epochs(full)", full)
    check_int("epochs(smoke=)", smoke)
    return min(full, smoke) if is_smoke() else full


def subset(*arrays: np.ndarray, n: int) -> tuple[np.ndarray, ...] | np.ndarray:
    """The first ``n`` items of each array in smoke runs; the arrays unchanged otherwise.

    All arrays must have the same length. Returns a single array when given one, else a
    tuple, so ``x, y = subset(x, y, n=2000)`` and ``x = subset(x, n=500)`` both read well.
    """
    if not arrays:
        raise ValueError("subset() needs at least one array")
    check_int("subset(n=)", n)
    lengths = {len(a) for a in arrays}
    if len(lengths) != 1:
        raise ValueError(f"subset() arrays differ in length: {[len(a) for a in arrays]}")
    out = tuple(a[:n] for a in arrays) if is_smoke() else arrays
    return out[0] if len(out) == 1 else out


@dataclass
class Run:
    """What :func:`setup` did: the seed, the profile and when the chapter started.

    ``started`` is when ``aebook`` was imported (the chapter's first code cell), so the
    chapter's wall time includes importing TensorFlow and everything :func:`setup` does.
    """

    seed: int
    profile: str
    started: float = field(default_factory=lambda: _IMPORTED_AT)

    def elapsed(self) -> float:
        """Seconds since ``aebook`` was imported."""
        return time.perf_counter() - self.started

    def finish(self) -> None:
        """Print the chapter's wall time and record it as ``wall_time_s``."""
        seconds = self.elapsed()
        print(f"Wall time of this chapter: {seconds:.0f} s ({self.profile} profile)")
        record("wall_time_s", round(seconds, 1))


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null for a moment.

    TensorFlow's C++ start-up lines ("oneDNN custom operations are on", "Could not find
    cuda drivers", ...) are written before its logging is configured, so
    ``TF_CPP_MIN_LOG_LEVEL`` cannot hide them. Python exceptions still propagate.
    """
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no real descriptor 2 (unusual embedded interpreters)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _quiet_tensorflow() -> None:
    # Before TensorFlow is imported: "3" hides its native INFO, WARNING and ERROR log
    # lines (e.g. the harmless "NodeDef mentions attribute ..." during fit); Python
    # exceptions are unaffected.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _style_matplotlib() -> None:
    import matplotlib.pyplot as plt  # lazy: only when setup() styles the plots

    plt.rcParams.update(
        {
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "image.cmap": "gray",
            "image.interpolation": "nearest",
            "axes.grid": False,
            "axes.titlesize": 11,
            "figure.titlesize": 12,
            "legend.fontsize": 9,
        }
    )


def _devices() -> str:
    try:
        import tensorflow as tf  # lazy: setup() silences it first
    except ImportError:
        return f"CPU ({os.cpu_count()} cores)"
    gpus = tf.config.list_physical_devices("GPU")
    return f"GPU x{len(gpus)}" if gpus else f"CPU ({os.cpu_count()} cores)"


def setup(seed: int = 0) -> Run:
    """Prepare a chapter: seed everything, quiet TensorFlow, style plots, print a banner.

    Seeds Python, NumPy and Keras with ``keras.utils.set_random_seed(seed)`` and turns
    on TensorFlow's op determinism, so re-running a notebook top to bottom in a fresh
    kernel gives the same numbers on the same machine.

    Call it once, first, *before* importing Keras or TensorFlow: it imports them itself
    with their native start-up messages silenced.
    """
    check_int("seed", seed, low=0)
    profile = profile_name()
    _quiet_tensorflow()
    with _native_stderr_silenced():
        import keras  # lazy: setup() silences it first

        devices = _devices()  # initialises the devices, which logs natively too

    keras.utils.set_random_seed(seed)  # seeds Python's random, NumPy and the backend
    versions = f"Keras {keras.__version__} ({keras.backend.backend()} backend)"
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf  # lazy: setup() silences it first

        tf.config.experimental.enable_op_determinism()
        tf.get_logger().setLevel("ERROR")
        versions = f"TensorFlow {tf.__version__}, " + versions
    _style_matplotlib()
    switch = f"{SMOKE_ENV}=1" if profile == "smoke" else f"{SMOKE_ENV} unset"
    print(
        f"aebook | profile: {profile} ({switch}) | seed {seed} | {versions} | "
        f"Python {platform.python_version()} | {devices}"
    )
    return Run(seed=seed, profile=profile)
