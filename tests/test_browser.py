"""The built site as a reader's browser sees it: headless Chromium driven by Playwright.

The test builds the book into a temporary folder, serves it on localhost, and loads the index,
the other book pages and every chapter page (from the chapter manifest) in Chromium: Debian's
``chromium`` package, or the binary named by ``AEBOOK_CHROMIUM``, launched by Playwright for
Python (``executable_path``; Playwright's own browser download is never used). Per page it
checks: HTTP 200, no broken image, every formula rendered by MathJax and no raw ``$$`` left, a
Colab link to that notebook on ``main`` (chapter pages), that the page's internal links
resolve, and that nothing is requested from outside localhost. A screenshot of each page is
saved under ``artifacts/browser/``.

The site loads MathJax from a CDN, which CI cannot reach. The test serves those requests from
a local copy of the npm package ``mathjax@3`` instead (``AEBOOK_MATHJAX``, or the folder
``.ci/run`` fills: ``~/.cache/aebook/mathjax-3.2.2/package``), so what is checked is the real
MathJax rendering the real page. Without Chromium or MathJax the test is skipped locally and
fails in CI (``CI=true``).
"""

from __future__ import annotations

import mimetypes
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from aebook import manifest
from aebook.execute import read_repository

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts" / "browser"
CHAPTERS = [chapter.stem for chapter in manifest.load(ROOT)]
MATHJAX_CDN = re.compile(r"^https://cdn\.jsdelivr\.net/npm/mathjax@3/(.+)$")
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


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (required in CI; .ci/run installs it)")
    pytest.skip(reason)


def _chromium() -> str:
    for name in (os.environ.get("AEBOOK_CHROMIUM"), "chromium", "chromium-browser"):
        if name and shutil.which(name):
            return str(shutil.which(name))
    _unavailable("no Chromium: `apt-get install chromium`, or set AEBOOK_CHROMIUM")
    raise AssertionError  # unreachable


def _mathjax_dir() -> Path:
    configured = os.environ.get("AEBOOK_MATHJAX")
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    folder = Path(configured) if configured else cache / "aebook/mathjax-3.2.2/package"
    if not (folder / "es5" / "tex-mml-chtml.js").is_file():
        _unavailable(f"no local MathJax 3 at {folder} (see .ci/run, or set AEBOOK_MATHJAX)")
    return folder


class Offline:
    """Routes a browser context's requests: localhost passes, the MathJax CDN is served from
    the local copy, everything else is refused and remembered."""

    def __init__(self, mathjax: Path) -> None:
        self.mathjax = mathjax.resolve()
        self.refused: list[str] = []

    def __call__(self, route: Any) -> None:
        url = route.request.url
        host = urllib.parse.urlsplit(url).hostname
        if host in ("127.0.0.1", "localhost") or url.startswith(("data:", "blob:")):
            route.continue_()
            return
        match = MATHJAX_CDN.match(url.split("?")[0])
        path = (self.mathjax / match.group(1)).resolve() if match else None
        if path is not None and self.mathjax in path.parents and path.is_file():
            route.fulfill(
                status=200,
                body=path.read_bytes(),
                headers={
                    "Content-Type": mimetypes.guess_type(path.name)[0] or "application/javascript",
                    "Access-Control-Allow-Origin": "*",
                },
            )
            return
        self.refused.append(url)
        route.abort()


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


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
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


@pytest.fixture(scope="module")
def server(site: Path):
    handler = partial(QuietHandler, directory=str(site))
    httpd = QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a browser cancelling is fine
            super().handle_error(request, client_address)


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="module")
def browser():
    chromium = _chromium()
    mathjax = _mathjax_dir()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched, mathjax
        launched.close()


def _open_tab(browser: Any, **options: Any) -> tuple[Any, Any]:
    """A new browser context with ``options`` and the offline router, and a tab in it."""
    launched, mathjax = browser
    context = launched.new_context(**options)
    offline = Offline(mathjax)
    context.route("**/*", offline)
    tab = context.new_page()
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

    if name.startswith("notebooks/"):
        repo_url, branch = read_repository(ROOT / "_config.yml")
        owner_repo = repo_url.removeprefix("https://github.com/")
        colab = f"https://colab.research.google.com/github/{owner_repo}/blob/{branch}/{name}.ipynb"
        assert colab in report["links"], f"{name}: no Colab link {colab}"


# ------------------------------------------------------------------ interactive figures
#: Chapter 7's latent explorer and the weights its executor run exported.
EXPLORER_PAGE = "notebooks/07_variational"
EXPLORER_FILE = ROOT / "_static" / "widgets" / "07_variational.json"
READY = "() => { const w = window.aebookWidgets && window.aebookWidgets.latent; return !!(w && (w.ready || w.error)); }"
OUTPUT_PIXELS = """(title) => Array.from(document.querySelector(
    `canvas.aebook-output[data-panel="${title}"]`).getContext("2d")
    .getImageData(0, 0, 28, 28).data)"""


def _open_explorer(page: Any, server: str) -> dict:
    from aebook import widgets

    doc = widgets.load(EXPLORER_FILE)
    page.goto(f"{server}/{EXPLORER_PAGE}.html", wait_until="load", timeout=60_000)
    page.wait_for_function(READY, timeout=30_000)
    assert page.evaluate("window.aebookWidgets.latent.error") is None
    return doc


def _check_point(page: Any, title: str, panel: dict, box: dict, fx: float, fy: float) -> None:
    import numpy as np

    from aebook import widgets

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


def _open_pad(page: Any, server: str, stem: str = PADS[0]) -> dict:
    from aebook import widgets

    doc = widgets.load(ROOT / "_static" / "widgets" / f"{stem}.json")
    page.goto(f"{server}/notebooks/{stem}.html", wait_until="load", timeout=60_000)
    page.wait_for_function(PAD_READY, timeout=30_000)
    assert page.evaluate("window.aebookWidgets.drawing.error") is None
    return doc


def _check_drawing(page: Any, doc: dict) -> dict:
    """The pad's code, reconstruction, error and percentile against NumPy's, for its input."""
    import numpy as np

    from aebook import widgets

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


def test_drawing_pad_of_chapter_9(server: str, page: Any) -> None:
    import numpy as np

    doc = _open_pad(page, server, PADS[1])
    pad = page.locator("canvas.aebook-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 0.5 * box["width"], box["y"] + 0.2 * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + 0.5 * box["width"], box["y"] + 0.8 * box["height"], steps=10)
    page.mouse.up()
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
