"""Sphinx extension: the site serves its own MathJax instead of loading it from a CDN.

Listed under ``sphinx.local_extensions`` in ``_config.yml``. When the build starts it checks
the pinned copy that :mod:`booktools.mathjax` fetched into ``.mathjax/`` and stops with a
message saying how to fetch it if it is missing; it then adds the copy to ``html_extra_path``
(so it lands in the site as ``_static/mathjax/``) and points ``mathjax_path`` at it.

It must not go through ``html_static_path``: Jupyter Book links every ``.js`` file it finds
there into every page, and MathJax's hundreds of lazily loaded components would all load.
"""

from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ExtensionError

from . import mathjax
from .jsontypes import JsonObject


def _configure(app: Sphinx, config: Config) -> None:
    root = Path(app.confdir)
    try:
        folder = mathjax.check(root)
    except mathjax.MathJaxError as exc:
        raise ExtensionError(str(exc)) from exc
    extra = folder.relative_to(root).as_posix()
    if extra not in config.html_extra_path:
        config.html_extra_path = [*config.html_extra_path, extra]
    config.mathjax_path = mathjax.ENTRY


def setup(app: Sphinx) -> JsonObject:
    app.connect("config-inited", _configure)
    return {"version": mathjax.VERSION, "parallel_read_safe": True, "parallel_write_safe": True}
