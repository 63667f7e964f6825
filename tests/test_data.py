"""Unit tests of aebook.data on tiny synthetic IDX files (never the real data)."""

from __future__ import annotations

import gzip
import os
import struct

import keras
import numpy as np
import pytest
from _synthetic import (
    TINY_FOLDER,
    TINY_NAME,
    idx_bytes,
    idx_file_for,
    sha256,
    tiny_mirror,
    unit_images,
    write_gz,
)

import aebook
from aebook import data
from aebook.data import (
    ChecksumMismatchError,
    CorruptFileError,
    DataError,
    DataFileMissingError,
    DataUnavailableError,
    IdxFile,
    IdxHeaderError,
    read_idx,
)

#: The real data, if the environment names it (read before the fixtures below unset it).
REAL_DATA = os.environ.get("AEBOOK_DATA")

IMAGES = np.arange(5 * 28 * 28, dtype=np.int64).reshape(5, 28, 28).astype(np.uint8)
LABELS = np.array([3, 1, 4, 1, 5], dtype=np.uint8)


@pytest.fixture(autouse=True)
def _no_outer_env(monkeypatch):
    monkeypatch.delenv(data.ENV_VAR, raising=False)


@pytest.fixture
def tiny(monkeypatch):
    """A tiny data set registered as the only entry of ``aebook.data.DATASETS``."""
    mirror = tiny_mirror()
    monkeypatch.setattr(data, "DATASETS", {TINY_NAME: mirror.spec})
    return mirror


def _images_file(tmp_path, raw: bytes | None = None, shape=(5, 28, 28)):
    """Write ``raw`` (default: IMAGES as IDX) gzipped; pin the checksum of ``raw``."""
    raw = idx_bytes(IMAGES) if raw is None else raw
    path = write_gz(tmp_path / "images-idx3-ubyte.gz", raw)
    return path, idx_file_for(path.name, raw, shape)


# --------------------------------------------------------------------------- read_idx
def test_read_idx_round_trips_images_and_labels(tmp_path):
    path, spec = _images_file(tmp_path)
    out = read_idx(path, spec)
    assert out.dtype == np.uint8
    assert out.shape == (5, 28, 28)
    np.testing.assert_array_equal(out, IMAGES)
    assert out.flags.writeable  # a copy, not a view of the read-only bytes

    raw = idx_bytes(LABELS)
    lpath = write_gz(tmp_path / "labels-idx1-ubyte.gz", raw)
    labels = read_idx(str(lpath), idx_file_for(lpath.name, raw, (5,)))  # str paths work too
    assert labels.dtype == np.uint8
    assert labels.tolist() == [3, 1, 4, 1, 5]


def test_read_idx_missing_file(tmp_path):
    path = tmp_path / "nowhere" / "train-images-idx3-ubyte.gz"
    with pytest.raises(DataFileMissingError, match="train-images-idx3-ubyte.gz") as info:
        read_idx(path, IdxFile(path.name, "0" * 64, (5, 28, 28)))
    assert isinstance(info.value, FileNotFoundError)
    assert isinstance(info.value, DataError)
    assert str(path) in str(info.value)


def test_read_idx_missing_file_when_path_is_a_folder(tmp_path):
    with pytest.raises(DataFileMissingError, match=str(tmp_path)):
        read_idx(tmp_path, IdxFile("x.gz", "0" * 64, (1,)))


def test_read_idx_checksum_mismatch_names_file_and_both_hashes(tmp_path):
    good = idx_bytes(IMAGES)
    bad = bytearray(good)
    bad[16 + 100] ^= 0xFF  # one byte of the payload, past the 16-byte header
    path = write_gz(tmp_path / "images-idx3-ubyte.gz", bytes(bad))
    spec = idx_file_for(path.name, good, (5, 28, 28))
    with pytest.raises(ChecksumMismatchError) as info:
        read_idx(path, spec)
    msg = str(info.value)
    assert str(path) in msg
    assert spec.sha256 in msg
    assert sha256(bytes(bad)) in msg
    assert spec.sha256 != sha256(bytes(bad))


