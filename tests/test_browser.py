"""The built site as a reader's browser sees it: headless Chromium over the DevTools protocol.

The test builds the book into a temporary folder, serves it on localhost, and loads the index,
the other book pages and every chapter page in Chromium (Debian's ``chromium`` package, or the binary named
by ``AEBOOK_CHROMIUM``). Per page it checks: HTTP 200, no broken image, every formula
rendered by MathJax and no raw ``$$`` left, a Colab link to that notebook on ``main`` (chapter
pages), and that the page's internal links resolve. A screenshot of each page is saved under
``artifacts/browser/``.

The site loads MathJax from a CDN, which CI cannot reach. The test serves those requests from
a local copy of the npm package ``mathjax@3`` instead (``AEBOOK_MATHJAX``, or the folder
``.ci/run`` fills: ``~/.cache/aebook/mathjax-3.2.2/package``), so what is checked is the real
MathJax rendering the real page. Without Chromium or MathJax the test is skipped locally and
fails in CI (``CI=true``).
"""

from __future__ import annotations

import base64
import json
import mimetypes
import os
import re
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

from aebook.execute import read_repository

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts" / "browser"
CHAPTERS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
MATHJAX_CDN = re.compile(r"^https://cdn\.jsdelivr\.net/npm/mathjax@3/(.+)$")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


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


# ------------------------------------------------------------------------ the DevTools client
class Chromium:
    """A headless Chromium with one page, driven over the Chrome DevTools protocol."""

    def __init__(self, binary: str, profile: Path, mathjax: Path) -> None:
        import websocket  # websocket-client, pinned in requirements.txt

        self.mathjax = mathjax
        self.proc = subprocess.Popen(
            [
                binary,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--hide-scrollbars",
                "--window-size=1280,900",
                "--remote-debugging-port=0",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        port = self._devtools_port(profile)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as r:
            page = next(t for t in json.load(r) if t["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60)
        self.next_id = 0
        self.events: list[dict[str, Any]] = []
        self.call("Page.enable")
        self.call("Fetch.enable", patterns=[{"urlPattern": "https://cdn.jsdelivr.net/*"}])

    def _devtools_port(self, profile: Path) -> int:
        marker = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if marker.is_file() and marker.read_text().strip():
                return int(marker.read_text().split()[0])
            if self.proc.poll() is not None:
                raise RuntimeError(f"Chromium exited: {self.proc.stderr.read()[-2000:]}")
            time.sleep(0.1)
        raise RuntimeError("Chromium did not open its DevTools port within 60 s")

    def _send(self, method: str, **params: Any) -> int:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        return self.next_id

    def _handle(self, message: dict[str, Any]) -> None:
        """Serve the CDN's MathJax files from the local copy; queue other events."""
        if message.get("method") != "Fetch.requestPaused":
            self.events.append(message)
            return
        params = message["params"]
        match = MATHJAX_CDN.match(params["request"]["url"].split("?")[0])
        path = (self.mathjax / match.group(1)).resolve() if match else None
        if path is None or self.mathjax.resolve() not in path.parents or not path.is_file():
            self._send("Fetch.failRequest", requestId=params["requestId"], errorReason="Failed")
            return
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        self._send(
            "Fetch.fulfillRequest",
            requestId=params["requestId"],
            responseCode=200,
            responseHeaders=[
                {"name": "Content-Type", "value": kind},
                {"name": "Access-Control-Allow-Origin", "value": "*"},
            ],
            body=base64.b64encode(path.read_bytes()).decode(),
        )

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        wanted = self._send(method, **params)
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == wanted:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self._handle(message)

    def wait_for(self, event: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for i, message in enumerate(self.events):
                if message.get("method") == event:
                    del self.events[: i + 1]
                    return
            message = json.loads(self.ws.recv())
            if "method" in message:
                self._handle(message)
        raise TimeoutError(f"no {event} within {timeout} s")

    def open(self, url: str) -> None:
        self.events.clear()
        self.call("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path) -> None:
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=False)
        path.write_bytes(base64.b64decode(data["data"]))

    def close(self) -> None:
        try:
            self.ws.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


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
def browser(tmp_path_factory: pytest.TempPathFactory):
    chromium = Chromium(_chromium(), tmp_path_factory.mktemp("chromium"), _mathjax_dir())
    yield chromium
    chromium.close()


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


BOOK_PAGES = ["book/index", "book/setup", "book/teaching", "book/results", "book/glossary"]
PAGES = BOOK_PAGES + [f"notebooks/{stem}" for stem in CHAPTERS]


@pytest.mark.parametrize("page", PAGES)
def test_page_in_a_browser(page: str, server: str, browser: Chromium) -> None:
    url = f"{server}/{page}.html"
    assert _status(url) == 200, url
    browser.open(url)
    report = browser.evaluate(INSPECT)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.screenshot(ARTIFACTS / f"{page.replace('/', '__')}.png")

    broken = [img["src"] for img in report["images"] if img["width"] == 0]
    assert not broken, f"{page}: images that did not load: {broken}"
    assert not report["rawDisplayMath"], f"{page}: raw $$ left in the visible text"
    if report["math"]:
        assert report["typeset"], f"{page}: has formulas but MathJax did not run"
        assert report["unrendered"] == 0, f"{page}: {report['unrendered']} formulas unrendered"

    internal = {
        urllib.parse.urldefrag(link)[0] for link in report["links"] if link.startswith(server)
    }
    missing = [link for link in sorted(internal) if _status(link) != 200]
    assert not missing, f"{page}: internal links that do not resolve: {missing}"
    assert not report["anchors"], f"{page}: links to missing anchors {report['anchors']}"

    if page.startswith("notebooks/"):
        repo_url, branch = read_repository(ROOT / "_config.yml")
        owner_repo = repo_url.removeprefix("https://github.com/")
        colab = f"https://colab.research.google.com/github/{owner_repo}/blob/{branch}/{page}.ipynb"
        assert colab in report["links"], f"{page}: no Colab link {colab}"


def test_every_chapter_is_checked() -> None:
    assert len(CHAPTERS) >= 8 and all(f"notebooks/{c}" in PAGES for c in CHAPTERS)
