"""Factories and fixtures of the cases tests: the 2026 calendar, two departments
with a published listing each, citizens, reviewers and a counter clerk. Test
modules import the fixtures they use from here."""

from __future__ import annotations

import datetime
import io
import itertools
import zipfile
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

import factory
import pytest

from zhengwu.cases.constants import CaseStatus, Channel
from zhengwu.cases.models import Case, HandlingConfig
from zhengwu.catalog.tests.factories import (
    BaseItemFactory,
    ListingFactory,
    ListingVersionFactory,
    complete_guide,
)
from zhengwu.core.models import DayKind
from zhengwu.core.services import calendar_day_set, calendar_year_mark_complete
from zhengwu.core.tests.factories import UserFactory
from zhengwu.identity.constants import StaffRole
from zhengwu.identity.tests.person_factories import make_citizen
from zhengwu.identity.tests.staff_factories import organisation, staff_user

_serial = itertools.count(1)

# 国务院办公厅关于2026年部分节假日安排的通知 (standards §10)
HOLIDAYS_2026 = {
    "元旦": [(1, 1), (1, 2)],
    "春节": [(2, 16), (2, 17), (2, 18), (2, 19), (2, 20), (2, 23)],
    "清明": [(4, 6)],
    "劳动节": [(5, 1), (5, 4), (5, 5)],
    "端午": [(6, 19)],
    "中秋": [(9, 25)],
    "国庆节": [(10, 1), (10, 2), (10, 5), (10, 6), (10, 7)],
}
WORKDAYS_2026 = {
    "元旦": [(1, 4)],
    "春节": [(2, 14), (2, 28)],
    "劳动节": [(5, 9)],
    "国庆节": [(9, 20), (10, 10)],
}

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def seed_calendar_2026() -> None:
    admin = UserFactory(username="calendar-admin", superuser=True)
    for kind, table in (
        (DayKind.HOLIDAY, HOLIDAYS_2026),
        (DayKind.WORKDAY, WORKDAYS_2026),
    ):
        for name, days in table.items():
            for month, day in days:
                calendar_day_set(
                    date=datetime.date(2026, month, day),
                    kind=kind,
                    name=name,
                    acting_user=admin,
                )
    calendar_year_mark_complete(year=2026, acting_user=admin)


@pytest.fixture
def calendar_2026(db):
    seed_calendar_2026()


def published_listing(org, *, guide: dict[str, Any] | None = None, name: str = ""):
    """A listing of ``org`` with a version in force, returning the listing code."""
    base = BaseItemFactory(name=name) if name else BaseItemFactory()
    listing = ListingFactory(organisation=org, base_item=base)
    ListingVersionFactory(
        listing=listing, published=True, guide=guide or complete_guide()
    )
    return listing.code


CONTACT_FORM = {"contact_name": "张三", "contact_mobile": "13900000001"}


@dataclass
class World:
    org_a: Any
    org_b: Any
    listing_a: str
    listing_b: str
    citizen: Any  # Person (with .user)
    other_citizen: Any
    reviewer_a: Any
    approver_a: Any
    reviewer_b: Any
    clerk_a: Any
    editor_a: Any


@pytest.fixture
def world(calendar_2026) -> World:
    org_a = organisation("沈阳市市场监督管理局", "210100")
    org_b = organisation("大连市公安局", "210200")
    listing_a = published_listing(org_a)
    listing_b = published_listing(org_b)
    citizen = make_citizen("张三")
    other = make_citizen("李四")
    return World(
        org_a=org_a,
        org_b=org_b,
        listing_a=listing_a,
        listing_b=listing_b,
        citizen=citizen,
        other_citizen=other,
        reviewer_a=staff_user("reviewer-a", (org_a, StaffRole.REVIEWER)),
        approver_a=staff_user("approver-a", (org_a, StaffRole.REVIEWER)),
        reviewer_b=staff_user("reviewer-b", (org_b, StaffRole.REVIEWER)),
        clerk_a=staff_user("clerk-a", (org_a, StaffRole.COUNTER_CLERK)),
        editor_a=staff_user("editor-a", (org_a, StaffRole.DEPARTMENT_EDITOR)),
    )


def materials_for(listing_code: str) -> list[dict[str, Any]]:
    """Uploads for every necessary material of the complete guide."""
    return [
        {"material_name": "居民身份证", "filename": "id.pdf", "content": PDF_BYTES},
        {"material_name": "申请表", "filename": "form.pdf", "content": PDF_BYTES},
    ]


def apply(user, listing_code: str, *, key: str | None = None, form=None, acting=None):
    from zhengwu.cases.services import case_apply

    return case_apply(
        user=user,
        acting=acting,
        listing_code=listing_code,
        form_data=dict(form or CONTACT_FORM),
        submission_key=key or f"key-{next(_serial)}",
        materials=materials_for(listing_code),
    )


def configure(listing_code: str, **fields) -> HandlingConfig:
    config, _ = HandlingConfig.objects.get_or_create(listing_code=listing_code)
    for name, value in fields.items():
        setattr(config, name, value)
    config.save()
    return config


class CaseFactory(factory.django.DjangoModelFactory):
    """A case row without the services (selectors, inbox, deadline tests);
    ``submitted=True`` / ``accepted=True`` give it a number and dates."""

    class Meta:
        model = Case

    class Params:
        submitted = factory.Trait(
            status=CaseStatus.SUBMITTED,
            number=factory.LazyAttribute(
                lambda o: f"{o.listing_code}20261127{next(_serial) % 10000:04d}"
            ),
            submitted_at=factory.LazyFunction(timezone.now),
        )
        accepted = factory.Trait(
            status=CaseStatus.ACCEPTED,
            number=factory.LazyAttribute(
                lambda o: f"{o.listing_code}20261127{next(_serial) % 10000:04d}"
            ),
            submitted_at=factory.LazyFunction(timezone.now),
            accepted_at=factory.LazyFunction(timezone.now),
        )

    listing_code = factory.LazyAttribute(lambda o: "1" * 31)
    listing_version = 1
    item_name = "测试事项"
    organisation = None
    division = factory.LazyAttribute(lambda o: o.organisation.division)
    applicant = None
    principal_label = ""
    applicant_name = "张三"
    applicant_id_masked = "2101**********1234"
    channel = Channel.ONLINE
    limit_days = 7
    form_data = factory.LazyFunction(lambda: dict(CONTACT_FORM))
