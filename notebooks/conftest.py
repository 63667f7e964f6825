"""pytest's guard for the chapters: nbval runs them in the smoke profile, never by accident.

This file sits beside the notebooks so that it applies however they are collected: the
whole suite (``AEBOOK_SMOKE=1 python -m pytest``) or one chapter
(``AEBOOK_SMOKE=1 python -m pytest notebooks/01_introduction.ipynb``).
"""

from __future__ import annotations

import os

import pytest
from aebook.profile import SMOKE_ENV, is_smoke

SKIP_REASON = "the Colab set-up cell (tagged nbval-skip): it runs only in Colab"


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Refuse to run notebooks in the full profile, or with an unreadable AEBOOK_SMOKE.

    The full profile trains for minutes per chapter; the tests use the smoke profile. Set
    ``AEBOOK_NBVAL_FULL=1`` to run the full profile under nbval on purpose.
    """
    notebooks = sorted(
        {str(i.fspath) for i in items if str(i.fspath).endswith(".ipynb")}
    )
    for item in items:  # minutes in all: left out of the quick loop, -m "not slow"
        if str(item.fspath).endswith(".ipynb"):
            item.add_marker(pytest.mark.slow)
            tags = getattr(item, "cell", {}).get("metadata", {}).get("tags", [])
            if "nbval-skip" in tags:  # nbval would skip it without saying why
                item.add_marker(pytest.mark.skip(reason=SKIP_REASON))
    if not notebooks:
        return
    try:
        smoke = is_smoke()
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    if not smoke and os.environ.get("AEBOOK_NBVAL_FULL") != "1":
        raise pytest.UsageError(
            f"nbval would run {len(notebooks)} notebook(s) in the full profile, which takes "
            f"minutes each. Run the tests as the README says (`make test`, which runs "
            f"{SMOKE_ENV}=1 python -m pytest) "
            "(or set AEBOOK_NBVAL_FULL=1 to run the full profile on purpose)."
        )
