"""The book's toolchain: what builds, checks and publishes the book, as opposed to what a
reader's chapters import (the library :mod:`aebook`).

Nothing here is installed by the chapters' Colab cell, and :mod:`aebook` never imports it
(``tests/test_structure.py`` checks both). It runs from the repository's root in the
project's environment (``make book``, ``make test``; see ``Makefile``):

- :mod:`booktools.execute`: run chapters in a fresh kernel and stamp them
  (:mod:`booktools.stamp`), after re-syncing their Colab cell (:mod:`booktools.repository`);
- :mod:`booktools.manifest`: ``book/chapters.yml`` and the checks of a chapter's records
  (:mod:`booktools.records` reads them out of a notebook) and targets;
- :mod:`booktools.results`: the generated pages (the results page and the chapter tables);
- :mod:`booktools.widgets`: the site's weights files for the interactive figures;
- :mod:`booktools.atomic`: file writes that a crash never leaves half done;
- :mod:`booktools.mathjax` and :mod:`booktools.sphinx_mathjax`: the pinned MathJax that the
  site serves itself, so formulas render offline;
- :mod:`booktools.serve`: serve the built site on localhost;
- :mod:`booktools.system`: the system programs the tests need (Graphviz, Chromium).
"""
