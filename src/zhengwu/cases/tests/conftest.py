"""Fixtures of the cases tests (defined in factories.py)."""

import pytest  # noqa: E402

from .factories import calendar_2026, world  # noqa: F401


@pytest.fixture(autouse=True)
def _fresh_intake_rules():
    """Each test sees its own listings at the asynchronous path's door."""
    from zhengwu.cases.intake import clear_intake_rules

    clear_intake_rules()
    yield
    clear_intake_rules()
