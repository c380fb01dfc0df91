"""Channels and shapes of handling: 秒批 by a decision table, the counter, the
village service point, the parallel template, bundles (一件事一次办)."""

import datetime
from pathlib import Path

from django.utils import timezone

import pytest

from zhengwu.cases import services, workbench
from zhengwu.cases.constants import CaseStatus, Channel, Credibility, TaskStatus
from zhengwu.cases.errors import CaseError
from zhengwu.cases.models import BundleDefinition, Case
from zhengwu.cases.selectors import bundle_result, cases_for_user
from zhengwu.core.models import AuditEvent
from zhengwu.identity.constants import AuthorisationKind, StaffRole
from zhengwu.identity.facade import ActingFor
from zhengwu.identity.tests.person_factories import (
    make_citizen,
    make_id_number,
    population_record,
)
from zhengwu.identity.tests.staff_factories import divisions, organisation, staff_user
from zhengwu.workflows import facade as workflows

from .factories import CONTACT_FORM, PDF_BYTES, World, apply, configure, materials_for

pytestmark = pytest.mark.django_db

DMN = Path(workflows.__file__).parent / "templates_bpmn" / "sample_instant_approval.dmn"
AGE_FORM = {
    "type": "object",
    "properties": {
        "contact_name": {"type": "string", "title": "联系人"},
        "contact_mobile": {"type": "string", "title": "联系电话"},
        "age": {"type": "integer", "title": "年龄", "minimum": 0},
        "province": {"type": "string", "title": "户籍省份"},
        "residence_permit": {"type": "boolean", "title": "辽宁省居住证"},
    },
    "required": ["age", "province"],
}


def open_tasks(case):
    return list(
        case.tasks.filter(status__in=[TaskStatus.OPEN, TaskStatus.CLAIMED]).order_by(
            "pk"
        )
    )


def complete_all(case, user_for_task, outcome="approve"):
    for _round in range(6):
        tasks = open_tasks(case)
        if not tasks:
            return
        for task in tasks:
            if task.node in {"issue", "deliver"}:
                return
            workbench.task_complete(
                task_id=task.pk,
                acting_user=user_for_task(task),
                outcome=outcome if task.role == "decider" else "pass",
                opinion="同意",
            )


def test_instant_approval_decides_without_a_person(world: World):
    # given a listing with the sample decision table (60+ and 辽宁省: approve)
    workflows.upload_decision(
        key="elderly_allowance",
        name="高龄津贴秒批",
        xml=DMN.read_bytes(),
        acting_user=world.editor_a,
    )
    configure(world.listing_a, decision_key="elderly_allowance", form_schema=AGE_FORM)
    # when an applicant who matches (65 by his verified ID number) applies
    elder = make_citizen("孙老", born="19610101")
    case = apply(
        elder.user,
        world.listing_a,
        form={**CONTACT_FORM, "age": 65, "province": "辽宁省"},
    )
    # then the case is accepted and approved by the rule, no task, no person
    assert case.status == CaseStatus.APPROVED
    assert case.decided_by is None
    assert case.decided_by_rule
    assert case.accepted_at is not None
    assert not case.tasks.exists()
    assert case.result_document is not None
    event = AuditEvent.objects.get(event="cases.instant_decided")
    assert event.actor_id is None and event.actor_label == "system:rules"
    # and one who does not match (born 1985, whatever age the form says) goes to
    # a person
    other = apply(
        world.citizen.user,
        world.listing_a,
        form={**CONTACT_FORM, "age": 30, "province": "辽宁省"},
    )
    assert other.status == CaseStatus.SUBMITTED
    assert other.decided_by_rule == ""