def test_read_idx_truncated_gzip(tmp_path):
    path, spec = _images_file(tmp_path)
    blob = path.read_bytes()
    path.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(CorruptFileError, match="truncated") as info:
        read_idx(path, spec)
    assert str(path) in str(info.value)


def test_read_idx_not_gzip(tmp_path):
    raw = idx_bytes(IMAGES)
    path = tmp_path / "images-idx3-ubyte.gz"
    path.write_bytes(raw)  # uncompressed IDX under a .gz name
    with pytest.raises(CorruptFileError, match="not a complete gzip file") as info:
        read_idx(path, idx_file_for(path.name, raw, (5, 28, 28)))
    assert str(path) in str(info.value)


def test_read_idx_gzip_with_corrupted_compressed_byte(tmp_path):
    path, spec = _images_file(tmp_path)
    blob = bytearray(path.read_bytes())
    blob[-6] ^= 0xFF  # inside the CRC32 trailer
    path.write_bytes(bytes(blob))
    with pytest.raises(CorruptFileError, match=path.name):
        read_idx(path, spec)


def _header_error(tmp_path, raw: bytes, shape=(5, 28, 28)) -> str:
    """read_idx on ``raw`` whose checksum is pinned (so the IDX checks are reached)."""
    path, spec = _images_file(tmp_path, raw=raw, shape=shape)
    with pytest.raises(IdxHeaderError) as info:
        read_idx(path, spec)
    msg = str(info.value)
    assert str(path) in msg
    return msg


def test_read_idx_bad_magic(tmp_path):
    raw = idx_bytes(IMAGES)
    msg = _header_error(tmp_path, b"\x00\x00\x0d\x03" + raw[4:])  # 0x0d: float32 IDX
    assert "bad IDX magic 00000d03" in msg
    msg = _header_error(tmp_path, b"\x01\x00\x08\x03" + raw[4:])  # non-zero leading bytes
    assert "bad IDX magic" in msg


def test_read_idx_wrong_number_of_dims(tmp_path):
    flat = IMAGES.reshape(5, 784)
    msg = _header_error(tmp_path, idx_bytes(flat))
    assert "2 dimensions, expected 3" in msg


def test_read_idx_wrong_dims(tmp_path):
    msg = _header_error(tmp_path, idx_bytes(IMAGES[:4]))
    assert "(4, 28, 28)" in msg
    assert "(5, 28, 28)" in msg


def test_read_idx_payload_length_mismatch(tmp_path):
    raw = idx_bytes(IMAGES)
    msg = _header_error(tmp_path, raw[:-1])
    assert f"payload has {5 * 784 - 1} bytes" in msg
    # one byte too many: refused while decompressing, before the header is read
    path, expected = _images_file(tmp_path, raw + b"\x00")
    with pytest.raises(CorruptFileError, match="decompresses to more than"):
        read_idx(path, IdxFile(expected.filename, expected.sha256, (5, 28, 28)))


def test_read_idx_stops_a_gzip_bomb_early(tmp_path, monkeypatch):
    # 64 MiB of zeros (64 KiB compressed) where 3,936 bytes are expected: stopped after the
    # first chunk, long before the whole file would be in memory
    path = tmp_path / "bomb.gz"
    with gzip.open(path, "wb", compresslevel=9) as fh:
        for _ in range(64):
            fh.write(bytes(1 << 20))
    reads = []
    real_open = gzip.open

    def counting_open(*args, **kwargs):
        fh = real_open(*args, **kwargs)
        real_read = fh.read

        def read(n=-1):
            assert n != -1, "read the whole file at once"
            reads.append(n)
            return real_read(n)

        fh.read = read
        return fh

    monkeypatch.setattr(gzip, "open", counting_open)
    with pytest.raises(CorruptFileError, match="decompresses to more than the 3,936 bytes"):
        read_idx(path, IdxFile(path.name, "0" * 64, (5, 28, 28)))
    assert len(reads) == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_read_idx_unreadable_file_says_permission_denied(tmp_path):
    path, expected = _images_file(tmp_path)
    path.chmod(0)
    with pytest.raises(data.UnreadableFileError, match="permission denied"):
        read_idx(path, expected)


