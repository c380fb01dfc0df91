"""Fixtures shared by every app's tests: reference data, organisations, users by kind."""

from django.core.management import call_command

import pytest


@pytest.fixture
def reference_data(db):
    """Divisions, calendar and catalogue code tables, as `make run` loads them."""
    call_command("load_reference_data", verbosity=0)


@pytest.fixture
def make_user(db, django_user_model):
    def make(username: str, *, superuser: bool = False, **extra):
        user = django_user_model.objects.create_user(
            username=username, password="Zhengwu#2026", is_superuser=superuser, **extra
        )
        return user

    return make
