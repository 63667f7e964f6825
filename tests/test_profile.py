"""Unit tests of aebook.profile: the full / smoke switch, epochs, subset and setup."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import aebook
from aebook import profile

SMOKE = "AEBOOK_SMOKE"


@pytest.fixture
def full(monkeypatch):
    monkeypatch.delenv(SMOKE, raising=False)


@pytest.fixture
def smoke(monkeypatch):
    monkeypatch.setenv(SMOKE, "1")


# --------------------------------------------------------------------------- is_smoke
def test_is_smoke_unset(full):
    assert aebook.is_smoke() is False
    assert aebook.profile_name() == "full"


@pytest.mark.parametrize("raw", ["1", "true", "TRUE", " yes ", "On"])
def test_is_smoke_true_values(monkeypatch, raw):
    monkeypatch.setenv(SMOKE, raw)
    assert aebook.is_smoke() is True
    assert aebook.profile_name() == "smoke"


@pytest.mark.parametrize("raw", ["0", "", "false", "No", "off"])
def test_is_smoke_false_values(monkeypatch, raw):
    monkeypatch.setenv(SMOKE, raw)
    assert aebook.is_smoke() is False
    assert aebook.profile_name() == "full"


@pytest.mark.parametrize("raw", ["garbage", "2", "smoke"])
def test_is_smoke_rejects_garbage(monkeypatch, raw):
    monkeypatch.setenv(SMOKE, raw)
    with pytest.raises(ValueError, match=f"AEBOOK_SMOKE='{raw}'"):
        aebook.is_smoke()
    with pytest.raises(ValueError):
        aebook.profile_name()


# --------------------------------------------------------------------------- epochs
def test_epochs_full_profile(full):
    assert aebook.epochs(50) == 50
    assert aebook.epochs(1) == 1
    assert aebook.epochs(30, smoke=5) == 30


ROOT = Path(__file__).resolve().parents[1]


def test_epochs_smoke_profile(smoke):
    assert profile.SMOKE_EPOCHS == 2
    assert aebook.epochs(50) == 2
    assert aebook.epochs(1) == 1  # never more than full
    assert aebook.epochs(30, smoke=5) == 5
    assert aebook.epochs(3, smoke=5) == 3


@pytest.mark.parametrize("bad", [0, -3, 2.0, True, "10", None])
def test_epochs_validates_full(full, bad):
    with pytest.raises(ValueError, match=r"epochs\(full\)"):
        aebook.epochs(bad)


@pytest.mark.parametrize("bad", [0, -1, 1.5, False])
def test_epochs_validates_smoke(smoke, bad):
    with pytest.raises(ValueError, match=r"epochs\(smoke=\)"):
        aebook.epochs(10, smoke=bad)


# --------------------------------------------------------------------------- subset
def test_subset_full_profile_returns_arrays_unchanged(full):
    x, y = np.arange(10), np.arange(10) * 2
    assert aebook.subset(x, n=3) is x
    out = aebook.subset(x, y, n=3)
    assert isinstance(out, tuple) and len(out) == 2
    assert out[0] is x and out[1] is y


def test_subset_smoke_profile_takes_first_n(smoke):
    x = np.arange(20).reshape(10, 2)
    y = np.arange(10)
    one = aebook.subset(x, n=3)
    assert isinstance(one, np.ndarray)
    np.testing.assert_array_equal(one, x[:3])
    xs, ys = aebook.subset(x, y, n=4)
    np.testing.assert_array_equal(xs, x[:4])
    assert ys.tolist() == [0, 1, 2, 3]
    assert len(aebook.subset(y, n=100)) == 10  # n beyond the length: everything
    assert len(aebook.subset(x, y, y, n=2)) == 3


@pytest.mark.parametrize("profile_fixture", ["full", "smoke"])
def test_subset_validation(request, profile_fixture):
    request.getfixturevalue(profile_fixture)
    x = np.arange(10)
    with pytest.raises(ValueError, match="differ in length"):
        aebook.subset(x, x[:9], n=3)
    with pytest.raises(ValueError, match="at least one array"):
        aebook.subset(n=3)
    for bad in (0, -1, 2.5, True, "3"):
        with pytest.raises(ValueError, match=r"subset\(n=\)"):
            aebook.subset(x, n=bad)


# --------------------------------------------------------------------------- setup
def _random_draws():
    import keras

    a = np.random.rand(4)  # noqa: NPY002 - setup() must seed the legacy global RNG
    k = keras.ops.convert_to_numpy(keras.random.uniform((4,)))
    dense = keras.layers.Dense(3)
    dense.build((None, 5))
    w = keras.ops.convert_to_numpy(dense.kernel)
    return a, k, w


def test_setup_seeds_numpy_and_keras_repeatably(full, capsys):
    run1 = aebook.setup(123)
    first = _random_draws()
    run2 = aebook.setup(123)
    second = _random_draws()
    aebook.setup(124)
    other = _random_draws()
    for a, b, c in zip(first, second, other, strict=True):
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)
    assert isinstance(run1, aebook.Run) and isinstance(run2, aebook.Run)
    assert run1.seed == 123 and run1.profile == "full"
    assert run1.elapsed() >= 0.0
    assert run1.started == run2.started  # both count from aebook's import
    out = capsys.readouterr().out
    assert out.count("aebook | profile: full (AEBOOK_SMOKE unset) | seed 123") == 2
    assert "seed 124" in out
    assert "Keras " in out


def test_setup_banner_in_smoke_profile(smoke, capsys):
    run = aebook.setup(0)
    assert run.profile == "smoke" and run.seed == 0
    out = capsys.readouterr().out
    assert "profile: smoke (AEBOOK_SMOKE=1)" in out


def test_setup_styles_matplotlib(full):
    import matplotlib

    aebook.setup(0)
    assert matplotlib.rcParams["image.cmap"] == "gray"
    assert matplotlib.rcParams["image.interpolation"] == "nearest"


@pytest.mark.parametrize("bad", [-1, 1.0, "0", True, None])
def test_setup_rejects_bad_seed(full, bad):
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        aebook.setup(bad)


def test_setup_rejects_garbage_profile(monkeypatch):
    monkeypatch.setenv(SMOKE, "maybe")
    with pytest.raises(ValueError, match="AEBOOK_SMOKE"):
        aebook.setup(0)


def test_run_elapsed_and_finish(capsys):
    run = aebook.Run(seed=1, profile="full", started=time.perf_counter() - 90.0)
    assert 90.0 <= run.elapsed() < 95.0
    fresh = aebook.Run(seed=1, profile="smoke")
    assert fresh.elapsed() >= 0.0
    fresh.finish()  # outside IPython the record is a no-op; the line is printed
    out = capsys.readouterr().out
    assert "Wall time of this chapter:" in out
    assert "(smoke profile)" in out


# --------------------------------------------------------------------------- pytest guard
def _pytest_collect(*args: str, smoke: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("AEBOOK_SMOKE", "AEBOOK_NBVAL_FULL")}
    if smoke is not None:
        env["AEBOOK_SMOKE"] = smoke
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
    )


@pytest.mark.slow  # starts a kernel or a Python process
def test_pytest_refuses_one_notebook_in_the_full_profile():
    done = _pytest_collect("notebooks/01_introduction.ipynb", smoke=None)
    assert done.returncode == 4, done.stdout + done.stderr  # pytest's usage error
    assert "full profile" in done.stderr and "AEBOOK_SMOKE=1 python -m pytest" in done.stderr


@pytest.mark.slow  # starts a kernel or a Python process
def test_pytest_says_what_is_wrong_with_the_smoke_variable():
    done = _pytest_collect("notebooks/01_introduction.ipynb", smoke="maybe")
    assert done.returncode == 4, done.stdout + done.stderr
    assert "AEBOOK_SMOKE='maybe' is not understood" in done.stderr
    assert "INTERNALERROR" not in done.stdout + done.stderr


@pytest.mark.slow  # starts a kernel or a Python process
def test_pytest_collects_one_notebook_in_the_smoke_profile():
    done = _pytest_collect("notebooks/01_introduction.ipynb", smoke="1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "01_introduction.ipynb::Cell" in done.stdout


def test_wall_time_counts_from_the_import_of_aebook() -> None:
    """A chapter's wall time includes TensorFlow's import and everything setup() does (a
    review found the glued time a third short of the executor's)."""
    import subprocess
    import sys

    code = (
        "import time, aebook; time.sleep(0.5); run = aebook.setup(seed=0); "
        "assert run.elapsed() >= 0.5, run.elapsed()"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