def test_read_idx_permission_error_is_reported_as_such(tmp_path, monkeypatch):
    # (the same path as above, for machines where the tests run as root)
    path, expected = _images_file(tmp_path)

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(gzip, "open", denied)
    with pytest.raises(data.UnreadableFileError, match="permission denied") as info:
        read_idx(path, expected)
    assert "truncated" not in str(info.value) and "chmod" in str(info.value)


def test_read_idx_too_short_or_cut_header(tmp_path):
    assert "too short" in _header_error(tmp_path, b"\x00\x00")
    cut = struct.pack(">HBB", 0, 8, 3) + struct.pack(">I", 5)  # only 1 of the 3 dims
    assert "cut short" in _header_error(tmp_path, cut)


# --------------------------------------------------------------------------- load
def test_load_from_data_dir(tmp_path, tiny):
    tiny.write(tmp_path)
    (x_train, y_train), (x_test, y_test) = data.load(TINY_NAME, data_dir=tmp_path)
    np.testing.assert_array_equal(x_train, tiny.arrays["train_images"])
    np.testing.assert_array_equal(y_train, tiny.arrays["train_labels"])
    np.testing.assert_array_equal(x_test, tiny.arrays["test_images"])
    np.testing.assert_array_equal(y_test, tiny.arrays["test_labels"])
    assert x_train.shape == (5, 28, 28) and x_test.shape == (3, 28, 28)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}


def test_load_from_env_var(tmp_path, tiny, monkeypatch):
    tiny.write(tmp_path)
    monkeypatch.setenv("AEBOOK_DATA", str(tmp_path))
    (x_train, _), _ = aebook.load(TINY_NAME)
    np.testing.assert_array_equal(x_train, tiny.arrays["train_images"])


def test_load_reports_a_bad_file_of_the_mirror(tmp_path, tiny):
    folder = tiny.write(tmp_path)
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataFileMissingError, match="t10k-labels-idx1-ubyte.gz"):
        data.load(TINY_NAME, data_dir=tmp_path)


def test_load_env_var_not_a_folder(tmp_path, tiny, monkeypatch):
    not_a_folder = tmp_path / "file.txt"
    not_a_folder.write_text("hello")
    monkeypatch.setenv("AEBOOK_DATA", str(not_a_folder))
    with pytest.raises(DataFileMissingError, match="AEBOOK_DATA") as info:
        data.load(TINY_NAME)
    assert str(not_a_folder) in str(info.value)
    monkeypatch.setenv("AEBOOK_DATA", str(tmp_path / "missing"))
    with pytest.raises(DataFileMissingError, match="not a folder"):
        data.load(TINY_NAME)


def test_load_unknown_name(tiny):
    with pytest.raises(ValueError, match="unknown data set 'cifar10'"):
        data.load("cifar10")


def test_load_real_specs_know_both_data_sets():
    assert set(data.DATASETS) == {"mnist", "fashion_mnist"}
    assert aebook.CLASS_NAMES["fashion_mnist"][9] == "Ankle boot"
    for spec in data.DATASETS.values():
        assert [f.shape for f in spec.files] == [
            (60000, 28, 28),
            (60000,),
            (10000, 28, 28),
            (10000,),
        ]
        assert all(len(f.sha256) == 64 for f in spec.files)


def test_load_without_mirror_and_failing_keras_download(monkeypatch):
    def offline():
        raise OSError("network is unreachable")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(DataUnavailableError, match="AEBOOK_DATA") as info:
        data.load("mnist")
    msg = str(info.value)
    assert "OSError: network is unreachable" in msg
    assert "'mnist'" in msg
    # what a reader can do, and nothing about this project's CI
    assert "connect to the internet" in msg and "python -m aebook.data download" in msg
    assert "CI" not in msg and "shared" not in msg
    assert isinstance(info.value.__cause__, OSError)
    monkeypatch.setenv("AEBOOK_DATA", "")  # empty counts as unset
    with pytest.raises(DataUnavailableError):
        data.load("mnist")


