"""The built site as a reader's browser sees it: headless Chromium driven by Playwright.

The test builds the book into a temporary folder, serves it on localhost, and loads the index,
the other book pages and every chapter page (from the chapter manifest) in Chromium: Debian's
``chromium`` package, or the binary named by ``AEBOOK_CHROMIUM``, launched by Playwright for
Python (``executable_path``; Playwright's own browser download is never used). Per page it
checks: HTTP 200, no broken image, every formula rendered by MathJax and no raw ``$$`` left, a
Colab link to that notebook on ``main`` (chapter pages), that the page's internal links
resolve, that no request failed, and that nothing is requested from outside the site: every
such request is refused, as on a machine without internet. A screenshot of each page is saved
under ``artifacts/browser/``.

The site serves its own pinned MathJax (``booktools.mathjax`` fetches it into ``.mathjax/``;
``make test`` does that and installs Chromium). The pages with interactive figures are also
opened from disk (``file://``), where the figures and the formulas must work too. Without
Chromium or MathJax the test is skipped locally, saying how to enable it, and fails in CI
(``CI=true``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from booktools import manifest, mathjax, widgets
from booktools.repository import read_repository
from booktools.serve import QuietHandler

pytestmark = pytest.mark.slow  # a book build and a browser: out of the quick loop

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts" / "browser"
CHAPTERS = [chapter.stem for chapter in manifest.load(ROOT)]
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
#: Chromium's flags for a closed network: no background connections to Google's hosts.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


ENABLE = "run `make test`, which installs Chromium and fetches MathJax"


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (required in CI; .ci/run runs `make test`, which installs it)")
    pytest.skip(f"{reason}: {ENABLE}")


def _chromium() -> str:
    for name in (os.environ.get("AEBOOK_CHROMIUM"), "chromium", "chromium-browser"):
        if name and shutil.which(name):
            return str(shutil.which(name))
    _unavailable("no Chromium (Debian's `chromium`, or set AEBOOK_CHROMIUM)")
    raise AssertionError  # unreachable


def _check_mathjax() -> None:
    try:
        mathjax.check(ROOT)
    except mathjax.MathJaxError:
        _unavailable(f"no local MathJax {mathjax.VERSION} in {mathjax.FOLDER}/")


class Offline:
    """Routes a browser context's requests as a machine without internet would: the site
    (localhost, or files on disk) passes; everything else is refused and remembered."""

    def __init__(self) -> None:
        self.refused: list[str] = []
        self.failed: list[str] = []

    def __call__(self, route: Any) -> None:
        url = route.request.url
        host = urllib.parse.urlsplit(url).hostname
        local = host in ("127.0.0.1", "localhost") or url.startswith(("data:", "blob:", "file:"))
        if local:
            route.continue_()
            return
        self.refused.append(url)
        route.abort()

    def on_failed(self, request: Any) -> None:
        """A request of the site that failed (refused ones are counted in ``refused``)."""
        if request.url not in self.refused:
            self.failed.append(f"{request.url} ({request.failure})")


#: Run in the page once it has loaded: wait for MathJax and every image, then report.
INSPECT = """
(async () => {
  const images = [...document.images];
  images.forEach(img => { img.loading = "eager"; });
  await Promise.all(images.map(img => img.decode().catch(() => null)));
  let typeset = false;
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
    typeset = true;
  }
  const math = [...document.querySelectorAll("span.math, div.math")];
  return {
    images: images.map(img => ({src: img.currentSrc || img.src, width: img.naturalWidth})),
    typeset: typeset,
    mathjax: (document.querySelector("script[src*='tex-mml-chtml']") || {}).src || "",
    math: math.length,
    unrendered: math.filter(el => !el.querySelector("mjx-container")).length,
    rawDisplayMath: document.body.innerText.includes("$$"),
    links: [...document.querySelectorAll("a[href]")].map(a => a.href),
    anchors: [...document.querySelectorAll("a[href^='#']")]
      .map(a => a.getAttribute("href").slice(1))
      .filter(id => id && !document.getElementById(decodeURIComponent(id))),
  };
})()
"""


# ---------------------------------------------------------------------------------- fixtures
def _jupyter_book() -> str:
    beside = Path(sys.executable).with_name("jupyter-book")
    found = str(beside) if beside.is_file() else shutil.which("jupyter-book")
    assert found, "jupyter-book is not installed: python -m pip install -r requirements.txt"
    return found


#: Set to a site just built from this checkout (``_build/html``) to test it instead of
#: building one: ``AEBOOK_SITE=_build/html pytest tests/test_browser.py`` after ``make site``.
SITE_ENV = "AEBOOK_SITE"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _chromium()
    _check_mathjax()
    given = os.environ.get(SITE_ENV)
    if given:
        built = Path(given).resolve()
        assert (built / "index.html").is_file(), f"{SITE_ENV}={given}: no index.html there"
        newest = max(p.stat().st_mtime for p in (ROOT / "notebooks").glob("*.ipynb"))
        assert (built / "index.html").stat().st_mtime >= newest, (
            f"{SITE_ENV}={given} is older than the notebooks: rebuild it (`make site`)"
        )
        return built
    out = tmp_path_factory.mktemp("site")
    build = subprocess.run(
        [_jupyter_book(), "build", str(ROOT), "--path-output", str(out),
         "-W", "-n", "--keep-going"],
        capture_output=True,
        text=True,
        timeout=900,
    )  # fmt: skip
    assert build.returncode == 0, f"site build failed:\n{build.stdout[-4000:]}{build.stderr}"
    return out / "_build" / "html"


def _serve(site: Path, handler_class: type[SimpleHTTPRequestHandler]):
    httpd = QuietServer(("127.0.0.1", 0), partial(handler_class, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


@pytest.fixture(scope="module")
def server(site: Path):
    httpd, url = _serve(site, QuietHandler)
    yield url
    httpd.shutdown()


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a browser cancelling is fine
            super().handle_error(request, client_address)


#: How long the slow server holds back MathJax, in seconds.
MATHJAX_DELAY = 6.0


class SlowMathJaxHandler(QuietHandler):
    """Serves the site, but MathJax's script only after :data:`MATHJAX_DELAY` seconds, as a
    stalled connection would."""

    def do_GET(self) -> None:
        if self.path.split("?")[0].endswith("/mathjax/es5/tex-mml-chtml.js"):
            time.sleep(MATHJAX_DELAY)
        super().do_GET()


@pytest.fixture(scope="module")
def browser(bare_browser):
    """Chromium for the site's pages, which need the local MathJax too."""
    _check_mathjax()
    return bare_browser


