"""Loading MNIST and Fashion-MNIST, verified, from an offline mirror or from Keras.

Where the data comes from, in order:

1. ``AEBOOK_DATA``: an offline copy of the data, a folder holding ``mnist/`` and
   ``fashion-mnist/``, each with the four IDX ``.gz`` files. Every file is checked
   against the pinned sha256 of its *decompressed* bytes before use.
2. Otherwise Keras's own downloader (``keras.datasets.mnist.load_data()`` and friends),
   which is what a Colab or laptop user with internet gets.
   What Keras returns is checked against the same checksums; a truncated or altered file
   in Keras's download cache (which Keras would reuse for ever) is removed, with a message
   naming it, and the data set loaded once more.

Nothing falls back silently: a missing, corrupted or truncated file raises a
:class:`DataError` subclass whose message names the file and says how to fix it.

Instructors preparing an offline classroom build a mirror with::

    python -m aebook.data download DIR     # fetch, decompress-check, verify
    python -m aebook.data verify DIR       # check an existing mirror

and point the notebooks at it with ``AEBOOK_DATA=DIR``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import struct
import sys
import tempfile
import urllib.request
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .checks import check_int
from .profile import subset

__all__ = [
    "CLASS_NAMES",
    "DATASETS",
    "ENV_VAR",
    "ChecksumMismatchError",
    "CorruptFileError",
    "DataError",
    "DataFileMissingError",
    "DataUnavailableError",
    "UnreadableFileError",
    "DatasetSpec",
    "IdxFile",
    "IdxHeaderError",
    "add_noise",
    "download_mirror",
    "flatten",
    "load",
    "read_idx",
    "scale",
    "to_images",
    "verify_mirror",
]

ENV_VAR = "AEBOOK_DATA"

Arrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


# --------------------------------------------------------------------------- errors
class DataError(RuntimeError):
    """Base class of every data-loading error raised by :mod:`aebook.data`."""


class DataFileMissingError(DataError, FileNotFoundError):
    """A file the mirror should hold is not there."""


class ChecksumMismatchError(DataError):
    """A file's decompressed bytes do not hash to the pinned sha256."""


class CorruptFileError(DataError):
    """A file is not gzip, or is truncated."""


class IdxHeaderError(DataError):
    """An IDX file's header does not describe the array the data set should hold."""


class UnreadableFileError(DataError, PermissionError):
    """A file of the mirror exists but this user may not read it."""


class DataUnavailableError(DataError):
    """No mirror is configured and Keras's download failed."""


# --------------------------------------------------------------------------- specs
@dataclass(frozen=True)
class IdxFile:
    """One IDX file of a data set: its name, pinned checksum and expected shape."""

    filename: str
    sha256: str
    shape: tuple[int, ...]


@dataclass(frozen=True)
class DatasetSpec:
    """A data set as four IDX files inside ``folder`` of a mirror."""

    name: str
    folder: str
    train_images: IdxFile
    train_labels: IdxFile
    test_images: IdxFile
    test_labels: IdxFile
    class_names: tuple[str, ...]

    @property
    def files(self) -> tuple[IdxFile, IdxFile, IdxFile, IdxFile]:
        return (self.train_images, self.train_labels, self.test_images, self.test_labels)


# sha256 of the *decompressed* IDX bytes (see ../shared/data/README.md).
DATASETS: dict[str, DatasetSpec] = {
    "mnist": DatasetSpec(
        name="mnist",
        folder="mnist",
        train_images=IdxFile(
            "train-images-idx3-ubyte.gz",
            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            (60000, 28, 28),
        ),
        train_labels=IdxFile(
            "train-labels-idx1-ubyte.gz",
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            (60000,),
        ),
        test_images=IdxFile(
            "t10k-images-idx3-ubyte.gz",
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            (10000, 28, 28),
        ),
        test_labels=IdxFile(
            "t10k-labels-idx1-ubyte.gz",
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
            (10000,),
        ),
        class_names=tuple(str(d) for d in range(10)),
    ),
    "fashion_mnist": DatasetSpec(
        name="fashion_mnist",
        folder="fashion-mnist",
        train_images=IdxFile(
            "train-images-idx3-ubyte.gz",
            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            (60000, 28, 28),
        ),
        train_labels=IdxFile(
            "train-labels-idx1-ubyte.gz",
            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            (60000,),
        ),
        test_images=IdxFile(
            "t10k-images-idx3-ubyte.gz",
            "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            (10000, 28, 28),
        ),
        test_labels=IdxFile(
            "t10k-labels-idx1-ubyte.gz",
            "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
            (10000,),
        ),
        class_names=(
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ),
    ),
}

