"""aebook.checks.check_int: the one integer check of the library's functions."""

from __future__ import annotations

import numpy as np
import pytest

from aebook.checks import check_int


@pytest.mark.parametrize(
    "args, message",
    [
        (("n", 0), "n must be a positive int, got 0"),
        (("n", True), "n must be a positive int, got True"),
        (("n", 2.0), "n must be a positive int, got 2.0"),
        (("seed", -1, 0), "seed must be a non-negative int, got -1"),
        (("q", 96, 1, 95), "q must be an int from 1 to 95, got 96"),
        (("k", 1, 2), "k must be an int of at least 2, got 1"),
        (("n", np.int64(3)), "n must be a positive int"),  # NumPy integers are not ints
    ],
)
def test_check_int_names_the_argument_and_the_range(args, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        check_int(*args)


def test_check_int_returns_what_it_accepts():
    assert check_int("n", 1) == 1 and check_int("q", 95, 1, 95) == 95
    assert check_int("seed", 0, low=0) == 0