def _open_tab(browser: Any, **options: Any) -> tuple[Any, Any]:
    """A new browser context with ``options`` and the offline router, and a tab in it."""
    context = browser.new_context(**options)
    offline = Offline()
    context.route("**/*", offline)
    tab = context.new_page()
    tab.on("requestfailed", offline.on_failed)
    tab.offline_router = offline
    return context, tab


@pytest.fixture
def page(browser):
    context, tab = _open_tab(browser, viewport={"width": 1280, "height": 900})
    yield tab
    context.close()


@pytest.fixture
def phone(browser):
    """A tab the size of a phone's screen, with touch."""
    context, tab = _open_tab(
        browser, viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True
    )
    yield tab
    context.close()


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


BOOK_PAGES = ["book/index", "book/setup", "book/teaching", "book/results", "book/glossary"]
PAGES = BOOK_PAGES + [f"notebooks/{stem}" for stem in CHAPTERS]


@pytest.mark.parametrize("name", PAGES)
def test_page_in_a_browser(name: str, server: str, page: Any) -> None:
    url = f"{server}/{name}.html"
    assert _status(url) == 200, url
    page.goto(url, wait_until="load", timeout=60_000)
    report = page.evaluate(INSPECT)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name.replace('/', '__')}.png"))

    broken = [img["src"] for img in report["images"] if img["width"] == 0]
    assert not broken, f"{name}: images that did not load: {broken}"
    assert not report["rawDisplayMath"], f"{name}: raw $$ left in the visible text"
    if report["math"]:
        assert report["typeset"], f"{name}: has formulas but MathJax did not run"
        assert report["unrendered"] == 0, f"{name}: {report['unrendered']} formulas unrendered"

    internal = {
        urllib.parse.urldefrag(link)[0] for link in report["links"] if link.startswith(server)
    }
    missing = [link for link in sorted(internal) if _status(link) != 200]
    assert not missing, f"{name}: internal links that do not resolve: {missing}"
    assert not report["anchors"], f"{name}: links to missing anchors {report['anchors']}"
    refused = page.offline_router.refused
    assert not refused, f"{name}: requests to hosts other than localhost: {refused}"
    assert not page.offline_router.failed, f"{name}: failed requests {page.offline_router.failed}"
    if report["math"]:
        assert report["mathjax"].startswith(f"{server}/_static/mathjax/"), report["mathjax"]

    if name.startswith("notebooks/"):
        repo_url, branch = read_repository(ROOT / "_config.yml")
        owner_repo = repo_url.removeprefix("https://github.com/")
        colab = f"https://colab.research.google.com/github/{owner_repo}/blob/{branch}/{name}.ipynb"
        assert colab in report["links"], f"{name}: no Colab link {colab}"


