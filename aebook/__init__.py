"""aebook: the small helper package behind the executable book on autoencoders.

The notebooks keep the models, losses and training loops where the reader sees them;
this package does the plumbing they share:

* :mod:`aebook.data` - verified MNIST / Fashion-MNIST loading (offline mirror or Keras)
  and small transforms (:func:`scale`, :func:`flatten`, :func:`to_images`, :func:`add_noise`);
  :func:`load_splits` gives a chapter its scaled train / validation / test sets;
* :mod:`aebook.profile` - :func:`setup` (seeding, quiet logs, plot style, banner) and the
  full / smoke run profiles (:func:`epochs`, :func:`subset`);
* :mod:`aebook.metrics` - BCE, MSE, PSNR and the mean-image baseline;
* :mod:`aebook.plots` - image rows and grids, per-class examples, training curves;
* :mod:`aebook.callbacks` - :func:`progress`, a one-line-per-few-epochs training log, and
  :func:`stop_at`, which stops training once a held-out loss reaches a target;
* :mod:`aebook.record` - :func:`record` headline numbers in myst-nb's glue format;
* :mod:`aebook.execute` - the executor that runs and stamps the committed notebooks;
* :mod:`aebook.results` - the book's results page, generated from the recorded numbers.
"""

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
from .metrics import Scores, bce, mean_image_baseline, mse, psnr, scores
from .plots import compare_rows, examples_per_class, image_grid, plot_history
from .profile import Run, epochs, is_smoke, profile_name, setup, subset
from .record import read_records, record

__version__ = "0.1.0"

__all__ = [
    "CLASS_NAMES",
    "DataError",
    "Run",
    "Scores",
    "__version__",
    "add_noise",
    "bce",
    "compare_rows",
    "epochs",
    "examples_per_class",
    "flatten",
    "image_grid",
    "is_smoke",
    "load",
    "load_splits",
    "mean_image_baseline",
    "mse",
    "plot_history",
    "profile_name",
    "progress",
    "psnr",
    "read_records",
    "record",
    "scale",
    "scores",
    "setup",
    "stop_at",
    "subset",
    "to_images",
]