CLASS_NAMES: dict[str, tuple[str, ...]] = {k: v.class_names for k, v in DATASETS.items()}

# Where ``download_mirror`` looks for the original .gz files, tried in order.
DOWNLOAD_MIRRORS: dict[str, tuple[str, ...]] = {
    "mnist": (
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
    ),
    "fashion_mnist": (
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    ),
}

_FIX_HINT = (
    "Re-create the mirror with `python -m aebook.data download DIR` (on a machine with "
    f"internet) and point {ENV_VAR} at it, or copy the file again from a trusted copy."
)


def _spec(name: str) -> DatasetSpec:
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}; choose one of {sorted(DATASETS)}")
    return DATASETS[name]


# --------------------------------------------------------------------------- IDX
_IDX_DTYPES = {0x08: np.uint8}


def read_idx(path: str | os.PathLike[str], expected: IdxFile) -> np.ndarray:
    """Read one gzip-compressed IDX file and check it against ``expected``.

    Checks, in order: the file exists; it is complete gzip; the sha256 of the
    decompressed bytes equals ``expected.sha256``; the IDX header says unsigned bytes
    with ``expected.shape``; the payload has exactly that many bytes.

    Returns a writable ``uint8`` array of ``expected.shape``.
    """
    path = Path(path)
    if not path.is_file():
        raise DataFileMissingError(f"data file not found: {path}. {_FIX_HINT}")
    raw = _read_gzip_capped(path, _idx_size(expected.shape))
    actual = hashlib.sha256(raw).hexdigest()
    if actual != expected.sha256:
        raise ChecksumMismatchError(
            f"checksum mismatch for {path}: expected sha256 {expected.sha256} of the "
            f"decompressed bytes, got {actual}. {_FIX_HINT}"
        )
    return _parse_idx(raw, path, expected.shape)


def _idx_size(shape: tuple[int, ...]) -> int:
    """Bytes of an uncompressed IDX file of unsigned bytes with ``shape``."""
    return 4 + 4 * len(shape) + int(np.prod(shape))


_CHUNK = 1 << 20


def _read_gzip_capped(path: Path, expected: int) -> bytes:
    """The decompressed bytes of ``path``, read in chunks; refuses more than ``expected``.

    A file that decompresses to more than the data set's size (a damaged file, or a gzip
    bomb) is refused as soon as it passes that size, before it can fill the memory.
    """
    chunks: list[bytes] = []
    size = 0
    try:
        with gzip.open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                size += len(chunk)
                if size > expected:
                    raise CorruptFileError(
                        f"{path} decompresses to more than the {expected:,} bytes this file "
                        f"must have; it is corrupted or not the right file. {_FIX_HINT}"
                    )
                chunks.append(chunk)
    except PermissionError as exc:
        raise UnreadableFileError(
            f"permission denied reading {path}: make it readable for this user "
            f"(e.g. `chmod a+r {path}`) or point {ENV_VAR} at a copy you can read."
        ) from exc
    except (OSError, EOFError, zlib.error) as exc:
        raise CorruptFileError(
            f"{path} is not a complete gzip file ({exc}); it is truncated or corrupted. {_FIX_HINT}"
        ) from exc
    return b"".join(chunks)


def _parse_idx(raw: bytes, path: Path, shape: tuple[int, ...]) -> np.ndarray:
    if len(raw) < 4:
        raise IdxHeaderError(f"{path}: only {len(raw)} bytes, too short for an IDX header")
    zero, dtype_code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype_code not in _IDX_DTYPES:
        raise IdxHeaderError(
            f"{path}: bad IDX magic {raw[:4].hex()} (expected 0000 08 {len(shape):02x}: "
            f"unsigned bytes, {len(shape)} dimensions). {_FIX_HINT}"
        )
    if ndim != len(shape):
        raise IdxHeaderError(
            f"{path}: IDX header has {ndim} dimensions, expected {len(shape)} {shape}. {_FIX_HINT}"
        )
    header_end = 4 + 4 * ndim
    if len(raw) < header_end:
        raise IdxHeaderError(f"{path}: IDX header is cut short. {_FIX_HINT}")
    dims = struct.unpack(f">{ndim}I", raw[4:header_end])
    if tuple(dims) != tuple(shape):
        raise IdxHeaderError(
            f"{path}: IDX header says shape {tuple(dims)}, expected {tuple(shape)}. {_FIX_HINT}"
        )
    n_bytes = int(np.prod(shape))
    if len(raw) - header_end != n_bytes:
        raise IdxHeaderError(
            f"{path}: IDX payload has {len(raw) - header_end} bytes, header promises "
            f"{n_bytes}. {_FIX_HINT}"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header_end).reshape(shape).copy()