# ------------------------------------------------------------------ interactive figures
#: Chapter 7's latent explorer and the weights its executor run exported.
EXPLORER_PAGE = "notebooks/07_variational"
EXPLORER_FILE = ROOT / "_static" / "widgets" / "07_variational.js"
READY = "() => { const w = window.aebookWidgets && window.aebookWidgets.latent; return !!(w && (w.ready || w.error)); }"
OUTPUT_PIXELS = """(title) => Array.from(document.querySelector(
    `canvas.aebook-output[data-panel="${title}"]`).getContext("2d")
    .getImageData(0, 0, 28, 28).data)"""


def _open_explorer(page: Any, base: str) -> dict:
    """Open chapter 7 at ``base`` (a server's URL, or the site's ``file://`` URL)."""

    doc = widgets.load(EXPLORER_FILE)
    page.goto(f"{base}/{EXPLORER_PAGE}.html", wait_until="load", timeout=60_000)
    page.wait_for_function(READY, timeout=30_000)
    assert page.evaluate("window.aebookWidgets.latent.error") is None
    return doc


def _check_point(page: Any, title: str, panel: dict, box: dict, fx: float, fy: float) -> None:
    import numpy as np

    last = page.evaluate("window.aebookWidgets.latent.last")
    assert last["panel"] == title
    extent = panel["extent"]
    z = np.array(last["z"])
    wanted = np.array([(2 * fx - 1) * extent, (1 - 2 * fy) * extent])
    assert np.all(np.abs(z - wanted) <= 2 * extent / box["width"] * 2), (z, wanted)
    expected = widgets.forward(panel["layers"], z[None])[0]
    output = np.array(last["output"])
    assert np.max(np.abs(output - expected)) <= 1e-4, "the browser's decoder differs from NumPy's"
    drawn = np.array(page.evaluate(OUTPUT_PIXELS, title)).reshape(784, 4)[:, 0] / 255
    assert np.max(np.abs(drawn - expected)) <= 0.5 / 255 + 1e-6, "the canvas does not show it"


def test_latent_explorer_decodes_what_python_decodes(server: str, page: Any) -> None:
    doc = _open_explorer(page, server)
    assert set(doc["panels"]) == {"VAE", "plain autoencoder"}
    for title, panel in doc["panels"].items():
        plane = page.locator(f'canvas.aebook-plane[data-panel="{title}"]')
        plane.scroll_into_view_if_needed()
        box = plane.bounding_box()
        for fx, fy in [(0.5, 0.5), (0.2, 0.3), (0.8, 0.75), (0.35, 0.9), (0.97, 0.04)]:
            page.mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
            _check_point(page, title, panel, box, fx, fy)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator(".aebook-latent-explorer").screenshot(path=str(ARTIFACTS / "explorer.png"))
    assert not page.offline_router.refused


def test_latent_explorer_on_a_phone(server: str, phone: Any) -> None:
    doc = _open_explorer(phone, server)
    title = "VAE"
    plane = phone.locator(f'canvas.aebook-plane[data-panel="{title}"]')
    plane.scroll_into_view_if_needed()
    box = plane.bounding_box()
    assert max(phone.evaluate(CANVAS_EDGES)) <= 390, "a canvas runs past a phone's screen"
    for fx, fy in [(0.25, 0.25), (0.7, 0.6)]:
        phone.touchscreen.tap(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
        _check_point(phone, title, doc["panels"][title], box, fx, fy)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "explorer_phone.png"))
    assert not phone.offline_router.refused, phone.offline_router.refused


