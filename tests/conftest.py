"""Test-suite guards shared by the unit, hygiene and notebook (nbval) tests."""

from __future__ import annotations

import os

import pytest

from aebook.profile import SMOKE_ENV, is_smoke


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Refuse to run the notebooks under nbval in the full profile by accident.

    The full profile trains for many minutes per chapter; the test suite runs the smoke
    profile. Set ``AEBOOK_NBVAL_FULL=1`` to run the full profile under nbval on purpose.
    """
    notebooks = [item for item in items if str(item.fspath).endswith(".ipynb")]
    if notebooks and not is_smoke() and os.environ.get("AEBOOK_NBVAL_FULL") != "1":
        raise pytest.UsageError(
            f"nbval would run {len({str(i.fspath) for i in notebooks})} notebook(s) in the full "
            f"profile. Run the tests as the README says: {SMOKE_ENV}=1 python -m pytest "
            "(or set AEBOOK_NBVAL_FULL=1 to run the full profile on purpose)."
        )
