"""The book's toolchain: what builds, serves and checks the book, as opposed to what a reader's
chapters import (the library :mod:`aebook`).

Nothing here is installed by the chapters' Colab cell, and :mod:`aebook` never imports it.
The two commands of README's Quick start (``make book`` and ``make test``, see ``Makefile``)
call these modules from the project's virtual environment, with the repository's root as the
working folder:

- :mod:`booktools.mathjax`: fetch the pinned MathJax into ``.mathjax/`` (hash-checked), so
  the site renders its formulas without a CDN;
- :mod:`booktools.sphinx_mathjax`: the Sphinx extension that points the site at that copy;
- :mod:`booktools.serve`: serve the built site on localhost;
- :mod:`booktools.system`: the system programs the tests need (Graphviz, Chromium).
"""
