"""Unit tests of aebook.plots, drawn off-screen with the Agg backend."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from _synthetic import tiny_fit, unit_images  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from aebook.plots import (  # noqa: E402
    autoencoder_diagram,
    compare_rows,
    examples_per_class,
    image_grid,
    plot_history,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


SHAPES = {
    "flat": lambda x: x.reshape(len(x), 784),
    "images": lambda x: x,
    "channels": lambda x: x[..., None],
}


def _suptitle(fig: Figure) -> str:
    return fig._suptitle.get_text() if fig._suptitle is not None else ""


def _assert_gray(ax, vmax: float = 1.0) -> None:
    assert len(ax.images) == 1
    assert ax.images[0].get_cmap().name == "gray"
    assert ax.images[0].get_clim() == (0.0, vmax)


# --------------------------------------------------------------------------- compare_rows
@pytest.mark.parametrize("shape", SHAPES)
def test_compare_rows(shape):
    x = unit_images(6, seed=1)
    x_hat = unit_images(6, seed=2)
    fig = compare_rows(
        {"original": SHAPES[shape](x), "reconstruction": SHAPES[shape](x_hat)},
        n=4,
        title="Round trip",
    )
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 8
    assert _suptitle(fig) == "Round trip"
    assert fig.axes[0].get_ylabel() == "original"
    assert fig.axes[4].get_ylabel() == "reconstruction"
    assert fig.axes[1].get_ylabel() == ""
    for ax in fig.axes:
        _assert_gray(ax)
        assert list(ax.get_xticks()) == [] and list(ax.get_yticks()) == []
    # Column c of each row shows image c of that row's array.
    np.testing.assert_array_equal(fig.axes[2].images[0].get_array(), x[2])
    np.testing.assert_array_equal(fig.axes[7].images[0].get_array(), x_hat[3])


def test_compare_rows_uint8_uses_0_255_and_no_title():
    x = (unit_images(3) * 255).astype(np.uint8)
    fig = compare_rows({"pixels": x}, n=3)
    assert len(fig.axes) == 3
    assert _suptitle(fig) == ""
    _assert_gray(fig.axes[0], vmax=255.0)


def test_compare_rows_errors():
    x = unit_images(4)
    with pytest.raises(ValueError, match="at least one row"):
        compare_rows({})
    with pytest.raises(ValueError, match="between 1 and 3"):
        compare_rows({"a": x, "b": x[:3]}, n=4)
    with pytest.raises(ValueError, match="between 1 and 4"):
        compare_rows({"a": x}, n=0)
    with pytest.raises(TypeError, match="NumPy array"):
        compare_rows({"a": list(x)}, n=2)
    with pytest.raises(ValueError, match=r"rows\['a'\]"):
        compare_rows({"a": np.zeros((4, 100))}, n=2)
    with pytest.raises(ValueError, match=r"\(n, 784\)"):
        compare_rows({"a": np.zeros((4, 28, 28, 3))}, n=2)


# --------------------------------------------------------------------------- image_grid
@pytest.mark.parametrize("shape", SHAPES)
def test_image_grid(shape):
    x = unit_images(7)
    titles = [f"#{i}" for i in range(7)]
    fig = image_grid(SHAPES[shape](x), ncols=3, titles=titles, title="Seven")
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 9  # 3 x 3, the last two blank
    assert _suptitle(fig) == "Seven"
    for i, ax in enumerate(fig.axes[:7]):
        _assert_gray(ax)
        assert ax.get_title() == f"#{i}"
        np.testing.assert_array_equal(ax.images[0].get_array(), x[i])
    for ax in fig.axes[7:]:
        assert not ax.axison
        assert len(ax.images) == 0


def test_image_grid_fewer_images_than_columns_and_other_cmap():
    x = unit_images(3) * 0.5
    fig = image_grid(x)  # ncols=10 shrinks to 3
    assert len(fig.axes) == 3
    assert all(ax.get_title() == "" for ax in fig.axes)
    fig = image_grid(x, ncols=2, cmap="viridis")
    assert len(fig.axes) == 4
    img = fig.axes[0].images[0]
    assert img.get_cmap().name == "viridis"
    assert img.get_clim() == pytest.approx((x[0].min(), x[0].max()))  # autoscaled


def test_image_grid_errors():
    x = unit_images(3)
    with pytest.raises(ValueError, match="at least one image"):
        image_grid(np.zeros((0, 784), np.float32))
    with pytest.raises(ValueError, match="ncols must be >= 1"):
        image_grid(x, ncols=0)
    with pytest.raises(ValueError, match="2 titles for 3 images"):
        image_grid(x, titles=["a", "b"])
    with pytest.raises(TypeError):
        image_grid(x.tolist())
    with pytest.raises(ValueError):
        image_grid(np.zeros(784))


# --------------------------------------------------------------------------- examples_per_class
@pytest.mark.parametrize("shape", SHAPES)
def test_examples_per_class(shape):
    n = 15
    y = np.array([i % 3 for i in range(n)])  # 0 1 2 0 1 2 ...
    x = np.stack([np.full((28, 28), i / n, np.float32) for i in range(n)])
    names = ("zero", "one", "two")
    fig = examples_per_class(SHAPES[shape](x), y, names, per_class=4, title="Classes")
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 12
    assert _suptitle(fig) == "Classes"
    axes = np.array(fig.axes).reshape(3, 4)
    for c in range(3):
        assert axes[c, 0].get_ylabel() == names[c]
        for j in range(4):
            _assert_gray(axes[c, j])
            # the j-th example of class c is image c + 3 j
            assert float(axes[c, j].images[0].get_array()[0, 0]) == pytest.approx((c + 3 * j) / n)


def test_examples_per_class_errors():
    x = unit_images(6)
    y = np.array([0, 1, 0, 1, 0, 0])
    with pytest.raises(ValueError, match=r"y must have shape \(6,\)"):
        examples_per_class(x, y[:5], ("a", "b"), per_class=2)
    with pytest.raises(ValueError, match=r"y must have shape"):
        examples_per_class(x, y.reshape(6, 1), ("a", "b"), per_class=2)
    with pytest.raises(ValueError, match="class 1 \\('b'\\) has only 2 examples"):
        examples_per_class(x, y, ("a", "b"), per_class=3)
    with pytest.raises(ValueError, match="class 2 \\('c'\\) has only 0"):
        examples_per_class(x, y, ("a", "b", "c"), per_class=2)
    with pytest.raises(TypeError):
        examples_per_class("images", y, ("a", "b"))


# --------------------------------------------------------------------------- plot_history
def _lines(fig):
    (ax,) = fig.axes
    return {line.get_label(): line for line in ax.get_lines()}


@pytest.fixture(scope="module")
def keras_history():
    return tiny_fit(epochs=2)


def test_plot_history_keras_history(keras_history):
    fig = plot_history(keras_history, title="Tiny model", ylabel="MSE")
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    lines = _lines(fig)
    assert set(lines) == {"loss", "val_loss"}
    assert list(lines["loss"].get_xdata()) == [1, 2]
    np.testing.assert_allclose(lines["loss"].get_ydata(), keras_history.history["loss"])
    np.testing.assert_allclose(lines["val_loss"].get_ydata(), keras_history.history["val_loss"])
    assert lines["loss"].get_linestyle() == "-"
    assert lines["val_loss"].get_linestyle() == "--"
    assert ax.get_title() == "Tiny model"
    assert ax.get_xlabel() == "epoch"
    assert ax.get_ylabel() == "MSE"
    assert ax.get_yscale() == "linear"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["loss", "val_loss"]


def test_plot_history_plain_dict_and_options():
    hist = {"loss": [0.5, 0.3, 0.2], "val_loss": np.array([0.6, 0.4, 0.35]), "mae": (1, 2, 3)}
    fig = plot_history(hist, logy=True)
    (ax,) = fig.axes
    lines = _lines(fig)
    assert set(lines) == {"loss", "val_loss"}
    assert list(lines["val_loss"].get_ydata()) == [0.6, 0.4, 0.35]
    assert ax.get_yscale() == "log"
    assert ax.get_title() == "Training curves" and ax.get_ylabel() == "loss"
    fig = plot_history(hist, keys=("mae",))
    assert list(_lines(fig)) == ["mae"]
    fig = plot_history({"loss": [0.4]}, keys=("loss",))
    assert _lines(fig)["loss"].get_marker() == "o"  # a single epoch is a dot


def test_plot_history_mapping_of_histories(keras_history):
    other = {"loss": [1.0, 0.9, 0.8], "val_loss": [1.1, 1.0, 0.95]}
    fig = plot_history({"dense": keras_history, "conv": other})
    lines = _lines(fig)
    assert set(lines) == {"dense loss", "dense val_loss", "conv loss", "conv val_loss"}
    assert len(lines["conv loss"].get_xdata()) == 3
    assert lines["dense loss"].get_color() == lines["dense val_loss"].get_color()
    assert lines["dense loss"].get_color() != lines["conv loss"].get_color()
    assert lines["conv val_loss"].get_linestyle() == "--"


def test_plot_history_into_given_axes():
    fig, (left, right) = plt.subplots(1, 2)
    out = plot_history({"loss": [1.0, 0.5]}, keys=("loss",), ax=right, title="Right")
    assert out is fig
    assert len(right.get_lines()) == 1 and len(left.get_lines()) == 0
    assert right.get_title() == "Right"


def test_plot_history_errors(keras_history):
    with pytest.raises(KeyError, match="has no 'val_loss'"):
        plot_history({"loss": [1.0, 0.5]})
    with pytest.raises(KeyError, match="'mae'"):
        plot_history({"run": keras_history}, keys=("loss", "mae"))
    with pytest.raises(ValueError, match="non-empty"):
        plot_history(42)
    with pytest.raises(TypeError, match="keras History or a dict"):
        plot_history({"a": 42})


def test_plot_history_empty_mapping_is_rejected():
    with pytest.raises(ValueError, match="non-empty"):
        plot_history({})


def test_examples_per_class_too_few_leaves_no_figure_open():
    x = unit_images(5)
    y = np.zeros(5, dtype=np.uint8)
    before = len(plt.get_fignums())
    with pytest.raises(ValueError, match="has only"):
        examples_per_class(x, y, ["a", "b"], per_class=2)
    assert len(plt.get_fignums()) == before


# --------------------------------------------------------------------------- autoencoder_diagram
@pytest.mark.parametrize("shape", SHAPES)
def test_autoencoder_diagram(shape):
    x, x_hat = SHAPES[shape](unit_images(2, seed=3))
    code = np.array([0.5, -1.0, 2.0, 0.0])
    fig = autoencoder_diagram(x, code, x_hat, title="Figure 1: anatomy")
    assert _suptitle(fig) == "Figure 1: anatomy"
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 2
    for ax, image in zip(shown, (x, x_hat), strict=True):
        _assert_gray(ax)
        np.testing.assert_array_equal(ax.images[0].get_array(), image.reshape(28, 28))
    (bars,) = [ax for ax in fig.axes if ax.patches and not ax.images and ax.get_xlabel()]
    assert [p.get_width() for p in bars.patches] == code.tolist()
    assert "4 numbers" in bars.get_xlabel()
    texts = " ".join(t.get_text() for ax in fig.axes for t in ax.texts)
    assert "encoder" in texts and "decoder" in texts and "trained together" in texts
    fig = autoencoder_diagram(x, code, x_hat, note="fitted by PCA")
    texts = " ".join(t.get_text() for ax in fig.axes for t in ax.texts)
    assert "fitted by PCA" in texts and "trained together" not in texts


def test_autoencoder_diagram_uint8_scale():
    x = (unit_images(1, seed=4)[0] * 255).astype(np.uint8)
    fig = autoencoder_diagram(x, np.ones(3), unit_images(1, seed=5)[0])
    first, second = (ax for ax in fig.axes if ax.images)
    _assert_gray(first, vmax=255.0)
    _assert_gray(second, vmax=1.0)


@pytest.mark.parametrize(
    ("code", "match"),
    [(np.ones((2, 2)), "1-D"), (np.array([]), "non-empty"), (np.array([1.0, np.nan]), "finite")],
)
def test_autoencoder_diagram_errors(code, match):
    x = unit_images(1)[0]
    before = len(plt.get_fignums())
    with pytest.raises(ValueError, match=match):
        autoencoder_diagram(x, code, x)
    with pytest.raises(ValueError, match="x must be"):
        autoencoder_diagram(np.ones(100), np.ones(2), x)
    assert len(plt.get_fignums()) == before


def test_image_grid_signed_is_centred_per_image():
    w = np.zeros((2, 28, 28))
    w[0, 0, 0], w[0, 1, 1] = 0.5, -0.25
    w[1, 2, 2] = -4.0
    fig = image_grid(w, ncols=2, cmap="RdBu_r", signed=True)
    first, second = (ax.images[0] for ax in fig.axes if ax.images)
    for im in (first, second):
        assert im.get_clim() == (-1.0, 1.0)
        assert im.get_cmap().name == "RdBu_r"
    assert first.get_array()[0, 0] == 1.0 and first.get_array()[1, 1] == -0.5
    assert second.get_array()[2, 2] == -1.0
    assert second.get_array()[0, 0] == 0.0  # zero stays at the centre of the map


def test_image_grid_signed_needs_a_diverging_map():
    with pytest.raises(ValueError, match="diverging"):
        image_grid(np.zeros((1, 28, 28)), signed=True)


# --------------------------------------------------------------------------- pixel scale (issue 27)
def _fig_count() -> int:
    return len(plt.get_fignums())


def _gray_calls():
    """Each helper that draws gray images on a fixed scale, given one array to draw."""
    return {
        "compare_rows": lambda x: compare_rows({"noisy": x}, n=2),
        "image_grid": lambda x: image_grid(x),
        "examples_per_class": lambda x: examples_per_class(x, np.zeros(len(x), int), ["a"], 2),
        "autoencoder_diagram": lambda x: autoencoder_diagram(x[0], np.ones(2), unit_images(1)[0]),
    }


@pytest.mark.parametrize("helper", _gray_calls())
def test_float_pixels_in_0_255_are_refused_with_the_fix(helper):
    x = unit_images(3) * 255  # float, not uint8: drawn on 0-1, every pixel would be white
    before = _fig_count()
    with pytest.raises(ValueError, match=r"0-255.*divide by 255") as caught:
        _gray_calls()[helper](x)
    assert "255" in str(caught.value) and ("noisy" in str(caught.value) or helper != "compare_rows")
    assert _fig_count() == before


@pytest.mark.parametrize("helper", _gray_calls())
def test_negative_pixels_are_refused_with_the_fix(helper):
    x = unit_images(3) - 0.5  # signed values: every negative would be drawn black
    with pytest.raises(ValueError, match=r"negative") as caught:
        _gray_calls()[helper](x)
    fix = "signed=True" if helper == "image_grid" else "np.clip"
    assert fix in str(caught.value)


@pytest.mark.parametrize("helper", _gray_calls())
def test_non_finite_pixels_are_refused(helper):
    x = unit_images(3)
    x[0, 3, 3] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        _gray_calls()[helper](x)


def test_pixel_scale_accepts_what_the_chapters_pass():
    # sigmoid outputs and clipped arrays in [0, 1], uint8 in 0-255, boolean masks
    compare_rows({"a": unit_images(2), "b": np.clip(unit_images(2) * 2 - 0.5, 0, 1)}, n=2)
    compare_rows({"u8": (unit_images(2) * 255).astype(np.uint8)}, n=2)
    image_grid(unit_images(2) > 0.5)
    image_grid(np.zeros((2, 28, 28)), cmap="viridis")  # autoscaled maps need no check
    image_grid(unit_images(2) * 255 - 100, cmap="viridis")


def test_image_grid_signed_empty_and_fractional_columns():
    # issue 27, item 11: numpy's "zero-size array" and matplotlib's errors before
    with pytest.raises(ValueError, match="at least one image"):
        image_grid(np.zeros((0, 28, 28)), cmap="RdBu_r", signed=True)
    with pytest.raises(TypeError, match=r"ncols must be a whole number, got 2\.5"):
        image_grid(unit_images(3), ncols=2.5)
    with pytest.raises(TypeError, match="n must be a whole number"):
        compare_rows({"a": unit_images(3)}, n=2.5)
    with pytest.raises(TypeError, match="per_class must be a whole number"):
        examples_per_class(unit_images(4), np.zeros(4, int), ["a"], per_class=1.5)
    with pytest.raises(TypeError, match="ncols must be a whole number"):
        image_grid(unit_images(3), ncols=True)
    assert len(image_grid(unit_images(3), ncols=np.int64(2)).axes) == 4
