"""JPEG as a baseline codec: encode 28x28 images with Pillow, decode them, count the bits.

A JPEG file is headers (quantisation and Huffman tables, image size) followed by the
entropy-coded *scan* data. For images this small the headers are most of the file, so
:func:`jpeg_roundtrip` reports both sizes: the whole file, and the scan data alone, which is
what a codec whose tables are fixed and shared by encoder and decoder (as an autoencoder's
decoder weights are) would need to send.

Baseline JPEG with Pillow's default settings (libjpeg's standard Huffman tables, no
chroma: the images are greyscale) is used, so the headers are the same for every image of
a given quality.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

from .checks import check_int
from .data import check_unit_float

_SOI = b"\xff\xd8"
_EOI = b"\xff\xd9"
_SOS = 0xDA


@dataclass(frozen=True)
class JpegResult:
    """Decoded images (floats in [0, 1], the input's shape) and bits per image."""

    decoded: np.ndarray
    file_bits: np.ndarray  # the whole file, headers included
    scan_bits: np.ndarray  # the entropy-coded scan data only

    def __str__(self) -> str:
        return (
            f"{len(self.decoded):,} images: {self.file_bits.mean():.0f} bits per file, "
            f"{self.scan_bits.mean():.0f} bits of scan data"
        )


def scan_bytes(data: bytes) -> int:
    """Length in bytes of the scan data of a baseline JPEG file (between SOS and EOI).

    Walks the marker segments from the start of the file, so bytes inside the headers
    that happen to look like a marker are never mistaken for one.
    """
    if not data.startswith(_SOI) or not data.endswith(_EOI):
        raise ValueError("not a complete JPEG file (no SOI at the start or EOI at the end)")
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise ValueError(f"JPEG marker expected at byte {pos}")
        marker = data[pos + 1]
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if length < 2:
            raise ValueError(f"JPEG segment at byte {pos} has an invalid length {length}")
        if marker == _SOS:
            start = pos + 2 + length
            if start > len(data) - 2:
                raise ValueError("JPEG file ends inside its scan header")
            return len(data) - 2 - start  # everything up to the EOI marker
        pos += 2 + length
    raise ValueError("JPEG file has no scan (SOS) segment")


def jpeg_roundtrip(x: np.ndarray, quality: int) -> JpegResult:
    """Encode each image of ``x`` as a greyscale JPEG of ``quality`` (1-95) and decode it.

    ``x`` holds pixels in [0, 1], shaped ``(n, 784)``, ``(n, 28, 28)`` or ``(n, 28, 28, 1)``;
    they are rounded to 8 bits first (exact for MNIST and Fashion-MNIST, which are 8-bit).
    Returns the decoded images in ``x``'s shape and the bits each image took.
    """

    check_int("quality", quality, 1, 95)
    if not isinstance(x, np.ndarray) or x.ndim < 2 or int(np.prod(x.shape[1:])) != 784:
        raise ValueError(
            f"jpeg_roundtrip: expected a batch of 28x28 images, got shape "
            f"{getattr(x, 'shape', type(x).__name__)}"
        )
    check_unit_float(x, "jpeg_roundtrip", allow_empty=False)
    pixels = np.rint(x.reshape(len(x), 28, 28) * 255).astype(np.uint8)
    decoded = np.empty_like(pixels)
    file_bits = np.empty(len(x), dtype=np.int64)
    scan_bits = np.empty(len(x), dtype=np.int64)
    for i, image in enumerate(pixels):
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, format="JPEG", quality=quality)
        data = buffer.getvalue()
        file_bits[i] = 8 * len(data)
        scan_bits[i] = 8 * scan_bytes(data)
        with Image.open(io.BytesIO(data)) as img:
            decoded[i] = np.asarray(img)
    out = (decoded.astype(np.float32) / 255).reshape(x.shape)
    return JpegResult(decoded=out, file_bits=file_bits, scan_bits=scan_bits)