def test_counter_clerk_opens_a_case_for_a_walk_in(world: World):
    from zhengwu.identity.counter import counter_visit_start

    # given a walk-in whose ID the clerk checked
    id_number = make_id_number()
    population_record("王五", id_number)
    visit = counter_visit_start(
        clerk=world.clerk_a, name="王五", id_number=id_number, document="id_card"
    )
    acting = ActingFor(
        principal_label=f"person:{visit.person_id}",
        principal_name="王*",
        basis="counter",
        basis_id=visit.pk,
        all_items=True,
        item_codes=(),
    )
    # when the clerk opens the case, scans the materials and submits
    case = services.counter_case_open(
        acting_user=world.clerk_a,
        visit_id=visit.pk,
        listing_code=world.listing_a,
        form_data=CONTACT_FORM,
    )
    for item in materials_for(world.listing_a):
        material = services.material_upload(
            user=world.clerk_a, acting=acting, case_id=case.pk, **item
        )
        assert material.credibility == Credibility.B
    case = services.case_submit(
        user=world.clerk_a, acting=acting, case_id=case.pk, submission_key="walk-in"
    )
    # then a counter case of the walk-in, which follows the same flow
    assert case.channel == Channel.COUNTER
    assert case.principal_label == f"person:{visit.person_id}"
    assert case.applicant_name == "王五"
    assert case.submitted_by == world.clerk_a
    case = services.case_accept(case_id=case.pk, acting_user=world.clerk_a)
    assert case.status == CaseStatus.ACCEPTED
    # and without an open visit the clerk cannot open one
    with pytest.raises(CaseError) as raised:
        services.counter_case_open(
            acting_user=world.clerk_a,
            visit_id=visit.pk + 99,
            listing_code=world.listing_a,
            form_data=CONTACT_FORM,
        )
    assert raised.value.status == 403


def test_service_point_clerk_submits_under_an_authorisation(world: World):
    from zhengwu.identity.authorisations import grant

    # given a village service-point clerk the citizen authorised
    point = organisation("浑南区某村便民服务站", "210100")
    clerk = staff_user("village", (point, StaffRole.SERVICE_POINT_CLERK))
    authorisation = grant(
        kind=AuthorisationKind.PERSONAL,
        principal_person=world.citizen,
        agent=clerk,
        item_codes=None,
        all_items=True,
        valid_from=None,
        valid_until=timezone.now() + datetime.timedelta(days=30),
        acting_user=world.citizen.user,
    )
    acting = ActingFor(
        principal_label=f"person:{world.citizen.pk}",
        principal_name="张*",
        basis="authorisation",
        basis_id=authorisation.pk,
        all_items=True,
        item_codes=(),
    )
    # when the clerk applies for the citizen
    case = apply(clerk, world.listing_a, acting=acting)
    # then a service-point case of the citizen, which the citizen sees
    assert case.channel == Channel.SERVICE_POINT
    assert case.principal_label == f"person:{world.citizen.pk}"
    assert case.submitted_by == clerk
    assert case in cases_for_user(world.citizen.user)
    event = AuditEvent.objects.get(event="cases.submitted", target_id=str(case.pk))
    assert event.actor == clerk
    # and without the authorisation nothing is created
    stranger = ActingFor(
        principal_label=f"person:{world.other_citizen.pk}",
        principal_name="李*",
        basis="authorisation",
        basis_id=authorisation.pk,
        all_items=True,
        item_codes=(),
    )
    with pytest.raises(CaseError) as raised:
        apply(clerk, world.listing_a, acting=stranger)
    assert raised.value.status == 403
    assert Case.objects.count() == 1


def test_parallel_review_by_two_departments(world: World):
    # given a listing reviewed in parallel by department B
    configure(
        world.listing_a,
        process_template="parallel",
        parallel_organisation_ids=[world.org_b.pk],
    )
    case = apply(world.citizen.user, world.listing_a)
    # when department A accepts it
    services.case_accept(case_id=case.pk, acting_user=world.reviewer_a)
    # then each department has its review task, and B's reviewer sees the case
    tasks = open_tasks(case)
    assert sorted(t.organisation_id for t in tasks) == sorted(
        [world.org_a.pk, world.org_b.pk]
    )
    assert case in cases_for_user(world.reviewer_b)
    reviewer = {world.org_a.pk: world.reviewer_a, world.org_b.pk: world.reviewer_b}
    # and B's reviewer cannot work A's task
    task_a = next(t for t in tasks if t.organisation_id == world.org_a.pk)
    with pytest.raises(CaseError):
        workbench.task_claim(task_id=task_a.pk, acting_user=world.reviewer_b)
    # when both review and A decides jointly
    complete_all(case, lambda task: reviewer[task.organisation_id])
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED
    # and joint handling allows 15 days of extension — checked on an open case
    other = apply(world.citizen.user, world.listing_a)
    services.case_accept(case_id=other.pk, acting_user=world.reviewer_a)
    services.extension_request(
        case_id=other.pk, acting_user=world.reviewer_a, days=15, reason="联合审查"
    )


