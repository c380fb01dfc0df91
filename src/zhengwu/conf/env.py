"""The one typed reader of ``ZHENGWU_*`` environment variables.

Every setting the platform takes from its environment goes through :func:`env`, so a
missing or malformed value fails at start-up with the variable's name and the reason.
docs/configuration.md lists every variable.
"""

import os
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_UNSET: Any = object()
PREFIX = "ZHENGWU_"


def env(
    name: str,
    *,
    default: Any = _UNSET,
    cast: Callable[[str], Any] = str,
    environ: dict[str, str] | None = None,
) -> Any:
    """Return ``ZHENGWU_<name>`` cast to its type, or ``default`` when unset (a string
    default is cast like a value from the environment).

    Raises ImproperlyConfigured naming the variable when it is required and missing,
    or when ``cast`` rejects its value.
    """
    source = environ if environ is not None else os.environ
    key = f"{PREFIX}{name}"
    raw = source.get(key)
    if raw is None or raw == "":
        if default is _UNSET:
            raise ImproperlyConfigured(f"environment variable {key} is required")
        if not isinstance(default, str) or cast is str:
            return default
        raw = default
    try:
        return cast(raw)
    except (TypeError, ValueError) as error:
        raise ImproperlyConfigured(
            f"environment variable {key} has a malformed value: {error}"
        ) from error


def as_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"expected true/false, got {raw!r}")


def as_int(raw: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise ValueError(f"expected an integer, got {raw!r}") from None


def as_list(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


_ENGINES = {
    "sqlite": "django.db.backends.sqlite3",
    "postgres": "django.db.backends.postgresql",
    "postgresql": "django.db.backends.postgresql",
}


def as_database(raw: str) -> dict[str, Any]:
    """Parse ``sqlite:///path`` or ``postgres://user:pass@host:port/name?opt=v``."""
    parts = urlsplit(raw)
    engine = _ENGINES.get(parts.scheme)
    if engine is None:
        raise ValueError(
            f"unsupported scheme {parts.scheme!r}; use sqlite:/// or postgres://"
        )
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        if raw.startswith("sqlite:////"):
            name = "/" + path.lstrip("/")
        else:
            name = path.lstrip("/")
        if not name:
            raise ValueError(
                "sqlite URL needs a file path, e.g. sqlite:///var/db.sqlite3"
            )
        return {
            "ENGINE": engine,
            "NAME": name,
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"
                    "PRAGMA busy_timeout=20000;"
                ),
            },
        }
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise ValueError("postgres URL needs a database name")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("postgres URL has a malformed port") from None
    return {
        "ENGINE": engine,
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(port or ""),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": dict(parse_qsl(parts.query)),
    }