#: The chapters with a drawing pad (the first is the one drawn on in detail).
PADS = ["02_undercomplete", "09_applications"]
PAD_READY = "() => { const w = window.aebookWidgets && window.aebookWidgets.drawing; return !!(w && (w.ready || w.error)); }"
RECON_PIXELS = """() => Array.from(document.querySelector("canvas.aebook-recon")
    .getContext("2d").getImageData(0, 0, 28, 28).data)"""
PAD_PIXELS = RECON_PIXELS.replace("aebook-recon", "aebook-pad")
#: The right edge of every canvas of the widgets, in CSS pixels.
CANVAS_EDGES = """() => Array.from(document.querySelectorAll(
    ".aebook-latent-explorer canvas, .aebook-drawing-pad canvas"))
    .map(c => c.getBoundingClientRect().right)"""


def _open_pad(page: Any, base: str, stem: str = PADS[0]) -> dict:
    """Open a chapter with a drawing pad at ``base`` (a server's URL, or ``file://``)."""

    doc = widgets.load(ROOT / "_static" / "widgets" / f"{stem}.js")
    page.goto(f"{base}/notebooks/{stem}.html", wait_until="load", timeout=60_000)
    page.wait_for_function(PAD_READY, timeout=30_000)
    assert page.evaluate("window.aebookWidgets.drawing.error") is None
    return doc


def _check_drawing(page: Any, doc: dict) -> dict:
    """The pad's code, reconstruction, error and percentile against NumPy's, for its input."""
    import numpy as np

    state = page.evaluate("window.aebookWidgets.drawing")
    x = np.array(state["input"], dtype=np.float32)[None]
    assert x.sum() > 5, "the strokes left almost no ink"
    code = widgets.forward(doc["encoder"], x)
    output = widgets.forward(doc["decoder"], code)[0]
    assert np.max(np.abs(np.array(state["code"]) - code[0])) <= 1e-4
    assert np.max(np.abs(np.array(state["output"]) - output)) <= 1e-4
    mse = float(np.mean((x[0] - output) ** 2))
    assert abs(state["mse"] - mse) <= 1e-5
    percentile = 100 * np.searchsorted(doc["errors"], state["mse"], side="left") / doc["n_errors"]
    assert abs(state["percentile"] - percentile) < 1e-9
    drawn = np.array(page.evaluate(RECON_PIXELS)).reshape(784, 4)[:, 0] / 255
    assert np.max(np.abs(drawn - output)) <= 0.5 / 255 + 1e-6, "the canvas does not show it"
    pad = np.array(page.evaluate(PAD_PIXELS)).reshape(784, 4)[:, 0] / 255
    assert np.max(np.abs(pad - x[0])) <= 0.5 / 255 + 1e-6, "the pad does not show the input"
    return state


def _ink_centre(state: dict) -> tuple[float, float]:
    """The centre of mass of the pad's ink, as (column, row) of the 28x28 grid."""
    import numpy as np

    x = np.array(state["input"]).reshape(28, 28)
    rows, cols = np.mgrid[:28, :28]
    return float((x * cols).sum() / x.sum()), float((x * rows).sum() / x.sum())