def _pin(monkeypatch, name, train, test):
    """Make ``DATASETS[name]`` pin the checksums of these arrays (as uint8)."""
    arrays = [np.asarray(a, dtype=np.uint8) for a in (*train, *test)]
    old = data.DATASETS[name]
    files = [
        idx_file_for(f.filename, idx_bytes(a), a.shape)
        for f, a in zip(old.files, arrays, strict=True)
    ]
    spec = data.DatasetSpec(name, old.folder, *files, old.class_names)
    monkeypatch.setitem(data.DATASETS, name, spec)


def test_load_via_keras_converts_to_uint8(monkeypatch):
    x = np.full((2, 28, 28), 7, dtype=np.int64)
    y = np.array([1, 9], dtype=np.int64)
    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data", lambda: ((x, y), (x[:1], y[:1])))
    _pin(monkeypatch, "fashion_mnist", (x, y), (x[:1], y[:1]))
    (x_train, y_train), (x_test, y_test) = data.load("fashion_mnist")
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    assert y_train.tolist() == [1, 9] and x_test.shape == (1, 28, 28)
    assert int(x_train[1, 5, 5]) == 7


def test_load_via_keras_returns_writable_arrays_like_the_mirror(monkeypatch):
    # keras.datasets.fashion_mnist builds its arrays with np.frombuffer: read-only
    x = np.frombuffer(bytes(2 * 28 * 28), np.uint8)
    x = x.reshape(2, 28, 28)
    y = np.frombuffer(bytes([3, 4]), np.uint8)
    assert not x.flags.writeable
    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data", lambda: ((x, y), (x, y)))
    _pin(monkeypatch, "fashion_mnist", (x, y), (x, y))
    (x_train, y_train), (x_test, y_test) = data.load("fashion_mnist")
    for a in (x_train, y_train, x_test, y_test):
        assert a.flags.writeable and a.dtype == np.uint8
    x_train[0, 0, 0] = 255  # the reader's in-place edit must not touch Keras's buffer
    assert x[0, 0, 0] == 0


def test_load_via_keras_verifies_what_keras_returns(monkeypatch, tmp_path):
    # MNIST's arrays in the Fashion-MNIST slot of Keras's cache: refused, naming the cache
    x = np.full((2, 28, 28), 7, dtype=np.uint8)
    y = np.array([1, 9], dtype=np.uint8)
    _pin(monkeypatch, "fashion_mnist", (x, y), (x, y))
    wrong = x.copy()
    wrong[0, 0, 0] = 8
    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data", lambda: ((wrong, y), (x, y)))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    with pytest.raises(ChecksumMismatchError, match="train-images-idx3-ubyte") as info:
        data.load("fashion_mnist")
    assert str(tmp_path / "keras-home" / "datasets") in str(info.value)
    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data", lambda: ((x[:1], y), (x, y)))
    with pytest.raises(ChecksumMismatchError, match=r"shape \(1, 28, 28\)"):
        data.load("fashion_mnist")


def test_load_via_keras_accepts_the_canonical_data(monkeypatch):
    mirror = REAL_DATA
    if not mirror:
        pytest.skip("AEBOOK_DATA is not set: no real MNIST to check against (CI sets it)")
    real = data.load("mnist", data_dir=mirror)
    monkeypatch.setattr(keras.datasets.mnist, "load_data", lambda: real)
    (x_train, _), _ = data.load("mnist")
    assert x_train.shape == (60000, 28, 28)


@pytest.mark.parametrize("bad", [np.full((1, 28, 28), 256), np.full((1, 28, 28), -1.0)])
def test_load_via_keras_refuses_values_that_are_not_bytes(monkeypatch, bad):
    y = np.zeros(1, np.uint8)
    monkeypatch.setattr(keras.datasets.mnist, "load_data", lambda: ((bad, y), (bad, y)))
    with pytest.raises(data.DataError, match="not bytes 0-255"):
        data.load("mnist")


