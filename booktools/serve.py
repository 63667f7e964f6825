"""Serve the built site on localhost, as ``make book`` does after building it.

::

    python -m booktools.serve                 # _build/html on http://127.0.0.1:8000/
    python -m booktools.serve --port 8080

The site also works opened from disk (``file://``); serving it is what a website does, and
it is how the browser tests see it. If the port is taken, the next free one is used, and the
address printed is the one that works. Only this machine can connect (``127.0.0.1``).
"""

from __future__ import annotations

import argparse
import errno
import sys
from collections.abc import Sequence
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

__all__ = ["SITE", "QuietHandler", "SiteError", "make_server"]

#: The built site, relative to the repository's root.
SITE = Path("_build") / "html"
#: How many ports after the requested one are tried when it is taken.
TRIES = 20


class SiteError(RuntimeError):
    """The site is not built, or no port could be opened."""


class QuietHandler(SimpleHTTPRequestHandler):
    """Serves a folder without a log line per request (which would bury the address)."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        pass


def make_server(
    site: str | Path = SITE, port: int = 8000, host: str = "127.0.0.1"
) -> ThreadingHTTPServer:
    """A server for ``site`` on ``port`` or, if that is taken, the next free port."""
    site = Path(site)
    if not (site / "index.html").is_file():
        raise SiteError(
            f"no built site in {site}: build it first with `make book` (or "
            "`jupyter-book build . -W -n --keep-going`)"
        )
    handler = partial(QuietHandler, directory=str(site))
    for candidate in range(port, port + TRIES):
        try:
            return ThreadingHTTPServer((host, candidate), handler)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
    raise SiteError(f"ports {port} to {port + TRIES - 1} are all taken: pass --port")


def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m booktools.serve", description=__doc__)
    parser.add_argument("site", nargs="?", default=str(SITE), help=f"default {SITE}")
    parser.add_argument("--port", type=int, default=8000, help="first port to try (8000)")
    args = parser.parse_args(argv)
    try:
        server = make_server(args.site, args.port)
    except SiteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    port = server.server_address[1]
    index = (Path(args.site) / "index.html").resolve().as_uri()
    print(f"\nThe book is at http://127.0.0.1:{port}/  (Ctrl-C stops the server)")
    print(f"Without a server, open {index}\n", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(_main())
