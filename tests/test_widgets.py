"""aebook.widgets: the exported decoders of the site's interactive figures, and their freshness."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from aebook import widgets
from booktools import widgets as site_widgets
from booktools.stamp import stamp_of

ROOT = Path(__file__).resolve().parents[1]
EXPORTS = sorted((ROOT / "_static" / "widgets").glob("*.js"))


def _decoder(hidden: int = 16, out_activation: str = "sigmoid", seed: int = 0):
    import keras

    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input(shape=(2,)),
            keras.layers.Dense(hidden, activation="relu"),
            keras.layers.Dense(784, activation=out_activation),
        ]
    )


def _export(tmp_path, monkeypatch, **overrides):
    monkeypatch.setenv(widgets.CODE_ENV, "abc123")
    monkeypatch.setenv(widgets.DIR_ENV, str(tmp_path / "w"))
    rng = np.random.default_rng(0)
    args = dict(
        decoders={"A": _decoder(), "B": _decoder(seed=1)},
        points={"A": rng.normal(size=(50, 2)), "B": rng.normal(size=(50, 2)) * 5},
        labels=rng.integers(0, 10, size=50),
        extents={"A": 3.0, "B": 12.0},
    )
    args.update(overrides)
    widgets.export_latent_explorer("demo", **args)
    published = site_widgets.publish(tmp_path / "w", tmp_path / "site")
    assert published == [tmp_path / "site" / "demo.js"]
    return published[0], args


def test_export_needs_the_executor(monkeypatch, capsys):
    monkeypatch.delenv(widgets.CODE_ENV, raising=False)
    monkeypatch.delenv(widgets.DIR_ENV, raising=False)
    widgets.export_latent_explorer("x", {}, {}, np.zeros(0), {})
    assert "only by the book's executor" in capsys.readouterr().out


def test_export_load_and_forward_round_trip(tmp_path, monkeypatch):
    path, args = _export(tmp_path, monkeypatch)
    doc = site_widgets.load(path)
    assert doc["code_sha256"] == "abc123" and doc["n_points"] == 50
    assert np.array_equal(doc["labels"], args["labels"].astype(np.uint8))
    z = np.array([[0.0, 0.0], [1.5, -2.0], [-3.0, 3.0]], dtype=np.float32)
    for title, model in args["decoders"].items():
        panel = doc["panels"][title]
        assert panel["extent"] == args["extents"][title]
        assert np.allclose(panel["points"], args["points"][title], atol=5e-3 * 6)
        # the stored weights are the model's rounded to float16, and nothing else
        for layer, keras_layer in zip(panel["layers"], model.layers, strict=True):
            kernel = keras_layer.get_weights()[0]
            assert np.array_equal(layer["kernel"], kernel.astype(np.float16).astype(np.float32))
        expected = model.predict(z, verbose=0)
        assert np.max(np.abs(site_widgets.forward(panel["layers"], z) - expected)) < 5e-3


def test_export_refuses_what_the_browser_cannot_run(tmp_path, monkeypatch):
    import keras

    conv = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Reshape((2, 1))])
    with pytest.raises(widgets.WidgetError, match="Dense layers only"):
        _export(tmp_path, monkeypatch, decoders={"A": conv, "B": _decoder()})
    with pytest.raises(widgets.WidgetError, match="activation 'tanh'"):
        _export(
            tmp_path, monkeypatch, decoders={"A": _decoder(out_activation="tanh"), "B": _decoder()}
        )
    with pytest.raises(widgets.WidgetError, match="same panels"):
        _export(tmp_path, monkeypatch, extents={"A": 3.0})
    with pytest.raises(widgets.WidgetError, match=r"\(n, 2\)"):
        _export(tmp_path, monkeypatch, labels=np.zeros(10))


def test_drawing_pad_export_round_trip(tmp_path, monkeypatch):
    import keras

    monkeypatch.setenv(widgets.CODE_ENV, "def456")
    monkeypatch.setenv(widgets.DIR_ENV, str(tmp_path))
    keras.utils.set_random_seed(0)
    encoder = keras.Sequential(
        [keras.Input(shape=(784,)), keras.layers.Dense(8, activation="relu")]
    )
    decoder = keras.Sequential(
        [keras.Input(shape=(8,)), keras.layers.Dense(784, activation="sigmoid")]
    )
    errors = np.random.default_rng(0).uniform(0, 0.05, size=100)
    widgets.export_drawing_pad("pad", encoder, decoder, errors)
    assert [p.name for p in tmp_path.iterdir()] == ["pad.json"]  # staged for the executor
    (path,) = site_widgets.publish(tmp_path, tmp_path / "site")
    doc = site_widgets.load(path)
    assert doc["kind"] == "drawing pad" and doc["code_sha256"] == "def456"
    assert np.array_equal(doc["errors"], np.sort(errors.astype(np.float32)))
    x = np.random.default_rng(1).uniform(size=(3, 784)).astype(np.float32)
    expected = decoder.predict(encoder.predict(x, verbose=0), verbose=0)
    got = site_widgets.forward(doc["decoder"], site_widgets.forward(doc["encoder"], x))
    assert np.max(np.abs(got - expected)) < 5e-3
    with pytest.raises(widgets.WidgetError, match="784"):
        widgets.export_drawing_pad("pad", decoder, encoder, errors)
    with pytest.raises(widgets.WidgetError, match="non-negative"):
        widgets.export_drawing_pad("pad", encoder, decoder, np.array([-1.0]))


def test_load_refuses_another_format(tmp_path):
    path = tmp_path / "x.js"
    path.write_text(site_widgets.script_text("x", {"format": 99}), encoding="utf-8")
    with pytest.raises(widgets.WidgetError, match="format 99"):
        site_widgets.load(path)


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"format": 1}', "not a widget file"),  # the old JSON files
        ("/* x */\nwindow.x = {};\n{};\n", "not a widget file"),
        (None, "malformed"),
    ],
)
def test_read_document_refuses_what_is_not_a_widget_file(tmp_path, text, message):
    path = tmp_path / "w.js"
    if text is None:  # the right wrapper around broken JSON
        text = site_widgets.script_text("w", {"a": 1}).replace('{"a":1}', '{"a":')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(widgets.WidgetError, match=message):
        site_widgets.read_document(path)


def test_a_widget_file_must_be_named_after_its_key(tmp_path):
    path = tmp_path / "other.js"
    path.write_text(site_widgets.script_text("w", {"format": 1}), encoding="utf-8")
    with pytest.raises(widgets.WidgetError, match="not a widget file for 'other'"):
        site_widgets.read_document(path)
    with pytest.raises(widgets.WidgetError, match="letters, digits"):
        site_widgets.script_text('x"];alert(1);//', {})


def test_every_widget_page_has_its_file():
    """Each figure's ``data-src`` names a committed export, and each export has its figure."""
    named = set()
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        text = notebook.read_text(encoding="utf-8")
        named |= set(re.findall(r'data-src=\\"\.\./_static/widgets/([\w-]+\.js)\\"', text))
    assert named == {p.name for p in EXPORTS}


