"""Settings come only from ``ZHENGWU_*`` variables and fail fast, naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

import pytest

from zhengwu.conf.env import as_bool, as_database, as_int, as_list, env

SRC_DIR = Path(__file__).resolve().parents[3]


def test_required_variable_missing_names_it():
    with pytest.raises(ImproperlyConfigured, match="ZHENGWU_SECRET_KEY is required"):
        env("SECRET_KEY", environ={})


def test_empty_value_counts_as_missing():
    with pytest.raises(ImproperlyConfigured, match="ZHENGWU_SECRET_KEY"):
        env("SECRET_KEY", environ={"ZHENGWU_SECRET_KEY": ""})


def test_default_is_used_when_unset_and_string_defaults_are_cast():
    assert env("AUDIT_SEAL_SECONDS", default=5, cast=as_int, environ={}) == 5
    assert env("AUDIT_SEAL_SECONDS", default="7", cast=as_int, environ={}) == 7


@pytest.mark.parametrize("raw", ["abc", "5s", "1.5", " "])
def test_non_integer_int_variable_names_it(raw):
    # given
    environ = {"ZHENGWU_AUDIT_SEAL_SECONDS": raw}

    # when / then
    with pytest.raises(ImproperlyConfigured) as error:
        env("AUDIT_SEAL_SECONDS", default=5, cast=as_int, environ=environ)
    assert "ZHENGWU_AUDIT_SEAL_SECONDS" in str(error.value)
    assert repr(raw) in str(error.value)


def test_integer_variable_is_parsed():
    environ = {"ZHENGWU_AUDIT_SEAL_SECONDS": " 12 "}
    assert env("AUDIT_SEAL_SECONDS", default=5, cast=as_int, environ=environ) == 12


@pytest.mark.parametrize(
    "url",
    [
        "mysql://user@host/db",
        "postgres://postgres@127.0.0.1:notaport/zhengwu",
        "postgres://postgres@127.0.0.1:5432/",
        "sqlite://",
        "not a url",
    ],
)
def test_malformed_database_url_names_the_variable(url):
    # when / then
    with pytest.raises(ImproperlyConfigured) as error:
        env(
            "DATABASE_URL",
            default="sqlite:///x.sqlite3",
            cast=as_database,
            environ={"ZHENGWU_DATABASE_URL": url},
        )
    assert "ZHENGWU_DATABASE_URL" in str(error.value)


def test_postgres_url_is_parsed():
    # given
    url = "postgres://user:p%40ss@db.example:6543/zhengwu?sslmode=require"

    # when
    config = as_database(url)

    # then
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["USER"], config["PASSWORD"]) == ("user", "p@ss")
    assert (config["HOST"], config["PORT"], config["NAME"]) == (
        "db.example",
        "6543",
        "zhengwu",
    )
    assert config["OPTIONS"] == {"sslmode": "require"}


def test_sqlite_url_relative_path():
    assert as_database("sqlite:///var/db.sqlite3")["NAME"] == "var/db.sqlite3"


def test_sqlite_url_absolute_path():
    assert as_database("sqlite:////srv/db.sqlite3")["NAME"] == "/srv/db.sqlite3"


def test_bool_and_list_casts():
    assert as_bool("Yes") is True
    assert as_bool("off") is False
    with pytest.raises(ValueError, match="true/false"):
        as_bool("maybe")
    assert as_list("a, b,,c ") == ["a", "b", "c"]
    with pytest.raises(ImproperlyConfigured, match="ZHENGWU_DEBUG"):
        env("DEBUG", default=False, cast=as_bool, environ={"ZHENGWU_DEBUG": "maybe"})


def _import_settings(**variables: str) -> subprocess.CompletedProcess[str]:
    """Import the base settings in a fresh interpreter with only ``variables`` set."""
    environ = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(SRC_DIR),
        **variables,
    }
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import zhengwu.conf.base as s; print(s.SECRET_KEY)"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_secret_key_is_required_outside_debug():
    # when the settings load with debug off and no secret key
    result = _import_settings(ZHENGWU_DEBUG="false")

    # then start-up fails naming the variable
    assert result.returncode != 0
    assert "ZHENGWU_SECRET_KEY" in result.stderr


def test_secret_key_from_the_environment_is_used():
    result = _import_settings(ZHENGWU_DEBUG="false", ZHENGWU_SECRET_KEY="k" * 50)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "k" * 50


def test_debug_runs_without_a_secret_key():
    result = _import_settings(ZHENGWU_DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


def test_malformed_int_setting_stops_start_up_naming_it():
    result = _import_settings(ZHENGWU_DEBUG="true", ZHENGWU_AUDIT_SEAL_SECONDS="five")
    assert result.returncode != 0
    assert "ZHENGWU_AUDIT_SEAL_SECONDS" in result.stderr
