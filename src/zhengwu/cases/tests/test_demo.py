"""The cases demo: what it loads, that a second run changes nothing, that slots stop
before a calendar year not entered yet, and that its bundle is handled by the two
departments' reviewers in parallel."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model

import pytest

from zhengwu.cases import demo as cases_demo
from zhengwu.cases import services, workbench
from zhengwu.cases.constants import CaseStatus, TaskStatus
from zhengwu.cases.fixtures import demo as data
from zhengwu.cases.models import (
    Appointment,
    AppointmentSlot,
    BundleDefinition,
    Case,
    CaseTask,
    HandlingConfig,
    ServiceHall,
    ServiceWindow,
)
from zhengwu.catalog.demo import DEMO_PASSWORD
from zhengwu.catalog.facade import listing_for_application
from zhengwu.core.calendar import WorkingCalendar
from zhengwu.core.models import AuditEvent
from zhengwu.identity.demo import ENTERPRISE_CODE, ENTERPRISE_NAME
from zhengwu.identity.facade import ActingFor, identity_demo_user
from zhengwu.identity.models import Authorisation

from .demo_world import load_demo

pytestmark = pytest.mark.django_db


def _user(username: str):
    return get_user_model().objects.get(username=username)


def _code(key: tuple[str, str]) -> str:
    return cases_demo._Loader(DEMO_PASSWORD, print).code(key)


def _counts() -> dict[str, int]:
    return {
        "audit": AuditEvent.objects.count(),
        "configs": HandlingConfig.objects.count(),
        "bundles": BundleDefinition.objects.count(),
        "halls": ServiceHall.objects.count(),
        "windows": ServiceWindow.objects.count(),
        "slots": AppointmentSlot.objects.count(),
        "appointments": Appointment.objects.count(),
        "cases": Case.objects.count(),
        "tasks": CaseTask.objects.count(),
        "users": get_user_model().objects.count(),
    }


def test_demo_loads_settings_bundle_hall_and_example_cases():
    # given the catalogue and identity demos
    # when the cases demo is loaded
    created = load_demo()

    # then five listings have their settings, the food licence with a real form
    assert created["configs"] == 5
    food = HandlingConfig.objects.get(listing_code=_code(data.FOOD_LICENCE))
    # 个体工商户登记 issues the licence the food licence's 营业执照 may be replaced by
    sole_trader = HandlingConfig.objects.get(listing_code=_code(cases_demo.SOLE_TRADER))
    assert sole_trader.licence_type_code
    assert food.licence_materials == {"营业执照": sole_trader.licence_type_code}
    assert food.process_template == "single"
    assert "business_type" in food.form_schema["required"]
    assert food.form_schema["properties"]["business_type"]["oneOf"]
    assert food.form_schema["properties"]["business_area"]["type"] == "number"
    retirement = HandlingConfig.objects.get(listing_code=_code(data.RETIREMENT))
    assert retirement.decision_key == data.INSTANT_DECISION_KEY
    # the bundle covers two departments of Shenyang
    bundle = BundleDefinition.objects.get(code=data.BUNDLE["code"])
    organisations = {
        listing_for_application(code).organisation_id for code in bundle.listing_codes
    }
    assert len(bundle.listing_codes) == 2 and len(organisations) == 2
    assert _user("shenpi_shuiwu").is_active
    # the hall has its windows and slots on working days only
    hall = ServiceHall.objects.get(name="沈阳市政务服务中心")
    assert hall.windows.count() == len(data.HALL["windows"])
    calendar = WorkingCalendar()
    days = set(
        AppointmentSlot.objects.filter(window__hall=hall).values_list("date", flat=True)
    )
    assert days and all(calendar.is_working_day(day) for day in days)
    # and 张丽华 has a case in review and one waiting for her supplement
    citizen = identity_demo_user("zhang")
    statuses = dict(
        Case.objects.filter(applicant=citizen).values_list("submission_key", "status")
    )
    assert statuses == {
        "demo-food-in-review": CaseStatus.ACCEPTED,
        "demo-food-supplement": CaseStatus.SUPPLEMENT_REQUESTED,
    }
    # and 孙德厚, over 60 by his ID number, one 秒批 (no age in his form)
    instant = Case.objects.get(submission_key="demo-retirement-instant")
    assert instant.applicant == identity_demo_user("sun")
    assert instant.status == CaseStatus.APPROVED
    assert "age" not in instant.form_data
    assert instant.decided_by_rule and instant.decided_by is None
    assert instant.result_document_id is not None
    review = Case.objects.get(submission_key="demo-food-in-review")
    assert review.tasks.filter(status=TaskStatus.OPEN).exists()
    # and a booking at the hall's window for her case awaiting the supplement
    booking = Appointment.objects.get(user=citizen)
    assert booking.slot.window.hall == hall and booking.status == "booked"
    assert booking.case.submission_key == "demo-food-supplement"


def test_a_second_run_changes_nothing():
    # given the demo loaded once
    load_demo()
    before = _counts()

    # when it is loaded again
    created = cases_demo.populate(password=DEMO_PASSWORD)

    # then nothing is created and no audit record written
    assert set(created.values()) == {0}
    assert _counts() == before


def test_slots_stop_before_a_year_the_calendar_does_not_know():
    # given the reference calendar (2027 not entered)
    from .demo_world import load_reference

    load_reference()

    # when five working days after 29 December 2026 are asked for
    days = cases_demo._Loader.working_days(datetime.date(2026, 12, 29), 5)

    # then only the two of 2026 come back, none guessed in 2027
    assert days == [datetime.date(2026, 12, 30), datetime.date(2026, 12, 31)]


def test_the_bundle_is_handled_by_both_departments_in_parallel():
    # given the demo and the enterprise's clerk acting for it
    load_demo()
    clerk = identity_demo_user("zhao")
    authorisation = Authorisation.objects.get(
        agent=clerk, principal_entity__credit_code=ENTERPRISE_CODE
    )
    acting = ActingFor(
        principal_label=f"entity:{ENTERPRISE_CODE}",
        principal_name=ENTERPRISE_NAME,
        basis="authorisation",
        basis_id=authorisation.pk,
        all_items=True,
        item_codes=(),
    )
    materials = {
        code: [
            {"material_name": name, "filename": "scan.pdf", "content": data.PDF}
            for name in listing_for_application(code).required_material_names()
        ]
        for code in BundleDefinition.objects.get(code=data.BUNDLE["code"]).listing_codes
    }

    # when the clerk applies once and the market regulation reviewer accepts once
    bundle = services.bundle_apply(
        user=clerk,
        acting=acting,
        bundle_code=data.BUNDLE["code"],
        form_data={
            "proposed_name": "沈阳盛京示范餐饮有限公司",
            "company_address": "沈阳市和平区南京北街100号",
            "registered_capital": 50,
            "invoice_kind": "digital_ordinary",
            "invoice_quota": 10,
            "contact_name": "赵敏",
            "contact_mobile": "13900000104",
        },
        submission_key="bundle-test",
        materials=materials,
    )
    market, tax = _user("shenpi_shichang"), _user("shenpi_shuiwu")
    services.bundle_accept(bundle_id=bundle.pk, acting_user=market)

    # then each department's reviewer finds their own part and completes it
    for reviewer in (market, tax):
        for _round in range(10):
            page = workbench.inbox(reviewer)
            tasks = [t for t in page.tasks if t.case.bundle_id == bundle.pk]
            if not tasks:
                break
            for task in tasks:
                workbench.task_complete(
                    task_id=task.pk,
                    acting_user=reviewer,
                    outcome="approve" if task.role == "decider" else "pass",
                    opinion="符合条件。",
                )
    cases = list(Case.objects.filter(bundle=bundle).order_by("pk"))
    assert len({case.organisation_id for case in cases}) == 2
    assert all(case.status == CaseStatus.APPROVED for case in cases)
    completers = {
        task.case.organisation_id: task.completed_by_id
        for task in CaseTask.objects.filter(case__bundle=bundle)
    }
    assert set(completers.values()) == {market.pk, tax.pk}
