"""Atomic file writes: a reader, or a crash, never sees half a file.

The executor's notebooks and the generated pages are written with :func:`write_text`:
the text goes to a temporary file in the same folder, is flushed to disk, and replaces
the target in one ``os.replace``. If anything fails on the way (a full disk, a size
limit, an interrupt), the old file is left as it was and the temporary file is removed.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["write_text"]


def write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> None:
    """Replace ``path`` with ``text`` atomically (same folder, fsync, ``os.replace``)."""
    path = Path(path)
    data = text.encode(encoding)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
