"""aebook: the reader's library of the executable book on autoencoders.

The notebooks keep the models, losses and training loops where the reader sees them;
this package does the plumbing they share, and nothing else (the book's own toolchain,
``booktools``, lives apart and is never installed with it):

* :mod:`aebook.data` - verified MNIST / Fashion-MNIST loading (offline mirror or Keras)
  and small transforms (:func:`scale`, :func:`flatten`, :func:`to_images`, :func:`add_noise`);
  :func:`load_splits` gives a chapter its scaled train / validation / test sets;
* :mod:`aebook.profile` - :func:`setup` (seeding, quiet logs, plot style, banner) and the
  full / smoke run profiles (:func:`epochs`, :func:`subset`);
* :mod:`aebook.metrics` - BCE, MSE, PSNR, the mean-image baseline, and
  :class:`NeighbourRanks` for the trustworthiness of 2-D maps;
* :mod:`aebook.jpeg` - :func:`jpeg_roundtrip`, JPEG as a baseline codec, with the bits per image;
* :mod:`aebook.plots` - image rows and grids, per-class examples, training curves;
* :mod:`aebook.schedules` - :func:`warmup_cosine`, chapter 2's learning-rate schedule;
* :mod:`aebook.training` - :func:`train`, chapter 2's compile-and-fit with that schedule;
* :mod:`aebook.callbacks` - :func:`progress`, a one-line-per-few-epochs training log, and
  :func:`stop_at`, which stops training once a held-out loss reaches a target;
* :mod:`aebook.widgets` - the site's interactive figures: models described for the browser;
* :mod:`aebook.glue` - :func:`record` headline numbers in myst-nb's glue format.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Where each name of the package's API lives. The submodules are imported on first use,
#: so that ``python -m aebook.data`` (and the other command-line modules) run a module that
#: importing the package has not already imported.
_API = {
    "progress": "callbacks",
    "stop_at": "callbacks",
    "CLASS_NAMES": "data",
    "DataError": "data",
    "add_noise": "data",
    "flatten": "data",
    "load": "data",
    "load_splits": "data",
    "scale": "data",
    "to_images": "data",
    "record": "glue",
    "JpegResult": "jpeg",
    "jpeg_roundtrip": "jpeg",
    "NeighbourRanks": "metrics",
    "Scores": "metrics",
    "bce": "metrics",
    "mean_image_baseline": "metrics",
    "mse": "metrics",
    "psnr": "metrics",
    "scores": "metrics",
    "autoencoder_diagram": "plots",
    "compare_rows": "plots",
    "examples_per_class": "plots",
    "image_grid": "plots",
    "plot_history": "plots",
    "Run": "profile",
    "epochs": "profile",
    "is_smoke": "profile",
    "profile_name": "profile",
    "setup": "profile",
    "subset": "profile",
    "warmup_cosine": "schedules",
    "train": "training",
}
#: The submodules, reachable as attributes (``aebook.widgets``); none shares a name of the API.
_SUBMODULES = frozenset(_API.values()) | {"widgets"}

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    if name in _API:
        value = getattr(importlib.import_module(f".{_API[name]}", __name__), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module 'aebook' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_API, *_SUBMODULES})


if TYPE_CHECKING:  # the same names, for type checkers and editors
    from .callbacks import progress, stop_at
    from .data import (
        CLASS_NAMES,
        DataError,
        add_noise,
        flatten,
        load,
        load_splits,
        scale,
        to_images,
    )
    from .glue import record
    from .jpeg import JpegResult, jpeg_roundtrip
    from .metrics import NeighbourRanks, Scores, bce, mean_image_baseline, mse, psnr, scores
    from .plots import (
        autoencoder_diagram,
        compare_rows,
        examples_per_class,
        image_grid,
        plot_history,
    )
    from .profile import Run, epochs, is_smoke, profile_name, setup, subset
    from .schedules import warmup_cosine
    from .training import train