def test_drawing_pad_matches_python(server: str, page: Any) -> None:
    doc = _open_pad(page, server)
    pad = page.locator("canvas.aebook-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()

    def at(fx: float, fy: float) -> tuple[float, float]:
        return box["x"] + fx * box["width"], box["y"] + fy * box["height"]

    # a "7": a bar across the top and a stroke down to the lower left
    page.mouse.move(*at(0.3, 0.25))
    page.mouse.down()
    for fx, fy in [(0.45, 0.25), (0.7, 0.25), (0.6, 0.45), (0.5, 0.65), (0.42, 0.8)]:
        page.mouse.move(*at(fx, fy), steps=6)
    page.mouse.up()
    seven = _check_drawing(page, doc)
    column, row = _ink_centre(seven)  # the 7's bar is up and its stroke leans left
    assert 12 < column < 18 and 9 < row < 14, (column, row)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator(".aebook-drawing-pad").screenshot(path=str(ARTIFACTS / "drawing_seven.png"))

    # not a digit: a filled box, whose error should be far higher than the 7's
    page.evaluate("window.aebookWidgets.drawing.clear()")
    for fy in (0.3, 0.4, 0.5, 0.6, 0.7):
        page.mouse.move(*at(0.25, fy))
        page.mouse.down()
        page.mouse.move(*at(0.75, fy), steps=8)
        page.mouse.up()
    box_state = _check_drawing(page, doc)
    page.locator(".aebook-drawing-pad").screenshot(path=str(ARTIFACTS / "drawing_box.png"))
    assert box_state["mse"] > seven["mse"]
    assert box_state["percentile"] > 95, "a filled box should look like few test digits"
    assert not page.offline_router.refused


def _draw_vertical_line(page: Any, top: float, bottom: float) -> None:
    """Drag the mouse down the middle of the pad, from ``top`` to ``bottom`` (fractions)."""
    pad = page.locator("canvas.aebook-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 0.5 * box["width"], box["y"] + top * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + 0.5 * box["width"], box["y"] + bottom * box["height"], steps=10)
    page.mouse.up()


def test_drawing_pad_of_chapter_9(server: str, page: Any) -> None:
    import numpy as np

    doc = _open_pad(page, server, PADS[1])
    _draw_vertical_line(page, 0.2, 0.8)
    state = _check_drawing(page, doc)
    # the ink lies where the pointer went: a vertical line down the middle of the grid
    ink = np.array(state["input"]).reshape(28, 28)
    column, row = _ink_centre(state)
    assert abs(column - 14) < 0.6 and abs(row - 14) < 1.0, (column, row)
    assert ink[6:22, 13:15].min() > 0.5 and ink[:, :11].max() == 0 and ink[:, 17:].max() == 0
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator(".aebook-drawing-pad").screenshot(path=str(ARTIFACTS / "drawing_ch9.png"))
    assert not page.offline_router.refused


def test_drawing_pad_on_a_phone(server: str, phone: Any) -> None:
    doc = _open_pad(phone, server)
    pad = phone.locator("canvas.aebook-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    assert max(phone.evaluate(CANVAS_EDGES)) <= 390, "a canvas runs past a phone's screen"
    for fy in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):  # a "1", tapped dot by dot
        phone.touchscreen.tap(box["x"] + 0.5 * box["width"], box["y"] + fy * box["height"])
    _check_drawing(phone, doc)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "drawing_phone.png"))
    assert not phone.offline_router.refused, phone.offline_router.refused


# ------------------------------------------------------------ from disk, and a slow MathJax
#: The pages with an interactive figure, and the name each figure's state has.
FIGURES = {EXPLORER_PAGE: "latent", **{f"notebooks/{stem}": "drawing" for stem in PADS}}


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_figure_pages_work_from_disk(name: str, site: Path, page: Any) -> None:
    """Opened as a file (``file://``), with the network refused, the formulas render and the
    figure computes what NumPy computes."""
    base = site.as_uri()
    page.goto(f"{base}/{name}.html", wait_until="load", timeout=60_000)
    report = page.evaluate(INSPECT)
    assert report["math"] and report["typeset"] and report["unrendered"] == 0, report
    assert report["mathjax"].startswith(f"{base}/_static/mathjax/"), report["mathjax"]
    assert not [img["src"] for img in report["images"] if img["width"] == 0]
    if FIGURES[name] == "latent":
        doc = _open_explorer(page, base)
        title = "VAE"
        plane = page.locator(f'canvas.aebook-plane[data-panel="{title}"]')
        plane.scroll_into_view_if_needed()
        box = plane.bounding_box()
        page.mouse.move(box["x"] + 0.3 * box["width"], box["y"] + 0.6 * box["height"])
        _check_point(page, title, doc["panels"][title], box, 0.3, 0.6)
    else:
        doc = _open_pad(page, base, name.split("/")[1])
        _draw_vertical_line(page, 0.25, 0.75)
        _check_drawing(page, doc)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"file__{name.replace('/', '__')}.png"))
    assert not page.offline_router.refused, page.offline_router.refused
    assert not page.offline_router.failed, page.offline_router.failed