# --------------------------------------------------------------------------- mirror tools
def test_verify_mirror_good_and_bad(tmp_path, tiny):
    folder = tiny.write(tmp_path)
    assert data.verify_mirror(tmp_path) is None
    assert data.verify_mirror(tmp_path, [TINY_NAME]) is None
    blob = (folder / "train-labels-idx1-ubyte.gz").read_bytes()
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(blob[:-4])
    with pytest.raises(CorruptFileError, match="train-labels-idx1-ubyte.gz"):
        data.verify_mirror(tmp_path)
    with pytest.raises(ValueError, match="unknown data set"):
        data.verify_mirror(tmp_path, ["nope"])


def _server(tmp_path, name: str, mirror) -> str:
    """A folder of the .gz files served as a ``file://`` base URL (ending in '/')."""
    folder = tmp_path / name
    for filename, raw in mirror.raw.items():
        write_gz(folder / filename, raw)
    return folder.as_uri() + "/"


def _assert_no_part_files(root):
    assert not list(root.rglob("*.part"))


def test_download_mirror_writes_verified_files(tmp_path, tiny):
    url = _server(tmp_path, "server", tiny)
    root = tmp_path / "mirror"
    written = data.download_mirror(root, mirrors={TINY_NAME: (url,)})
    folder = root / TINY_FOLDER
    assert written == [folder / f.filename for f in tiny.spec.files]
    assert all(p.is_file() for p in written)
    _assert_no_part_files(root)
    data.verify_mirror(root)  # the result is a valid mirror
    (x_train, y_train), _ = data.load(TINY_NAME, data_dir=root)
    np.testing.assert_array_equal(x_train, tiny.arrays["train_images"])
    np.testing.assert_array_equal(y_train, tiny.arrays["train_labels"])


def test_download_mirror_falls_back_to_second_mirror(tmp_path, tiny):
    bad_url = _server(tmp_path, "bad", tiny)
    bad_file = tmp_path / "bad" / "train-images-idx3-ubyte.gz"
    raw = bytearray(tiny.raw[bad_file.name])
    raw[-1] ^= 0xFF  # a payload byte: complete gzip, wrong checksum
    bad_file.write_bytes(gzip.compress(bytes(raw)))
    (tmp_path / "bad" / "t10k-labels-idx1-ubyte.gz").unlink()  # and one file missing
    good_url = _server(tmp_path, "good", tiny)

    root = tmp_path / "mirror"
    written = data.download_mirror(root, [TINY_NAME], mirrors={TINY_NAME: (bad_url, good_url)})
    assert len(written) == 4
    _assert_no_part_files(root)
    target = root / TINY_FOLDER / bad_file.name
    assert gzip.decompress(target.read_bytes()) == tiny.raw[bad_file.name]
    data.verify_mirror(root)


def test_download_mirror_all_mirrors_bad(tmp_path, tiny):
    urls = []
    for name in ("one", "two"):
        urls.append(_server(tmp_path, name, tiny))
        f = tmp_path / name / "train-images-idx3-ubyte.gz"
        f.write_bytes(f.read_bytes()[:50])  # truncated on both
    root = tmp_path / "mirror"
    with pytest.raises(DataUnavailableError) as info:
        data.download_mirror(root, mirrors={TINY_NAME: tuple(urls)})
    msg = str(info.value)
    assert f"{TINY_FOLDER}/train-images-idx3-ubyte.gz" in msg
    assert urls[0] + "train-images-idx3-ubyte.gz" in msg
    assert urls[1] + "train-images-idx3-ubyte.gz" in msg
    assert not (root / TINY_FOLDER / "train-images-idx3-ubyte.gz").exists()
    _assert_no_part_files(root)


def test_download_mirror_unknown_name(tmp_path, tiny):
    with pytest.raises(ValueError, match="unknown data set"):
        data.download_mirror(tmp_path, ["nope"], mirrors={})


