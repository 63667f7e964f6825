"""Argument checks the library's functions share, with messages that name the argument."""

from __future__ import annotations

__all__ = ["check_int"]


def check_int(what: str, value: object, low: int = 1, high: int | None = None) -> int:
    """``value`` if it is an ``int`` (not a ``bool``) from ``low`` to ``high``; else a
    ``ValueError`` that names ``what`` and the range."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value >= low and (high is None or value <= high):
            return value
    if high is not None:
        wanted = f"an int from {low} to {high}"
    elif low == 1:
        wanted = "a positive int"
    elif low == 0:
        wanted = "a non-negative int"
    else:
        wanted = f"an int of at least {low}"
    raise ValueError(f"{what} must be {wanted}, got {value!r}")
