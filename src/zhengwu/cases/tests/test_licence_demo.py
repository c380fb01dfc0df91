"""The licences demo as the cases demo uses it: 张丽华 holds a valid 个体工商户营业执照
(verified against the licence library), offered instead of the food licence's
营业执照 to her and to no one else; approving a 个体工商户登记 case issues one; a
second run of both demos changes nothing."""

from __future__ import annotations

import pytest

from zhengwu.cases import demo as cases_demo
from zhengwu.cases import services, workbench
from zhengwu.cases.constants import CaseStatus
from zhengwu.cases.fixtures import demo as data
from zhengwu.cases.licences import offered_licences
from zhengwu.cases.models import Case
from zhengwu.catalog.demo import DEMO_PASSWORD
from zhengwu.catalog.facade import listing_for_application
from zhengwu.core.models import AuditEvent
from zhengwu.identity.facade import identity_demo_user, person_label_for_user
from zhengwu.licenses.facade import (
    licence_check,
    licences_for_holder,
    populate_licences_demo,
)

from .demo_world import load_demo

pytestmark = pytest.mark.django_db


def _code(key: tuple[str, str]) -> str:
    return cases_demo._Loader(DEMO_PASSWORD, print).code(key)


def test_the_demo_citizen_holds_a_valid_licence_offered_for_the_food_licence():
    # given the demo loaded
    load_demo()
    zhang = identity_demo_user("zhang")
    wang = identity_demo_user("wang")

    # then 张丽华 holds one valid licence, signed by the issuing bureau's seal
    held = licences_for_holder(person_label_for_user(zhang))
    assert [(s.type_name, s.issuer_name) for s in held] == [
        (cases_demo.SOLE_TRADER_LICENCE, "沈阳市市场监督管理局")
    ]
    check = licence_check(held[0].identifier)
    assert check.ok and check.status == "valid"
    # and it is offered for the food licence's 营业执照 to her, not to 王建国
    food = _code(data.FOOD_LICENCE)
    offered = offered_licences(
        listing_code=food, principal_label=person_label_for_user(zhang)
    )
    assert [s.identifier for s in offered["营业执照"]] == [held[0].identifier]
    assert not licences_for_holder(person_label_for_user(wang))
    assert (
        offered_licences(listing_code=food, principal_label=person_label_for_user(wang))
        == {}
    )


def test_approving_a_sole_trader_registration_issues_the_licence():
    # given the demo and 王建国's 个体工商户登记 case, accepted
    load_demo()
    wang = identity_demo_user("wang")
    reviewer = cases_demo._user("shenpi_shichang")
    code = _code(cases_demo.SOLE_TRADER)
    case = services.case_apply(
        user=wang,
        acting=None,
        listing_code=code,
        form_data={
            "applicant_name": "王建国",
            "contact_mobile": "13900000102",
            "trade_name": "建国小吃店",
            "organisation_form": "个人经营",
            "business_address": "沈阳市沈河区北站路1号",
            "business_scope": "餐饮服务",
        },
        submission_key="licence-demo-test",
        handling_item_code="01",
        materials=[
            {"material_name": name, "filename": f"{name}.pdf", "content": data.PDF}
            for name in listing_for_application(code).required_material_names("01")
        ],
    )
    assert case.status == CaseStatus.SUBMITTED
    services.case_accept(case_id=case.pk, acting_user=reviewer, opinion="受理。")

    # when the reviewer works every task to an approving decision
    for _round in range(6):
        case.refresh_from_db()
        if case.status != CaseStatus.ACCEPTED:
            break
        for task in case.tasks.filter(status__in=["open", "claimed"]):
            workbench.task_complete(
                task_id=task.pk,
                acting_user=reviewer,
                outcome="approve" if task.role == "decider" else "pass",
                opinion="符合条件。",
            )

    # then the case is approved and 王建国 holds the licence with the form's face
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED
    held = licences_for_holder(person_label_for_user(wang))
    assert [s.identifier for s in held] == [case.licence_identifier]
    assert held[0].source_case_number == case.number
    assert licence_check(case.licence_identifier).ok


def test_a_second_run_changes_nothing():
    # given the demo loaded once
    load_demo()
    events = AuditEvent.objects.count()
    cases = Case.objects.count()

    # when the licences and cases demos are loaded again
    licences = populate_licences_demo()
    created = cases_demo.populate(password=DEMO_PASSWORD)

    # then nothing is created and no audit record written
    assert set(licences.values()) == {0}
    assert set(created.values()) == {0}
    assert AuditEvent.objects.count() == events
    assert Case.objects.count() == cases
