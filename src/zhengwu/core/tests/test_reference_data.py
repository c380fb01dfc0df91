"""``load_reference_data`` runs core's loaders, then every app's ``reference.py``."""

import sys
from io import StringIO

from django.core.management import call_command

import pytest

from zhengwu.core.management.commands.load_reference_data import reference_module
from zhengwu.core.models import CalendarYear, Division
from zhengwu.core.services import load_reference_data

pytestmark = pytest.mark.django_db


def test_core_loaders_are_idempotent():
    first = load_reference_data()
    second = load_reference_data()

    assert first["divisions"].created == 115
    assert first["calendar_years"].created == 23
    assert second["divisions"].unchanged == 115
    assert second["calendar_years"].unchanged == 23
    assert Division.objects.count() == 115
    assert CalendarYear.objects.filter(is_complete=True).count() == 23


def test_command_runs_core_and_other_apps_twice_without_change():
    first, second = StringIO(), StringIO()

    call_command("load_reference_data", stdout=first)
    call_command("load_reference_data", stdout=second)

    assert "core.divisions: created 115" in first.getvalue()
    assert "core.divisions: created 0, updated 0, unchanged 115" in second.getvalue()
    assert "core.calendar_years: created 0, updated 0, unchanged 23" in (
        second.getvalue()
    )


def test_app_without_reference_module_is_skipped():
    assert reference_module("zhengwu.core") is None


def test_broken_reference_module_is_not_mistaken_for_a_missing_one(tmp_path):
    # given an app whose reference module imports something missing
    package = tmp_path / "brokenapp"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "reference.py").write_text("import no_such_dependency_xyz\n")
    sys.path.insert(0, str(tmp_path))
    try:
        # then the real error surfaces
        with pytest.raises(ModuleNotFoundError, match="no_such_dependency_xyz"):
            reference_module("brokenapp")
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("brokenapp", None)
        sys.modules.pop("brokenapp.reference", None)