@pytest.mark.parametrize("path", EXPORTS, ids=[p.name for p in EXPORTS])
def test_committed_exports_are_fresh_and_small(path: Path):
    notebook = ROOT / "notebooks" / f"{path.stem}.ipynb"
    assert notebook.is_file(), f"{path.name} belongs to no chapter"
    stamp = stamp_of(json.loads(notebook.read_text(encoding="utf-8")))
    doc = site_widgets.load(path)
    assert doc["code_sha256"] == stamp["code_sha256"], (
        f"{path.name} was exported by another version of {notebook.name}: re-execute it with "
        "`python -m booktools.execute`"
    )
    # float16 weights in base64: two 200,000-parameter decoders and their codes, 1.2 MB
    assert path.stat().st_size < 1_500_000, f"{path.name} is {path.stat().st_size:,} bytes"
    assert f"_static/widgets/{path.name}" in notebook.read_text(encoding="utf-8")


def test_the_browser_reads_the_format_and_activations_python_writes():
    """The script's FORMAT and its table of activations are aebook.widgets' own."""
    script = (ROOT / "_static" / "aebook-widgets.js").read_text(encoding="utf-8")
    assert int(re.search(r"var FORMAT = (\d+);", script)[1]) == widgets.FORMAT
    table = re.search(r"var ACTIVATIONS = \{(.*?)\n  \};", script, flags=re.S)[1]
    assert tuple(re.findall(r"^\s*(\w+): function", table, flags=re.M)) == widgets.ACTIVATIONS


def test_an_export_name_cannot_leave_the_staging_folder(tmp_path, monkeypatch):
    monkeypatch.setenv(widgets.CODE_ENV, "abc123")
    monkeypatch.setenv(widgets.DIR_ENV, str(tmp_path / "w"))
    rng = np.random.default_rng(0)
    with pytest.raises(widgets.WidgetError, match="letters, digits"):
        widgets.export_latent_explorer(
            "../escape", {"A": _decoder()}, {"A": rng.normal(size=(5, 2))},
            rng.integers(0, 10, size=5), {"A": 3.0},
        )  # fmt: skip
    assert not list(tmp_path.rglob("*.json"))