# --------------------------------------------------------------------------- loading
def _load_mirror(spec: DatasetSpec, root: Path) -> Arrays:
    folder = root / spec.folder
    x_train, y_train, x_test, y_test = (read_idx(folder / f.filename, f) for f in spec.files)
    return (x_train, y_train), (x_test, y_test)


def _writable_uint8(a: object, what: str) -> np.ndarray:
    """A writable ``uint8`` copy of ``a``, as the mirror path returns; refuses other values."""
    arr = np.asarray(a)
    if arr.dtype != np.uint8:
        if not np.issubdtype(arr.dtype, np.integer) or (
            arr.size and (arr.min() < 0 or arr.max() > 255)
        ):
            raise DataError(f"Keras returned {what} that are not bytes 0-255 (dtype {arr.dtype})")
    # Keras returns some arrays read-only (np.frombuffer); the mirror's are writable copies.
    return np.array(arr, dtype=np.uint8, copy=True)


#: Data sets whose Keras loader caches the IDX files themselves, without a checksum, and
#: the cache's subfolder. (Keras checks the hash of its ``mnist.npz`` and downloads a bad
#: one again; it reuses a truncated Fashion-MNIST file for ever.)
KERAS_CACHE_FOLDERS = {"fashion_mnist": "fashion-mnist"}


def _keras_arrays(name: str) -> Arrays:
    """Keras's ``load_data()`` for ``name``, as writable uint8 arrays, verified."""
    import keras  # lazy: the mirror path needs no Keras

    loader = {"mnist": keras.datasets.mnist, "fashion_mnist": keras.datasets.fashion_mnist}
    try:
        (x_train, y_train), (x_test, y_test) = loader[name].load_data()
    except Exception as exc:  # noqa: BLE001 - any failure of the download is reported
        raise DataUnavailableError(
            f"could not load {name!r}: {ENV_VAR} is not set, so Keras tried to download it "
            f"and failed ({type(exc).__name__}: {exc}). Either connect to the internet and "
            f"run the cell again, or set {ENV_VAR} to the absolute path of a folder holding "
            "`mnist/` and `fashion-mnist/` with the original IDX .gz files (an offline copy; "
            "build one on any machine with internet with "
            "`python -m aebook.data download DIR` and copy DIR here)."
        ) from exc
    arrays = (
        (_writable_uint8(x_train, "images"), _writable_uint8(y_train, "labels")),
        (_writable_uint8(x_test, "images"), _writable_uint8(y_test, "labels")),
    )
    _verify_arrays(_spec(name), arrays)
    return arrays


def _damaged_in_keras_cache(name: str) -> dict[Path, str]:
    """The files of ``name`` in Keras's download cache that fail their pinned sha256."""
    folder = KERAS_CACHE_FOLDERS.get(name)
    if folder is None:
        return {}
    spec = _spec(name)
    caches = dict.fromkeys([keras_cache_dir(), Path(tempfile.gettempdir()) / ".keras" / "datasets"])
    damaged = {}
    for cache in caches:
        for f in spec.files:
            path = cache / folder / f.filename
            if not path.is_file():
                continue
            try:
                read_idx(path, f)
            except CorruptFileError:
                damaged[path] = "truncated, or not gzip"
            except (ChecksumMismatchError, IdxHeaderError):
                damaged[path] = f"not the canonical {f.filename}"
    return damaged


