"""Fixtures of the licences tests (defined in factories.py)."""

from .factories import licence_world  # noqa: F401