# --------------------------------------------------------------------------- issue 27, item 4
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"extents": {"A": float("nan"), "B": 12.0}}, r"extents\['A'\].*finite"),
        ({"extents": {"A": float("inf"), "B": 12.0}}, r"extents\['A'\].*finite"),
        ({"extents": {"A": -3.0, "B": 12.0}}, r"extents\['A'\].*positive"),
        ({"extents": {"A": 0.0, "B": 12.0}}, r"extents\['A'\].*positive"),
        ({"extents": {"A": "3", "B": 12.0}}, r"extents\['A'\].*number"),
    ],
)
def test_export_refuses_a_bad_extent(tmp_path, monkeypatch, overrides, message):
    with pytest.raises(widgets.WidgetError, match=message):
        _export(tmp_path, monkeypatch, **overrides)
    assert not list(tmp_path.rglob("*.json"))


def test_export_refuses_points_float16_cannot_hold(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    big = rng.normal(size=(50, 2))
    big[7] = [1e6, 0.0]  # float16 tops out at 65504: this would become inf
    with pytest.raises(widgets.WidgetError, match=r"points\['B'\].*float16"):
        _export(tmp_path, monkeypatch, points={"A": rng.normal(size=(50, 2)), "B": big})
    big[7] = [np.nan, 0.0]
    with pytest.raises(widgets.WidgetError, match=r"points\['B'\].*finite"):
        _export(tmp_path, monkeypatch, points={"A": rng.normal(size=(50, 2)), "B": big})
    assert not list(tmp_path.rglob("*.json"))


@pytest.mark.parametrize(
    "labels",
    [
        np.r_[np.zeros(49, int), 300],  # would wrap to 44 in uint8
        np.r_[np.zeros(49, int), -1],  # would wrap to 255
        np.r_[np.zeros(49), 2.5],  # would be truncated to 2
    ],
    ids=["300", "-1", "2.5"],
)
def test_export_refuses_labels_a_byte_cannot_hold(tmp_path, monkeypatch, labels):
    with pytest.raises(widgets.WidgetError, match=r"labels.*0 to 255"):
        _export(tmp_path, monkeypatch, labels=labels)
    assert not list(tmp_path.rglob("*.json"))


def test_export_writes_strict_json(tmp_path, monkeypatch):
    """No bare NaN or Infinity reaches the file, whatever slips past the checks."""
    monkeypatch.setenv(widgets.CODE_ENV, "abc123")
    with pytest.raises(widgets.WidgetError, match="NaN or infinite"):
        widgets._write(tmp_path, "w", {"extent": float("nan")})
    assert not list(tmp_path.iterdir())
    with pytest.raises(widgets.WidgetError, match="NaN or infinite"):
        site_widgets.script_text("w", {"extent": float("inf")})


# --------------------------------------------------------------------------- issue 27, items 5, 13
def _layer(n_in: int, n_out: int, activation: str = "relu", fill: float = 0.5) -> dict:
    return {
        "shape": [n_in, n_out],
        "kernel": widgets._b64(np.full((n_in, n_out), fill), "<f2"),
        "bias": widgets._b64(np.zeros(n_out), "<f2"),
        "activation": activation,
    }


def _pad_doc() -> dict:
    return {
        "format": widgets.FORMAT,
        "kind": "drawing pad",
        "code_sha256": "abc",
        "encoder": [_layer(784, 4)],
        "decoder": [_layer(4, 784, "sigmoid")],
        "n_errors": 3,
        "errors": widgets._b64(np.array([0.01, 0.02, 0.03]), "<f4"),
    }


def _explorer_doc() -> dict:
    return {
        "format": widgets.FORMAT,
        "kind": "latent explorer",
        "code_sha256": "abc",
        "n_points": 3,
        "labels": widgets._b64(np.array([0, 1, 2]), "u1"),
        "panels": {
            "A": {
                "layers": [_layer(2, 8), _layer(8, 784, "sigmoid")],
                "points": widgets._b64(np.zeros((3, 2)), "<f2"),
                "extent": 3.0,
            }
        },
    }


def _write_doc(tmp_path, doc) -> Path:
    path = tmp_path / "w.js"
    text = f"{site_widgets._HEADER}\n{site_widgets._ASSIGN.format(name='w')}\n"
    path.write_text(text + json.dumps(doc) + ";\n", encoding="utf-8")
    return path


def test_the_hand_built_documents_load(tmp_path):
    pad = site_widgets.load(_write_doc(tmp_path, _pad_doc()))
    assert pad["decoder"][0]["kernel"].shape == (4, 784)
    explorer = site_widgets.load(_write_doc(tmp_path, _explorer_doc()))
    assert explorer["panels"]["A"]["points"].shape == (3, 2)


def _nan_f2(shape) -> str:
    a = np.full(shape, 0.5)
    a.flat[0] = np.nan
    return widgets._b64(a, "<f2")


def _set(doc: dict, path: str, value) -> dict:
    *parents, last = path.split("/")
    node = doc
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is _DELETE:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return doc


_DELETE = object()

PAD_BREAKAGES = {
    # item 5: values the page would run with and give wrong results
    "NaN weight": ("decoder/0/kernel", _nan_f2((4, 784)), r"decoder\[0\]\.kernel.*finite"),
    "infinite bias": (
        "encoder/0/bias",
        widgets._b64(np.array([np.inf, 0, 0, 0]), "<f2"),
        r"encoder\[0\]\.bias.*finite",
    ),
    "NaN error": (
        "errors",
        widgets._b64(np.array([0.01, np.nan, 0.03]), "<f4"),
        r"errors.*finite",
    ),
    "unsorted errors": (
        "errors",
        widgets._b64(np.array([0.03, 0.01, 0.02]), "<f4"),
        r"errors.*sorted",
    ),
    "sizes do not chain": ("decoder/0", _layer(5, 784, "sigmoid"), r"decoder\[0\].*5.*4"),
    "empty encoder": ("encoder", [], r"encoder.*at least one layer"),
    # item 13: malformed files that raised Python's own errors
    "missing key": ("n_errors", _DELETE, r"n_errors.*missing"),
    "integer kernel": ("encoder/0/kernel", 5, r"encoder\[0\]\.kernel.*base64 text"),
    "non-ASCII kernel": (  # the right length, one character not ASCII
        "encoder/0/kernel",
        "é" + _layer(784, 4)["kernel"][1:],
        r"encoder\[0\]\.kernel.*not valid base64",
    ),
    "bad padding": ("encoder/0/bias", "AAAAAAAAAA=A", r"encoder\[0\]\.bias.*not valid base64"),
    "short kernel": ("encoder/0/kernel", "AAAA", r"encoder\[0\]\.kernel.*expected 3,136"),
    "string shape": ("encoder/0/shape", "784x4", r"encoder\[0\]\.shape.*two positive"),
    "negative shape": ("encoder/0/shape", [-784, -4], r"encoder\[0\]\.shape.*two positive"),
    "boolean count": ("n_errors", True, r"n_errors.*whole number"),
    "layer not an object": ("decoder/0", "dense", r"decoder\[0\].*object"),
    "unknown activation": ("decoder/0/activation", "tanh", r"decoder\[0\].*activation 'tanh'"),
}


@pytest.mark.parametrize("breakage", PAD_BREAKAGES)
def test_load_refuses_a_broken_drawing_pad_naming_the_field(tmp_path, breakage):
    field, value, message = PAD_BREAKAGES[breakage]
    path = _write_doc(tmp_path, _set(_pad_doc(), field, value))
    with pytest.raises(widgets.WidgetError, match=message) as caught:
        site_widgets.load(path)
    assert str(path) in str(caught.value)


EXPLORER_BREAKAGES = {
    "negative extent": ("panels/A/extent", -3.0, r"panels\['A'\]\.extent.*positive"),
    "string extent": ("panels/A/extent", "3", r"panels\['A'\]\.extent.*number"),
    "NaN point": ("panels/A/points", _nan_f2((3, 2)), r"panels\['A'\]\.points.*finite"),
    "empty layers": ("panels/A/layers", [], r"panels\['A'\]\.layers.*at least one layer"),
    "wrong input size": (
        "panels/A/layers/0",
        _layer(3, 8),
        r"panels\['A'\]\.layers\[0\].*takes 3.*2",
    ),
    "wrong output size": (
        "panels/A/layers/1",
        _layer(8, 10, "sigmoid"),
        r"panels\['A'\]\.layers\[1\].*gives 10.*784",
    ),
    "panels a list": ("panels", [], r"panels.*object"),
    "negative count": ("n_points", -3, r"n_points.*whole number"),
    "huge count": ("n_points", 30_000_000, r"labels.*30000000"),
}


@pytest.mark.parametrize("breakage", EXPLORER_BREAKAGES)
def test_load_refuses_a_broken_latent_explorer_naming_the_field(tmp_path, breakage):
    field, value, message = EXPLORER_BREAKAGES[breakage]
    path = _write_doc(tmp_path, _set(_explorer_doc(), field, value))
    with pytest.raises(widgets.WidgetError, match=message):
        site_widgets.load(path)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("[1, 2]", "not a JSON object"),
        ("[" * 5000 + "]" * 5000, "nested too deeply"),
        ('{"format": NaN}', "NaN"),
        ('{"format": true, "kind": "drawing pad"}', "format"),
    ],
    ids=["list", "deep", "NaN", "format true"],
)
def test_load_refuses_malformed_documents(tmp_path, payload, message):
    path = tmp_path / "w.js"
    text = f"{site_widgets._HEADER}\n{site_widgets._ASSIGN.format(name='w')}\n{payload};\n"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(widgets.WidgetError, match=message):
        site_widgets.load(path)


def test_load_refuses_a_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "w.js"
    path.write_bytes(b"\xff\xfe not text")
    with pytest.raises(widgets.WidgetError, match="UTF-8"):
        site_widgets.load(path)