# --------------------------------------------------------------------------- CLI
def test_cli_verify(tmp_path, tiny, capsys):
    folder = tiny.write(tmp_path)
    assert data._main(["verify", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert "every file matches" in out
    assert f"AEBOOK_DATA={tmp_path.resolve()}" in out
    assert err == ""

    (folder / "t10k-images-idx3-ubyte.gz").write_bytes(b"not gzip")
    assert data._main(["verify", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert err.startswith("error: ")
    assert "t10k-images-idx3-ubyte.gz" in err
    assert "every file matches" not in out


def test_cli_download(tmp_path, tiny, monkeypatch, capsys):
    url = _server(tmp_path, "server", tiny)
    monkeypatch.setattr(data, "DOWNLOAD_MIRRORS", {TINY_NAME: (url,)})
    root = tmp_path / "mirror"
    assert data._main(["download", str(root), "--only", TINY_NAME]) == 0
    out = capsys.readouterr().out
    assert out.count("ok  ") == 4
    data.verify_mirror(root)


def test_cli_needs_a_command(capsys):
    with pytest.raises(SystemExit) as info:
        data._main([])
    assert info.value.code == 2


# --------------------------------------------------------------------------- transforms
def test_scale():
    x = np.array([[0, 51, 255]], dtype=np.uint8)
    out = aebook.scale(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[0.0, 0.2, 1.0]], rtol=1e-6)
    assert x.dtype == np.uint8  # input untouched
    with pytest.raises(ValueError, match="uint8"):
        aebook.scale(out)
    with pytest.raises(ValueError, match="int64"):
        aebook.scale(x.astype(np.int64))
    with pytest.raises(TypeError):
        aebook.scale([[0, 255]])


def test_flatten():
    x = unit_images(3)
    out = aebook.flatten(x)
    assert out.shape == (3, 784)
    np.testing.assert_array_equal(out[1], x[1].ravel())
    assert aebook.flatten(x[..., None]).shape == (3, 784)
    for bad in (np.zeros((3, 784)), np.zeros((3, 28, 27)), np.zeros((3, 28, 28, 3)), np.zeros(5)):
        with pytest.raises(ValueError, match=r"flatten expects"):
            aebook.flatten(bad)
    with pytest.raises(TypeError):
        aebook.flatten([[0.0] * 784])


def test_to_images():
    x = unit_images(4)
    flat = x.reshape(4, 784)
    img = aebook.to_images(flat)
    assert img.shape == (4, 28, 28, 1)
    np.testing.assert_array_equal(img[..., 0], x)
    assert aebook.to_images(flat, channels=False).shape == (4, 28, 28)
    assert aebook.to_images(x).shape == (4, 28, 28, 1)
    assert aebook.to_images(img, channels=False).shape == (4, 28, 28)
    np.testing.assert_array_equal(aebook.flatten(aebook.to_images(flat)), flat)
    for bad in (np.zeros((4, 783)), np.zeros((4, 28, 28, 3)), np.zeros((4, 14, 56)), np.zeros(784)):
        with pytest.raises(ValueError, match="to_images expects"):
            aebook.to_images(bad)


def test_add_noise_is_seeded_clipped_and_keeps_dtype():
    x = unit_images(4)
    a = aebook.add_noise(x, factor=0.5, seed=1)
    b = aebook.add_noise(x, factor=0.5, seed=1)
    c = aebook.add_noise(x, factor=0.5, seed=2)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.shape == x.shape and a.dtype == np.float32
    assert a.min() == 0.0 and a.max() == 1.0  # factor 0.5 pushes pixels past both ends
    assert not np.array_equal(a, x)
    x64 = x.astype(np.float64)
    assert aebook.add_noise(x64, seed=1).dtype == np.float64
    np.testing.assert_array_equal(aebook.add_noise(x, factor=0.0), x)


def test_add_noise_rejects_bad_input():
    x = unit_images(2)
    with pytest.raises(ValueError, match="floats"):
        aebook.add_noise((x * 255).astype(np.uint8))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        aebook.add_noise(x * 255)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        aebook.add_noise(x - 0.5)
    with pytest.raises(ValueError, match="noise factor"):
        aebook.add_noise(x, factor=-0.1)
    with pytest.raises(ValueError, match="noise factor"):
        aebook.add_noise(x, factor=float("nan"))


def test_add_noise_rejects_nan():
    x = unit_images(2)
    x[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        aebook.add_noise(x)


# --------------------------------------------------------------------------- load_splits
def test_load_splits_full_profile(tmp_path, tiny, monkeypatch):
    monkeypatch.delenv("AEBOOK_SMOKE", raising=False)
    tiny.write(tmp_path)
    (x_tr, y_tr), (x_val, y_val), (x_te, y_te) = aebook.load_splits(
        TINY_NAME, validation=2, data_dir=tmp_path
    )
    images = tiny.arrays["train_images"].reshape(5, 784) / np.float32(255)
    np.testing.assert_allclose(x_tr, images[:3])
    np.testing.assert_allclose(x_val, images[3:])
    np.testing.assert_array_equal(y_tr, tiny.arrays["train_labels"][:3])
    np.testing.assert_array_equal(y_val, tiny.arrays["train_labels"][3:])
    np.testing.assert_array_equal(y_te, tiny.arrays["test_labels"])
    assert x_tr.dtype == x_te.dtype == np.float32 and x_te.shape == (3, 784)
    assert 0.0 <= x_tr.min() and x_tr.max() <= 1.0


def test_load_splits_images_and_smoke_profile(tmp_path, tiny, monkeypatch):
    monkeypatch.setenv("AEBOOK_SMOKE", "1")
    tiny.write(tmp_path)
    (x_tr, _), (x_val, y_val), (x_te, y_te) = aebook.load_splits(
        TINY_NAME, images=True, validation=1, smoke_train=4, smoke_test=2, data_dir=tmp_path
    )
    assert x_tr.shape == (3, 28, 28, 1) and x_val.shape == (1, 28, 28, 1)
    assert x_te.shape == (2, 28, 28, 1) and len(y_te) == 2
    assert y_val[0] == tiny.arrays["train_labels"][3]  # the 4th image: the smoke cut comes first


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"validation": 5}, "leaves no training images"),
        ({"validation": 0}, "validation="),
        ({"smoke_train": 2.5}, "smoke_train="),
        ({"smoke_test": True}, "smoke_test="),
    ],
)
def test_load_splits_rejects_bad_sizes(tmp_path, tiny, kwargs, message):
    tiny.write(tmp_path)
    with pytest.raises(ValueError, match=message):
        aebook.load_splits(TINY_NAME, data_dir=tmp_path, **kwargs)