def _load_keras(name: str) -> Arrays:
    """Keras's ``load_data()``; a damaged file in Keras's cache is removed and loaded again.

    Keras checks no hash of the Fashion-MNIST files it caches: a download cut short leaves
    a truncated file that every later call reads and fails on, and its message says to
    connect to the internet, which cannot help. When loading fails, the cached files are
    checked against the pinned checksums; damaged ones are removed (saying so) and the
    data set is loaded once more.
    """
    try:
        return _keras_arrays(name)
    except (DataUnavailableError, ChecksumMismatchError):
        damaged = _damaged_in_keras_cache(name)
        if not damaged:
            raise
    for path in damaged:
        path.unlink()
    listing = "; ".join(f"{path} ({why})" for path, why in damaged.items())
    print(
        f"removed {len(damaged)} damaged file(s) from Keras's download cache, {listing}; "
        f"loading {name!r} again"
    )
    try:
        return _keras_arrays(name)
    except DataError as again:
        raise DataUnavailableError(
            f"Keras's download cache held {len(damaged)} truncated or corrupted file(s) of "
            f"{name!r}: {listing}. They have been removed, so that Keras downloads them "
            f"afresh, but loading again failed: {again}"
        ) from again


def keras_cache_dir() -> Path:
    """The folder where Keras keeps downloaded data sets (``$KERAS_HOME/datasets``)."""
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras") / "datasets"


def _verify_arrays(spec: DatasetSpec, arrays: Arrays) -> None:
    """Check arrays from Keras against the pinned sha256 of the IDX files they came from.

    An IDX file is a header followed by the raw bytes, so the file's bytes are rebuilt from
    each array exactly and hashed.
    """
    (x_train, y_train), (x_test, y_test) = arrays
    for array, expected in zip((x_train, y_train, x_test, y_test), spec.files, strict=True):
        if array.shape != expected.shape:
            actual = f"shape {array.shape}, expected {expected.shape}"
        else:
            header = struct.pack(">HBB", 0, 0x08, array.ndim)
            header += struct.pack(f">{array.ndim}I", *array.shape)
            digest = hashlib.sha256(header + array.tobytes()).hexdigest()
            if digest == expected.sha256:
                continue
            actual = f"sha256 {digest}, expected {expected.sha256}"
        raise ChecksumMismatchError(
            f"Keras returned {spec.name!r} data that is not the canonical "
            f"{expected.filename} ({actual}): a file in Keras's download cache, "
            f"{keras_cache_dir()}, is damaged or belongs to another data set. Delete the "
            f"data set's files there and load it again, or set {ENV_VAR} to a verified copy."
        )


def load(name: str, data_dir: str | os.PathLike[str] | None = None) -> Arrays:
    """Load ``"mnist"`` or ``"fashion_mnist"`` like ``keras.datasets.<name>.load_data()``.

    Returns ``(x_train, y_train), (x_test, y_test)``: images ``uint8`` of shape
    ``(n, 28, 28)`` with values 0-255, labels ``uint8`` of shape ``(n,)``.

    ``data_dir`` (or the ``AEBOOK_DATA`` environment variable when it is ``None``)
    names an offline mirror; every file is verified. Without either, Keras downloads the
    data. Class names are in :data:`CLASS_NAMES`.
    """
    spec = _spec(name)
    root = data_dir if data_dir is not None else os.environ.get(ENV_VAR) or None
    if root is None:
        return _load_keras(name)
    root = Path(root).expanduser()
    if not root.is_dir():
        raise DataFileMissingError(
            f"{ENV_VAR} points at {root}, which is not a folder. Set it to the absolute path "
            "of a folder holding `mnist/` and `fashion-mnist/` (a relative path is read from "
            "the notebook's own folder), or unset it to download with Keras."
        )
    return _load_mirror(spec, root)


Split = tuple[np.ndarray, np.ndarray]


