"""Fixtures of the cases tests (defined in factories.py)."""

from .factories import calendar_2026, world  # noqa: F401