def test_figures_do_not_wait_for_mathjax(site: Path, page: Any) -> None:
    """With MathJax's script stalled, chapter 7's figure is ready long before the formulas."""
    httpd, url = _serve(site, SlowMathJaxHandler)
    try:
        start = time.perf_counter()
        page.goto(f"{url}/{EXPLORER_PAGE}.html", wait_until="commit", timeout=60_000)
        page.wait_for_function(READY, timeout=30_000)
        ready = time.perf_counter() - start
        assert page.evaluate("window.aebookWidgets.latent.error") is None
        assert page.evaluate("!(window.MathJax && window.MathJax.version)"), (
            "MathJax had loaded before the figure was ready: the test proves nothing"
        )
        assert ready < MATHJAX_DELAY / 2, f"the figure took {ready:.1f} s"
        page.wait_for_function("!!(window.MathJax && window.MathJax.version)", timeout=60_000)
    finally:
        httpd.shutdown()


def test_a_missing_weights_file_shows_the_pages_own_words(site: Path, page: Any, tmp_path) -> None:
    """Without its weights file, chapter 7's figure says what the page's markup says, and why."""
    broken = tmp_path / "html"
    shutil.copytree(site, broken)
    (broken / "_static" / "widgets" / "07_variational.js").unlink()
    page.goto(f"{broken.as_uri()}/{EXPLORER_PAGE}.html", wait_until="load", timeout=60_000)
    page.wait_for_function(READY, timeout=30_000)
    error = page.evaluate("window.aebookWidgets.latent.error")
    assert "could not load ../_static/widgets/07_variational.js" in error
    text = page.locator(".aebook-latent-explorer").inner_text()
    assert text.startswith("The interactive figure could not load; Figure 7.4 above shows"), text


# ------------------------------------------------- the widgets on hand-made files (issue 27)
# These need Chromium only: the script and a weights file on a bare page, opened from disk.
WIDGET_PAGE = """<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="aebook-widgets.css"></head><body>
<div class="{cls}" data-src="w/{name}.js" data-fallback="FALLBACK"></div>
<script src="aebook-widgets.js"></script></body></html>"""
#: The element and the name of the state (window.aebookWidgets[...]) of each kind.
KINDS = {"latent explorer": ("aebook-latent-explorer", "latent"),
         "drawing pad": ("aebook-drawing-pad", "drawing")}  # fmt: skip


@pytest.fixture(scope="module")
def bare_browser():
    """Chromium, launched once per module (one Playwright at a time)."""
    chromium = _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _b64(values: Any, dtype: str) -> str:
    import base64

    import numpy as np

    return base64.b64encode(np.ascontiguousarray(values, dtype=dtype).tobytes()).decode()


def _dense(n_in: int, n_out: int, activation: str, seed: int) -> dict:
    import numpy as np

    rng = np.random.default_rng(seed)
    return {"shape": [n_in, n_out], "kernel": _b64(rng.normal(0, 0.3, (n_in, n_out)), "<f2"),
            "bias": _b64(rng.normal(0, 0.1, n_out), "<f2"), "activation": activation}  # fmt: skip


def _explorer_doc() -> dict:
    import numpy as np

    points = np.array([[0.0, 0.0], [1.0, -1.0], [-2.0, 2.0]])
    panels = {
        title: {"layers": [_dense(2, 8, "relu", seed), _dense(8, 784, "sigmoid", seed + 1)],
                "points": _b64(points * extent / 3, "<f2"), "extent": extent}
        for title, seed, extent in (("A", 0, 3.0), ("B", 2, 6.0))
    }  # fmt: skip
    return {"format": 1, "kind": "latent explorer", "code_sha256": "test", "n_points": 3,
            "labels": _b64([1, 2, 3], "u1"), "panels": panels}  # fmt: skip


def _pad_doc() -> dict:
    import numpy as np

    errors = np.sort(np.random.default_rng(5).uniform(0, 0.1, 50))
    return {"format": 1, "kind": "drawing pad", "code_sha256": "test",
            "encoder": [_dense(784, 6, "relu", 3)], "decoder": [_dense(6, 784, "sigmoid", 4)],
            "n_errors": 50, "errors": _b64(errors, "<f4")}  # fmt: skip