def test_a_bundle_is_accepted_once_and_handled_in_parallel(world: World):
    # given a bundle of department A's and department B's listings
    definition = BundleDefinition.objects.create(
        code="open-business",
        name="开办企业一件事",
        listing_codes=[world.listing_a, world.listing_b],
        division=divisions()["210000"],
    )
    # when a citizen applies once
    bundle = services.bundle_apply(
        user=world.citizen.user,
        acting=None,
        bundle_code=definition.code,
        form_data=CONTACT_FORM,
        submission_key="bundle-1",
        materials={
            world.listing_a: materials_for(world.listing_a),
            world.listing_b: materials_for(world.listing_b),
        },
    )
    # then one numbered bundle with a submitted case per department
    cases = list(bundle.cases.order_by("pk"))
    assert bundle.number
    assert [c.organisation_id for c in cases] == [world.org_a.pk, world.org_b.pk]
    assert all(c.status == CaseStatus.SUBMITTED for c in cases)
    # and the same request again returns the same bundle
    again = services.bundle_apply(
        user=world.citizen.user,
        acting=None,
        bundle_code=definition.code,
        form_data=CONTACT_FORM,
        submission_key="bundle-1",
    )
    assert again.pk == bundle.pk and Case.objects.count() == 2
    # when department A accepts: the whole bundle is accepted
    services.case_accept(case_id=cases[0].pk, acting_user=world.reviewer_a)
    for case in cases:
        case.refresh_from_db()
        assert case.status == CaseStatus.ACCEPTED
    assert bundle_result(bundle) == "pending"
    # each department handles its own case
    complete_all(cases[0], lambda task: world.reviewer_a)
    assert bundle_result(bundle) == "pending"
    assert not AuditEvent.objects.filter(event="cases.bundle_decided").exists()
    complete_all(cases[1], lambda task: world.reviewer_b)
    assert bundle_result(bundle) == "approved"
    done = AuditEvent.objects.get(event="cases.bundle_decided")
    assert done.data == {"number": bundle.number, "result": "approved"}


def test_payment_required_before_decision(world: World):
    from zhengwu.catalog.tests.factories import complete_guide

    from .factories import published_listing

    code = published_listing(
        world.org_a,
        guide=complete_guide(
            is_fee=True, fees=[{"name": "工本费", "standard": "10元/本"}]
        ),
    )
    configure(code, fee_items=[{"name": "工本费", "amount_fen": 1000}])
    case = apply(world.citizen.user, code)
    services.case_accept(case_id=case.pk, acting_user=world.reviewer_a)
    case.refresh_from_db()
    assert case.payments.count() == 1
    with pytest.raises(CaseError) as raised:
        complete_all(case, lambda task: world.reviewer_a)
    assert raised.value.code == "cases.payment_required"
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED


@pytest.mark.parametrize("kind", ["reviewer_b", "citizen", "reviewer_a"])
def test_handling_config_refused_to_others(world: World, kind):
    user = getattr(world, kind) if kind != "citizen" else world.citizen.user
    with pytest.raises(CaseError) as raised:
        services.handling_config_set(
            listing_code=world.listing_a, acting_user=user, decision_key=""
        )
    assert raised.value.status == 403
    assert not AuditEvent.objects.filter(event="cases.handling_configured").exists()


def test_material_not_in_the_guide_is_refused(world: World):
    draft = services.case_draft_save(
        user=world.citizen.user,
        acting=None,
        listing_code=world.listing_a,
        form_data={},
    )
    with pytest.raises(CaseError) as raised:
        services.material_upload(
            user=world.citizen.user,
            acting=None,
            case_id=draft.pk,
            material_name="随便什么",
            filename="a.pdf",
            content=PDF_BYTES,
        )
    assert "material_name" in raised.value.fields
