"""Synthetic data shared by the unit tests: tiny IDX mirrors, images and Keras models.

Nothing here reads the real data in ``../shared/data``; every file is built in a
temporary folder from small arrays whose values the tests know.
"""

from __future__ import annotations

import gzip
import hashlib
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aebook.data import DatasetSpec, IdxFile

#: Name and mirror folder of the tiny data set the data tests register.
TINY_NAME = "tiny"
TINY_FOLDER = "tiny-mnist"
N_TRAIN = 5
N_TEST = 3


def idx_bytes(arr: np.ndarray) -> bytes:
    """The uncompressed IDX encoding of a ``uint8`` array: magic, dims, payload."""
    arr = np.ascontiguousarray(arr, dtype=np.uint8)
    header = struct.pack(">HBB", 0, 0x08, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return header + arr.tobytes()


def sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def write_gz(path: Path, raw: bytes) -> Path:
    """Write ``raw`` gzip-compressed to ``path`` (creating its folder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(raw))
    return path


def idx_file_for(filename: str, raw: bytes, shape: tuple[int, ...]) -> IdxFile:
    """An :class:`IdxFile` whose pinned checksum is that of ``raw``."""
    return IdxFile(filename, sha256(raw), shape)


@dataclass
class TinyMirror:
    """A tiny data set: its spec, the arrays it holds and their raw IDX bytes."""

    spec: DatasetSpec
    arrays: dict[str, np.ndarray]  # train_images, train_labels, test_images, test_labels
    raw: dict[str, bytes]  # filename -> decompressed IDX bytes

    def write(self, root: Path) -> Path:
        """Write the four ``.gz`` files under ``root / spec.folder``; return that folder."""
        folder = root / self.spec.folder
        for filename, raw in self.raw.items():
            write_gz(folder / filename, raw)
        return folder


def tiny_mirror(seed: int = 0) -> TinyMirror:
    """5 training and 3 test images of 28x28 ``uint8`` with their labels."""
    rng = np.random.default_rng(seed)
    arrays = {
        "train_images": rng.integers(0, 256, size=(N_TRAIN, 28, 28), dtype=np.uint8),
        "train_labels": rng.integers(0, 10, size=(N_TRAIN,), dtype=np.uint8),
        "test_images": rng.integers(0, 256, size=(N_TEST, 28, 28), dtype=np.uint8),
        "test_labels": rng.integers(0, 10, size=(N_TEST,), dtype=np.uint8),
    }
    filenames = {
        "train_images": "train-images-idx3-ubyte.gz",
        "train_labels": "train-labels-idx1-ubyte.gz",
        "test_images": "t10k-images-idx3-ubyte.gz",
        "test_labels": "t10k-labels-idx1-ubyte.gz",
    }
    raw = {filenames[k]: idx_bytes(a) for k, a in arrays.items()}
    files = {k: idx_file_for(filenames[k], raw[filenames[k]], a.shape) for k, a in arrays.items()}
    spec = DatasetSpec(
        name=TINY_NAME,
        folder=TINY_FOLDER,
        class_names=tuple(str(d) for d in range(10)),
        **files,
    )
    return TinyMirror(spec=spec, arrays=arrays, raw=raw)


def unit_images(n: int = 6, seed: int = 0, shape: tuple[int, ...] = (28, 28)) -> np.ndarray:
    """``n`` float32 images with values in [0, 1]."""
    return np.random.default_rng(seed).random((n, *shape), dtype=np.float32)


def tiny_model(n_features: int = 4):
    """A compiled one-layer Keras regression model (fits in milliseconds)."""
    import keras

    model = keras.Sequential([keras.Input((n_features,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def tiny_fit(epochs: int, callbacks=None, validation: bool = True, seed: int = 0):
    """Fit :func:`tiny_model` on random data; return the Keras ``History``."""
    rng = np.random.default_rng(seed)
    x = rng.random((16, 4), dtype=np.float32)
    y = rng.random((16, 1), dtype=np.float32)
    kwargs = {"validation_data": (x[:4], y[:4])} if validation else {}
    return tiny_model().fit(
        x, y, epochs=epochs, batch_size=8, verbose=0, callbacks=callbacks or [], **kwargs
    )