@pytest.fixture
def widget_page(bare_browser, tmp_path):
    """``open(doc)``: the widget for ``doc`` on a bare page, loaded; returns its state."""
    context, tab = _open_tab(bare_browser, viewport={"width": 1280, "height": 900})
    opened = []

    def open_(doc: dict) -> dict:
        cls, name = KINDS[doc["kind"]]
        folder = tmp_path / f"page{len(opened)}"
        (folder / "w").mkdir(parents=True)
        for asset in ("aebook-widgets.js", "aebook-widgets.css"):
            shutil.copy(ROOT / "_static" / asset, folder / asset)
        (folder / "w" / f"{name}.js").write_text(widgets.script_text(name, doc), "utf-8")
        (folder / "index.html").write_text(WIDGET_PAGE.format(cls=cls, name=name), "utf-8")
        opened.append(folder / "w" / f"{name}.js")
        tab.goto((folder / "index.html").as_uri(), wait_until="load", timeout=60_000)
        tab.wait_for_function(
            f"() => {{ const w = window.aebookWidgets && window.aebookWidgets.{name};"
            " return !!(w && (w.ready || w.error)); }",
            timeout=30_000,
        )
        return tab.evaluate(f"window.aebookWidgets.{name}")

    open_.page = tab
    open_.files = opened
    yield open_
    assert not tab.offline_router.refused
    context.close()


def test_the_widgets_build_from_good_hand_made_files(widget_page) -> None:
    for doc in (_explorer_doc(), _pad_doc()):
        state = widget_page(doc)
        assert state["error"] is None and state["ready"] is True
        assert widgets.load(widget_page.files[-1])  # and Python accepts them too


def _nan_kernel(shape: tuple[int, int]) -> str:
    import numpy as np

    kernel = np.full(shape, 0.1)
    kernel[0, 3] = np.nan
    return _b64(kernel, "<f2")


def _edit(doc: dict, path: str, value: Any) -> dict:
    *parents, last = path.split("/")
    node: Any = doc
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    node[int(last) if isinstance(node, list) else last] = value
    return doc


#: Files the page built and called "ready" with NaN outputs, or froze on (issue 27, item 17).
BROKEN_FILES = {
    "last layer 32 x 30,000,000": (
        "latent explorer",
        "panels/A/layers",
        [_dense(2, 32, "relu", 0), {**_dense(32, 784, "sigmoid", 1), "shape": [32, 30_000_000]}],
        "more than 4000000 weights",
    ),
    "last layer not 784": (
        "latent explorer", "panels/B/layers/1", _dense(8, 10, "sigmoid", 1), "gives 10 numbers",
    ),
    "kernel shorter than declared": (
        "latent explorer", "panels/A/layers/0/shape", [2, 9], "declared size",
    ),
    "n_points 30,000,000": ("latent explorer", "n_points", 30_000_000, "n_points"),
    "NaN weight": (
        "latent explorer", "panels/A/layers/0/kernel", _nan_kernel((2, 8)), "NaN",
    ),
    "NaN point": (
        "latent explorer", "panels/B/points", _b64([[0, 0], [float("nan"), 1], [2, 2]], "<f2"),
        "NaN",
    ),
    "extent zero": ("latent explorer", "panels/A/extent", 0, "extent"),
    "pad: NaN weight": ("drawing pad", "decoder/0/kernel", _nan_kernel((6, 784)), "NaN"),
    "pad: code sizes differ": ("drawing pad", "decoder/0", _dense(5, 784, "sigmoid", 4),
                               "takes 5 numbers but receives 6"),
    "pad: errors unsorted": ("drawing pad", "errors", _b64([0.3] + [0.1] * 49, "<f4"), "sorted"),
    "pad: fewer errors than declared": ("drawing pad", "n_errors", 5000, "declared size"),
}  # fmt: skip


@pytest.mark.parametrize("case", BROKEN_FILES)
def test_the_widgets_refuse_inconsistent_files_and_show_the_fallback(widget_page, case) -> None:
    kind, path, value, message = BROKEN_FILES[case]
    doc = _edit(_explorer_doc() if kind == "latent explorer" else _pad_doc(), path, value)
    state = widget_page(doc)
    assert state["ready"] is False
    assert message in (state["error"] or ""), state["error"]
    text = widget_page.page.locator(f".{KINDS[kind][0]}").inner_text()
    assert text.startswith("FALLBACK ("), text
    with pytest.raises(widgets.WidgetError):  # Python's reader refuses them too
        widgets.load(widget_page.files[-1])