def load_splits(
    name: str,
    *,
    images: bool = False,
    validation: int = 5_000,
    smoke_train: int = 20_000,
    smoke_test: int = 2_000,
    data_dir: str | os.PathLike[str] | None = None,
) -> tuple[Split, Split, Split]:
    """Training, validation and test sets of ``name``, scaled to ``[0, 1]``, for a model.

    Returns ``(x_train, y_train), (x_val, y_val), (x_test, y_test)``. The last
    ``validation`` training images are held out as the validation set. Images are flat,
    ``(n, 784)``, or with ``images=True`` shaped ``(n, 28, 28, 1)`` for convolutions.

    In the smoke profile only the first ``smoke_train`` training images (the validation
    set included) and the first ``smoke_test`` test images are kept, as by
    :func:`aebook.subset`; the full profile keeps everything.
    """
    for arg, value in [
        ("validation", validation),
        ("smoke_train", smoke_train),
        ("smoke_test", smoke_test),
    ]:
        check_int(f"load_splits({arg}=)", value)
    (x_train, y_train), (x_test, y_test) = load(name, data_dir=data_dir)
    shape = to_images if images else flatten
    x_train, y_train = subset(shape(scale(x_train)), y_train, n=smoke_train)
    x_test, y_test = subset(shape(scale(x_test)), y_test, n=smoke_test)
    if validation >= len(x_train):
        raise ValueError(
            f"load_splits(validation={validation}) leaves no training images: "
            f"only {len(x_train)} are loaded"
        )
    return (
        (x_train[:-validation], y_train[:-validation]),
        (x_train[-validation:], y_train[-validation:]),
        (x_test, y_test),
    )


# --------------------------------------------------------------------------- mirror tools
def verify_mirror(root: str | os.PathLike[str], names: Sequence[str] | None = None) -> None:
    """Check every file of a mirror folder; raise the first :class:`DataError` found."""
    for name in names or sorted(DATASETS):
        _load_mirror(_spec(name), Path(root))


def _gzip_cap(shape: tuple[int, ...]) -> int:
    """The most bytes a gzip file of the IDX file of ``shape`` can take.

    Deflate never grows data by more than 5 bytes per 65,535-byte block, plus gzip's header
    and trailer; the margin here is larger.
    """
    raw = _idx_size(shape)
    return raw + raw // 1000 + 1024


def _fetch_capped(url: str, part: Path, cap: int) -> None:
    """Stream ``url`` into ``part`` in chunks; refuse an answer of more than ``cap`` bytes.

    An oversized answer (a wrong URL, a captive portal, a hostile server) is refused from
    its ``Content-Length`` or as soon as it passes ``cap``, never held whole in memory.
    """
    too_big = f"{url} sends more than the {cap:,} bytes the file can take; it is not the right file"
    with urllib.request.urlopen(url, timeout=60) as resp:  # noqa: S310
        length = resp.headers.get("Content-Length")
        if length is not None and str(length).strip().isdigit() and int(length) > cap:
            raise CorruptFileError(f"{too_big} (Content-Length {int(length):,})")
        size = 0
        with open(part, "wb") as out:
            while chunk := resp.read(_CHUNK):
                size += len(chunk)
                if size > cap:
                    raise CorruptFileError(too_big)
                out.write(chunk)


def download_mirror(
    root: str | os.PathLike[str],
    names: Sequence[str] | None = None,
    mirrors: dict[str, Sequence[str]] | None = None,
    specs: dict[str, DatasetSpec] | None = None,
) -> list[Path]:
    """Download the IDX ``.gz`` files into ``root`` (laid out for ``AEBOOK_DATA``).

    Each file is fetched from the first base URL in ``mirrors[name]`` that works, streamed
    to disk with a cap at the largest size it can have, and verified with :func:`read_idx`
    before it is moved into place. Returns the paths
    written. Raises :class:`DataUnavailableError` when no base URL gives a good file.
    """
    specs = specs or DATASETS
    bases: Mapping[str, Sequence[str]] = mirrors or DOWNLOAD_MIRRORS
    written: list[Path] = []
    for name in names or sorted(specs):
        if name not in specs:
            raise ValueError(f"unknown data set {name!r}; choose one of {sorted(specs)}")
        spec = specs[name]
        folder = Path(root) / spec.folder
        folder.mkdir(parents=True, exist_ok=True)
        for f in spec.files:
            target = folder / f.filename
            part = target.with_name(target.name + ".part")
            errors: list[str] = []
            for base in bases[name]:
                url = base + f.filename
                try:
                    _fetch_capped(url, part, _gzip_cap(f.shape))
                    read_idx(part, f)
                except (OSError, DataError) as exc:
                    errors.append(f"{url}: {exc}")
                    part.unlink(missing_ok=True)
                    continue
                part.replace(target)
                written.append(target)
                break
            else:
                raise DataUnavailableError(
                    f"could not download a verified {spec.folder}/{f.filename}:\n  "
                    + "\n  ".join(errors)
                )
    return written