# --------------------------------------------------------------------------- Keras's cache (issue 27, item 9)
@pytest.fixture
def keras_cache(monkeypatch, tmp_path):
    """A fake Keras cache with a tiny Fashion-MNIST, read by Keras's own loader.

    ``keras.datasets.fashion_mnist.load_data`` runs unchanged except for ``get_file``, which
    (like Keras's, for this data set: no hash) returns the cached file when there is one, and
    otherwise "downloads" the good file when ``online`` is set, or fails as offline Keras does.
    """
    import keras.src.datasets.fashion_mnist as keras_fashion

    x_train = np.arange(3 * 28 * 28).reshape(3, 28, 28).astype(np.uint8)
    y_train = np.array([1, 2, 3], np.uint8)
    x_test, y_test = x_train[:2].copy(), y_train[:2].copy()
    _pin(monkeypatch, "fashion_mnist", (x_train, y_train), (x_test, y_test))
    spec = data.DATASETS["fashion_mnist"]
    good = {
        f.filename: gzip.compress(idx_bytes(a))
        for f, a in zip(spec.files, (x_train, y_train, x_test, y_test), strict=True)
    }
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    folder = tmp_path / "keras-home" / "datasets" / "fashion-mnist"
    folder.mkdir(parents=True)
    for name, raw in good.items():
        (folder / name).write_bytes(raw)
    state = {"online": False, "downloads": []}

    def get_file(fname, origin, cache_subdir):
        path = tmp_path / "keras-home" / cache_subdir / fname  # cache_subdir: datasets/...
        if not path.exists():
            if not state["online"]:
                raise Exception(f"URL fetch failure on {origin}: None -- network unreachable")
            path.write_bytes(good[fname])
            state["downloads"].append(fname)
        return str(path)

    monkeypatch.setattr(keras_fashion, "get_file", get_file)
    state.update(folder=folder, good=good, x_train=x_train)
    return state


