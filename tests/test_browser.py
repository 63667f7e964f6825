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


@pytest.fixture
def page(browser):
    launched, mathjax = browser
    context = launched.new_context(viewport={"width": 1280, "height": 900})
    offline = Offline(mathjax)
    context.route("**/*", offline)
    tab = context.new_page()
    tab.offline_router = offline
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