def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m aebook.data",
        description="Build or check an offline mirror of MNIST and Fashion-MNIST "
        f"for the {ENV_VAR} environment variable.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for cmd, helptext in (
        ("download", "download and verify the IDX files into DIR"),
        ("verify", "verify the IDX files already in DIR"),
    ):
        p = sub.add_parser(cmd, help=helptext)
        p.add_argument("dir", help="mirror folder (gets mnist/ and fashion-mnist/)")
        p.add_argument("--only", choices=sorted(DATASETS), action="append", help="one data set")
    args = parser.parse_args(argv)
    try:
        if args.command == "download":
            for path in download_mirror(args.dir, args.only):
                print(f"ok  {path}")
        else:
            verify_mirror(args.dir, args.only)
            print(f"ok  {args.dir}: every file matches its pinned sha256")
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"Use it with: export {ENV_VAR}={Path(args.dir).resolve()}")
    return 0


# --------------------------------------------------------------------------- transforms
def _check_array(x: np.ndarray, what: str) -> None:
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{what} must be a NumPy array, got {type(x).__name__}")


def scale(x: np.ndarray) -> np.ndarray:
    """Scale ``uint8`` pixels 0-255 to ``float32`` in [0, 1]."""
    _check_array(x, "scale(x)")
    if x.dtype != np.uint8:
        raise ValueError(f"scale expects uint8 pixels 0-255, got dtype {x.dtype}")
    return x.astype(np.float32) / np.float32(255.0)


def check_unit_float(x: np.ndarray, what: str, allow_empty: bool = True) -> None:
    """Raise unless ``x`` is a float NumPy array with every value in [0, 1] (no NaN).

    The one check behind every helper that takes scaled images (transforms, metrics).
    """
    _check_array(x, what)
    if not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"{what} must hold floats in [0, 1] (use aebook.scale), got {x.dtype}")
    if x.size == 0:
        if allow_empty:
            return
        raise ValueError(f"{what} is empty")
    lo, hi = float(x.min()), float(x.max())
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo < 0.0 or hi > 1.0:
        raise ValueError(f"{what} must lie in [0, 1], got min {lo:.3g}, max {hi:.3g}")


def flatten(x: np.ndarray) -> np.ndarray:
    """``(n, 28, 28)`` or ``(n, 28, 28, 1)`` images to ``(n, 784)`` vectors."""
    _check_array(x, "flatten(x)")
    if x.ndim not in (3, 4) or x.shape[1:3] != (28, 28) or (x.ndim == 4 and x.shape[3] != 1):
        raise ValueError(f"flatten expects (n, 28, 28) or (n, 28, 28, 1), got {x.shape}")
    return x.reshape(len(x), 784)


def to_images(x: np.ndarray, channels: bool = True) -> np.ndarray:
    """``(n, 784)`` (or ``(n, 28, 28)``) to ``(n, 28, 28, 1)``, channels last.

    With ``channels=False`` the result is ``(n, 28, 28)``, the shape plotting wants.
    """
    _check_array(x, "to_images(x)")
    ok = (
        (x.ndim == 2 and x.shape[1] == 784)
        or (x.ndim == 3 and x.shape[1:] == (28, 28))
        or (x.ndim == 4 and x.shape[1:] == (28, 28, 1))
    )
    if not ok:
        raise ValueError(
            f"to_images expects (n, 784), (n, 28, 28) or (n, 28, 28, 1), got {x.shape}"
        )
    return x.reshape((len(x), 28, 28, 1) if channels else (len(x), 28, 28))


def add_noise(x: np.ndarray, factor: float = 0.5, seed: int = 0) -> np.ndarray:
    """Gaussian noise: ``clip(x + factor * eps, 0, 1)`` with ``eps ~ N(0, 1)``, seeded.

    ``x`` must be floats in [0, 1]; the result has the same shape and dtype.
    """
    check_unit_float(x, "add_noise(x)")
    if not factor >= 0:
        raise ValueError(f"noise factor must be >= 0, got {factor}")
    rng = np.random.default_rng(seed)
    noisy = x + factor * rng.standard_normal(x.shape).astype(x.dtype)
    return np.clip(noisy, 0.0, 1.0).astype(x.dtype)


if __name__ == "__main__":
    raise SystemExit(_main())
