"""Shared set-up of the cases benchmarks (bench/cases_load.py, bench/cases_inbox.py):
a fresh UTF-8 PostgreSQL database, the 2026 working-day calendar, departments with
published listings open for online application, citizens with API access tokens,
and reviewers. Not a test module: nothing here is collected by ``make bench``."""

from __future__ import annotations

import datetime
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

PG = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qAt", "-v", "ON_ERROR_STOP=1"]
# Keys shared by the set-up process and the server (person records are encrypted
# and blind-indexed with them); fixed so a benchmark database can be re-used.
BENCH_ENV = {
    "ZHENGWU_SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789",
    "ZHENGWU_FIELD_ENCRYPTION_KEY": "0123456789abcdef0123456789abcdef",
    "ZHENGWU_BLIND_INDEX_KEY": "fedcba9876543210fedcba9876543210",
    "ZHENGWU_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
}

# A small application form: what a typical online item asks for besides the
# applicant's identity (which comes from the account).
FORM_SCHEMA = {
    "type": "object",
    "title": "申请表",
    "required": ["contact_name", "contact_mobile", "purpose"],
    "properties": {
        "contact_name": {"type": "string", "title": "联系人", "maxLength": 50},
        "contact_mobile": {
            "type": "string",
            "title": "联系电话",
            "pattern": "^1[3-9][0-9]{9}$",
        },
        "purpose": {"type": "string", "title": "申请事由", "maxLength": 200},
        "copies": {"type": "integer", "title": "份数", "minimum": 1, "maximum": 10},
    },
}


def database_url(name: str) -> str:
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def psql(sql: str, database: str = "postgres") -> str:
    return subprocess.run(
        [*PG, "-d", database, "-c", sql], check=True, capture_output=True, text=True
    ).stdout


def create_database(name: str) -> None:
    """A fresh database like .ci/run makes (UTF-8, C.UTF-8 collation and ctype)."""
    psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    psql(
        f"CREATE DATABASE {name} ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' "
        "LC_CTYPE 'C.UTF-8' TEMPLATE template0"
    )


def drop_database(name: str) -> None:
    psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def django_setup(name: str, settings: str = "zhengwu.conf.ci") -> None:
    """Django in this process on database ``name`` (test settings: fast password
    hashing for the set-up; the keys match the server's)."""
    os.environ["DJANGO_SETTINGS_MODULE"] = settings
    os.environ["ZHENGWU_DATABASE_URL"] = database_url(name)
    for key, value in BENCH_ENV.items():
        os.environ[key] = value
    import django

    django.setup()


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed_calendar() -> None:
    from zhengwu.cases.tests.factories import seed_calendar_2026

    seed_calendar_2026()


def departments(count: int) -> list:
    """``count`` departments spread over the test divisions (cities and districts)."""
    from zhengwu.identity.tests.staff_factories import DIVISIONS, organisation

    codes = [code for code, (_n, level, _p) in DIVISIONS.items() if level != "province"]
    return [
        organisation(f"压测部门{i:03d}", codes[i % len(codes)]) for i in range(count)
    ]


def open_listings(orgs: list, per_org: int) -> list[str]:
    """Published listings open online with no necessary material to upload (the
    API application carries the form only), each with a handling configuration
    (its form schema, the single-department process)."""
    from zhengwu.cases.models import HandlingConfig
    from zhengwu.cases.tests.factories import published_listing
    from zhengwu.catalog.tests.factories import complete_guide

    codes = []
    for org in orgs:
        for _ in range(per_org):
            code = published_listing(org, guide=complete_guide(materials=[]))
            HandlingConfig.objects.create(listing_code=code, form_schema=FORM_SCHEMA)
            codes.append(code)
    return codes


def citizens(count: int) -> list:
    """``count`` verified citizens (L2) with their users."""
    from zhengwu.identity.tests.person_factories import make_citizen

    surnames, given = (
        "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗",
        "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平",
    )
    return [
        make_citizen(f"{surnames[i % 20]}{given[i // 20 % 20]}{given[i % 17]}")
        for i in range(count)
    ]


def api_tokens(users: list, *, minutes: int = 120) -> list[str]:
    """An access token with the ``api`` scope for each user, issued to one
    registered client (what a mobile app holds after the SSO code flow)."""
    from django.utils import timezone

    from oauth2_provider.models import (
        AccessToken,
        Application,
        set_token_value,  # type: ignore[attr-defined]
    )

    from zhengwu.identity.tests.oidc_support import register

    application = Application.objects.filter(name="压测移动端").first()
    if application is None:  # registered once per database
        application = register(
            "压测移动端", "https://app.example.gov.cn/cb", scopes=("openid", "api")
        ).application
    expires = timezone.now() + datetime.timedelta(minutes=minutes)
    tokens = []
    for user in users:
        raw = secrets.token_urlsafe(30)
        token = AccessToken(
            user=user,
            application=application,
            scope="openid api",
            expires=expires,
        )
        set_token_value(token, raw)
        token.save()
        tokens.append(raw)
    return tokens


def reviewer(name: str, orgs: list):
    from zhengwu.identity.constants import StaffRole
    from zhengwu.identity.tests.staff_factories import staff_user

    return staff_user(name, *[(org, StaffRole.REVIEWER) for org in orgs])


def machine() -> str:
    """One line about this machine for bench/RESULTS.md."""
    model = "?"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as meminfo:
        total_kb = int(meminfo.readline().split()[1])
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} CPU ({model}), {total_kb / 1024 / 1024:.0f} GiB RAM, "
        f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
    )


def percentile(samples: list[float], fraction: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def wsgi_application():
    """The WSGI application with every module the API needs imported, for
    ``gunicorn --preload 'cases_seed:wsgi_application()'``: the master imports once
    and the workers fork warm (the first request otherwise imports the URLconf and
    the API in each worker, several seconds under load)."""
    from django.core.wsgi import get_wsgi_application
    from django.db import connections
    from django.urls import get_resolver

    application = get_wsgi_application()
    get_resolver().url_patterns  # noqa: B018  (imports every URL module)
    connections.close_all()
    return application
