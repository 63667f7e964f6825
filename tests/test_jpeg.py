"""Unit tests of aebook.jpeg: the JPEG baseline's round trip and its bit counts."""

from __future__ import annotations

import io

import numpy as np
import pytest
from _synthetic import unit_images
from PIL import Image

from aebook.jpeg import jpeg_roundtrip, scan_bytes


def _digit_like(n: int = 4) -> np.ndarray:
    """Smooth blobs on a black background, like digits, as floats in [0, 1] that are
    exact multiples of 1/255 (as MNIST's are)."""
    yy, xx = np.mgrid[:28, :28]
    out = []
    for i in range(n):
        blob = np.exp(-((yy - 10 - i) ** 2 + (xx - 14) ** 2) / 18.0)
        out.append(np.rint(blob * 255) / 255)
    return np.stack(out).astype(np.float32)


def _jpeg_bytes(image_u8: np.ndarray, quality: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image_u8).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def test_roundtrip_keeps_shape_and_is_close_at_high_quality():
    x = _digit_like()
    for shape in [(4, 784), (4, 28, 28), (4, 28, 28, 1)]:
        result = jpeg_roundtrip(x.reshape(shape), quality=95)
        assert result.decoded.shape == shape
        assert result.decoded.dtype == np.float32
        assert 0.0 <= result.decoded.min() and result.decoded.max() <= 1.0
        assert np.abs(result.decoded.reshape(4, 28, 28) - x).max() < 0.05


def test_lower_quality_means_fewer_bits_and_more_error():
    x = unit_images(n=6, seed=1)
    low, high = jpeg_roundtrip(x, quality=10), jpeg_roundtrip(x, quality=90)
    assert low.scan_bits.mean() < high.scan_bits.mean()
    assert np.mean((low.decoded - x) ** 2) > np.mean((high.decoded - x) ** 2)


def test_bits_are_the_file_and_its_scan_data():
    x = _digit_like(n=3)
    result = jpeg_roundtrip(x, quality=50)
    for i in range(3):
        data = _jpeg_bytes(np.rint(x[i] * 255).astype(np.uint8), 50)
        assert result.file_bits[i] == 8 * len(data)
        assert result.scan_bits[i] == 8 * scan_bytes(data)
    # Headers are the same for every image of one quality, so file minus scan is constant.
    headers = result.file_bits - result.scan_bits
    assert len(set(headers.tolist())) == 1
    assert 0 < result.scan_bits.min() and headers[0] > 8 * 100  # tables: >100 bytes


def test_scan_bytes_walks_segments_not_byte_patterns():
    # A file whose first header segment contains the bytes of an SOS marker: a search
    # for b"\xff\xda" would stop there; walking the segments does not.
    app = b"\xff\xe0" + (2 + 4).to_bytes(2, "big") + b"\xff\xda\x00\x08"
    sos = b"\xff\xda" + (2 + 3).to_bytes(2, "big") + b"abc"
    data = b"\xff\xd8" + app + sos + b"SCANDATA" + b"\xff\xd9"
    assert scan_bytes(data) == len(b"SCANDATA")


@pytest.mark.parametrize(
    "data, message",
    [
        (b"\x00\x00", "not a complete JPEG"),
        (b"\xff\xd8\xff\xe0\x00\x04ab\xff\xd9", "no scan"),
        (b"\xff\xd8\x12\x34\x00\x04ab\xff\xd9", "marker expected"),
        (b"\xff\xd8\xff\xe0\x00\x01\xff\xd9", "invalid length"),
        (b"\xff\xd8\xff\xda\x00\x09abc\xff\xd9", "ends inside its scan header"),
    ],
)
def test_scan_bytes_refuses_broken_files(data, message):
    with pytest.raises(ValueError, match=message):
        scan_bytes(data)


@pytest.mark.parametrize("quality", [0, 96, 50.0, True, "50"])
def test_bad_quality_is_refused(quality):
    with pytest.raises(ValueError, match="quality"):
        jpeg_roundtrip(_digit_like(1), quality=quality)


def test_bad_images_are_refused():
    with pytest.raises(ValueError, match="28x28"):
        jpeg_roundtrip(np.zeros((2, 10), dtype=np.float32), quality=50)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        jpeg_roundtrip(np.full((1, 784), 2.0, dtype=np.float32), quality=50)
    with pytest.raises(ValueError, match="floats"):
        jpeg_roundtrip(np.zeros((1, 784), dtype=np.uint8), quality=50)
    with pytest.raises(ValueError, match="empty"):
        jpeg_roundtrip(np.zeros((0, 784), dtype=np.float32), quality=50)