def test_keras_cache_fixture_loads_the_good_files(keras_cache):
    (x_train, _), _ = data.load("fashion_mnist")
    assert np.array_equal(x_train, keras_cache["x_train"])
    assert keras_cache["downloads"] == []


def test_a_truncated_file_in_keras_cache_is_removed_and_downloaded_again(keras_cache, capsys):
    broken = keras_cache["folder"] / "train-images-idx3-ubyte.gz"
    broken.write_bytes(keras_cache["good"][broken.name][:-20])  # an interrupted download
    keras_cache["online"] = True
    (x_train, _), _ = data.load("fashion_mnist")
    assert np.array_equal(x_train, keras_cache["x_train"])
    assert keras_cache["downloads"] == [broken.name]  # that file only, once
    out = capsys.readouterr().out
    assert str(broken) in out and "removed" in out


def test_a_truncated_file_in_keras_cache_offline_names_the_file(keras_cache):
    broken = keras_cache["folder"] / "t10k-labels-idx1-ubyte.gz"
    broken.write_bytes(keras_cache["good"][broken.name][:10])
    with pytest.raises(DataUnavailableError) as info:
        data.load("fashion_mnist")
    msg = str(info.value)
    assert str(broken) in msg and "truncated or corrupted" in msg
    assert "removed" in msg and not broken.exists()  # so connecting can now help
    assert "AEBOOK_DATA" in msg
    # the good files stay
    assert sorted(p.name for p in keras_cache["folder"].iterdir()) == sorted(
        set(keras_cache["good"]) - {broken.name}
    )


def test_a_wrong_file_in_keras_cache_is_removed_too(keras_cache, capsys):
    # a complete gzip file holding other bytes: Keras reads it without complaint
    wrong = keras_cache["folder"] / "train-labels-idx1-ubyte.gz"
    wrong.write_bytes(gzip.compress(idx_bytes(np.array([9, 9, 9], np.uint8))))
    keras_cache["online"] = True
    (_, y_train), _ = data.load("fashion_mnist")
    assert y_train.tolist() == [1, 2, 3]
    assert keras_cache["downloads"] == [wrong.name]
    assert str(wrong) in capsys.readouterr().out


def test_keras_failing_with_a_good_cache_is_reported_as_before(keras_cache):
    for path in keras_cache["folder"].iterdir():
        path.unlink()  # nothing cached, offline: the download message
    with pytest.raises(DataUnavailableError, match="connect to the internet"):
        data.load("fashion_mnist")


# Issue 27, item 18: a huge answer is refused while it streams, not after it is in memory.
class _HugeResponse:
    """An HTTP answer of ``size`` bytes that counts what is read and refuses read()-it-all."""

    def __init__(self, size: int, length_header: bool = False):
        self.size, self.sent = size, 0
        self.headers = {"Content-Length": str(size)} if length_header else {}

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            raise AssertionError("the whole answer was read into memory at once")
        n = min(n, self.size - self.sent)
        self.sent += n
        return b"\x1f" * n

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize("length_header", [False, True], ids=["streamed", "Content-Length"])
def test_download_mirror_caps_an_oversized_answer(tmp_path, tiny, monkeypatch, length_header):
    responses = []

    def urlopen(url, timeout):
        responses.append(_HugeResponse(300_000_000, length_header))
        return responses[-1]

    monkeypatch.setattr(data.urllib.request, "urlopen", urlopen)
    root = tmp_path / "mirror"
    with pytest.raises(DataUnavailableError, match="more than the .* bytes") as info:
        data.download_mirror(root, mirrors={TINY_NAME: ("https://example.invalid/",)})
    assert "https://example.invalid/train-images-idx3-ubyte.gz" in str(info.value)
    expected = data._idx_size(tiny.spec.train_images.shape)
    # stopped within a chunk past the cap (with the header: before reading anything)
    assert responses[0].sent <= (0 if length_header else 2 * expected + data._CHUNK)
    _assert_no_part_files(root)
