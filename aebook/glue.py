"""Record a chapter's headline numbers so the prose, the tests and later pages can read them.

:func:`record` writes a value as a hidden display output in myst-nb's *glue* format,
the format ``myst_nb.glue(name, value, display=False)`` produces, without needing
myst-nb in the kernel (Colab does not have it). On the site the prose quotes it with
``{glue:text}`name:.4f```; the book's toolchain (``booktools.records``) reads every
recorded value back out of an executed notebook file.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any, SupportsFloat

__all__ = ["GLUE_PREFIX", "record"]

GLUE_PREFIX = "application/papermill.record/"


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"record name must be an identifier like 'test_bce', got {name!r}")


def _checked(name: str, value: object) -> int | float | str:
    _check_name(name)
    if isinstance(value, bool) or not isinstance(value, (Real, str)):
        raise TypeError(f"record({name!r}) takes a number or a string, got {type(value).__name__}")
    if isinstance(value, str):
        return value
    if isinstance(value, Integral) and abs(int(value)) > 2**53:
        raise ValueError(
            f"record({name!r}) got an integer of {len(str(abs(int(value))))} digits; the page "
            "and the tests read records as floats, exact only to 2**53: record a float instead"
        )
    number = int(value) if isinstance(value, Integral) else float(value)
    if not math.isfinite(number):
        raise ValueError(f"record({name!r}) got a non-finite value {number}")
    return number


_MISSING: Any = object()  # record()'s "argument not given", since None is a bad name too
_USAGE = "record takes record(name, value) or record(name=value, ...)"


def record(
    name: str = _MISSING, value: SupportsFloat | str = _MISSING, /, **values: SupportsFloat | str
) -> None:
    """Record numbers or strings under names, in the output of the current notebook cell.

    Either one value, ``record("test_bce", 0.0731)``, or several at once,
    ``record(test_bce=0.0731, test_psnr=21.7)``. Each value must be a finite number or a
    string; every value is checked before any is recorded. Outside IPython this does nothing
    beyond the checks, so helper code can call it from scripts too.
    """
    if name is not _MISSING:
        if value is _MISSING or values:
            raise TypeError(_USAGE)
        values = {name: value}
    elif value is not _MISSING or not values:
        raise TypeError(_USAGE)
    checked = {key: _checked(key, v) for key, v in values.items()}
    try:
        from IPython import get_ipython  # lazy: IPython is there only inside a kernel
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython ships with Jupyter
        return
    if get_ipython() is None:
        return
    for key, v in checked.items():
        display(
            {GLUE_PREFIX + "text/plain": repr(v)},
            raw=True,
            metadata={"scrapbook": {"name": key, "mime_prefix": GLUE_PREFIX}},
        )