def test_each_explorer_panel_keeps_its_own_keyboard_position(widget_page) -> None:
    """Arrow keys move from where that panel was, not from the origin (issue 27, item 19)."""
    import numpy as np

    doc = widgets.load(_write_and_open(widget_page, _explorer_doc()))
    page = widget_page.page

    def press(title: str, key: str, times: int = 1) -> dict:
        page.locator(f'canvas.aebook-plane[data-panel="{title}"]').focus()
        for _ in range(times):
            page.keyboard.press(key)
        return page.evaluate("window.aebookWidgets.latent.last")

    step_a, step_b = 3.0 / 30, 6.0 / 30
    assert np.allclose(press("A", "ArrowRight", 3)["z"], [3 * step_a, 0])
    assert np.allclose(press("B", "ArrowUp")["z"], [0, step_b])
    last = press("A", "ArrowRight")
    assert last["panel"] == "A" and np.allclose(last["z"], [4 * step_a, 0]), last["z"]
    last = press("B", "ArrowLeft")
    assert last["panel"] == "B" and np.allclose(last["z"], [-step_b, step_b]), last["z"]
    expected = widgets.forward(doc["panels"]["B"]["layers"], np.array([last["z"]]))[0]
    assert np.max(np.abs(np.array(last["output"]) - expected)) <= 1e-4


def _write_and_open(widget_page, doc: dict) -> Path:
    state = widget_page(doc)
    assert state["ready"], state["error"]
    return widget_page.files[-1]


def test_the_drawing_pad_draws_by_keyboard(widget_page) -> None:
    import numpy as np

    doc = widgets.load(_write_and_open(widget_page, _pad_doc()))
    page = widget_page.page
    page.locator("canvas.aebook-pad").focus()
    keys = ["Space", *["ArrowDown"] * 8, "Space", *["ArrowRight"] * 5, "Space",
            *["ArrowUp"] * 4, "Escape"]  # fmt: skip
    for key in keys:
        page.keyboard.press(key)
    state = _check_drawing(page, doc)  # code, reconstruction and error as NumPy's
    ink = np.array(state["input"]).reshape(28, 28)
    assert ink[14:23, 14].min() > 0.5, "the first stroke: down from the centre"
    assert ink[18:23, 19].min() > 0.5, "the second stroke: up, five pixels to the right"
    assert ink[:10].max() == 0 and ink[:, 23:].max() == 0 and ink[14, 19] < 0.1
    assert ink[14:23, 17].max() < 0.1, "the pen was lifted between the strokes"
    assert page.evaluate("window.aebookWidgets.drawing.pen") == {
        "col": 19,
        "row": 18,
        "down": False,
    }
    assert page.locator(".aebook-cursor").is_visible()
    page.keyboard.press("Delete")
    assert sum(page.evaluate("window.aebookWidgets.drawing.input")) == 0


@pytest.mark.parametrize(
    "path", sorted((ROOT / "_static" / "widgets").glob("*.js")), ids=lambda p: p.name
)
def test_the_committed_weights_pass_the_pages_checks(widget_page, path: Path) -> None:
    """The book's own files stay within the page's limits and build (without the site)."""
    import numpy as np

    state = widget_page(widgets.read_document(path))
    assert state["ready"] is True and state["error"] is None, state["error"]
    doc = widgets.load(path)
    if doc["kind"] == "latent explorer":
        last = state["last"]  # each panel shows the origin's image once built
        expected = widgets.forward(doc["panels"][last["panel"]]["layers"], np.zeros((1, 2)))[0]
        assert np.max(np.abs(np.array(last["output"]) - expected)) <= 1e-4
    else:
        expected = widgets.forward(
            doc["decoder"], widgets.forward(doc["encoder"], np.zeros((1, 784)))
        )
        assert np.max(np.abs(np.array(state["output"]) - expected[0])) <= 1e-4


def test_the_pointer_still_draws_and_explores_on_the_bare_page(widget_page) -> None:
    """The pad's new wrapper and the panels' own positions leave the pointer paths as they were."""
    doc = widgets.load(_write_and_open(widget_page, _explorer_doc()))
    page = widget_page.page
    for title in ("A", "B"):
        box = page.locator(f'canvas.aebook-plane[data-panel="{title}"]').bounding_box()
        page.mouse.move(box["x"] + 0.3 * box["width"], box["y"] + 0.6 * box["height"])
        _check_point(page, title, doc["panels"][title], box, 0.3, 0.6)
    doc = widgets.load(_write_and_open(widget_page, _pad_doc()))
    _draw_vertical_line(page, 0.2, 0.8)
    _check_drawing(page, doc)
