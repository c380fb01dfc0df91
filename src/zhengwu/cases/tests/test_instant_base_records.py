"""秒批 decides on the base records, not on what the applicant typed: the sample
decision table takes the age from the verified ID number (``base["age"]``), so a
declared age cannot make a younger applicant pass, and the case records the rule."""

from pathlib import Path

import pytest

from zhengwu.cases.constants import CaseStatus
from zhengwu.core.models import AuditEvent
from zhengwu.identity.tests.person_factories import make_citizen
from zhengwu.workflows import facade as workflows

from .factories import CONTACT_FORM, World, apply, configure

pytestmark = pytest.mark.django_db

DMN = Path(workflows.__file__).parent / "templates_bpmn" / "sample_instant_approval.dmn"
RULE_RESIDENT = "年满60周岁的辽宁省户籍居民，准予"
# A form that still asks for an age, to show the rule does not read it.
FORM_WITH_AGE = {
    "type": "object",
    "properties": {
        "contact_name": {"type": "string", "title": "联系人"},
        "contact_mobile": {"type": "string", "title": "联系电话"},
        "age": {"type": "integer", "title": "年龄", "minimum": 0},
        "province": {"type": "string", "title": "户籍省份"},
        "residence_permit": {"type": "boolean", "title": "辽宁省居住证"},
    },
    "required": ["province"],
}


@pytest.fixture
def instant(world: World) -> World:
    """listing_a decides by the sample decision table at submission."""
    workflows.upload_decision(
        key="retirement_instant",
        name="职工正常退休秒批",
        xml=DMN.read_bytes(),
        acting_user=world.editor_a,
    )
    configure(
        world.listing_a, decision_key="retirement_instant", form_schema=FORM_WITH_AGE
    )
    return world


def test_a_verified_applicant_over_60_by_the_id_number_is_approved_without_age(
    instant: World,
):
    # given a verified citizen born in 1956 (over 60 by his ID number)
    elder = make_citizen("孙德厚", born="19560720")

    # when he applies with a Liaoning household and no age in the form
    case = apply(
        elder.user, instant.listing_a, form={**CONTACT_FORM, "province": "辽宁省"}
    )

    # then the rule approves at once, with no person
    assert case.status == CaseStatus.APPROVED
    assert case.decided_by is None and not case.tasks.exists()
    # and the case records which rule decided, as does the audit trail
    assert case.decided_by_rule == RULE_RESIDENT
    event = AuditEvent.objects.get(
        event="cases.instant_decided", target_id=str(case.pk)
    )
    assert event.data["rule"] == RULE_RESIDENT
    assert event.actor_label == "system:rules"


def test_a_declared_age_cannot_make_a_40_year_old_pass(instant: World):
    # given a verified citizen born in 1985 (about 40 by the ID number)
    younger = make_citizen("张丽华", born="19850315")

    # when she declares 61 years of age and a Liaoning household
    case = apply(
        younger.user,
        instant.listing_a,
        form={
            **CONTACT_FORM,
            "age": 61,
            "province": "辽宁省",
            "residence_permit": True,
        },
    )

    # then no rule decides: the case waits for a person to accept it
    assert case.status == CaseStatus.SUBMITTED
    assert case.decided_by_rule == "" and case.decided_at is None
    assert not AuditEvent.objects.filter(
        event="cases.instant_decided", target_id=str(case.pk)
    ).exists()


def test_a_younger_applicant_without_an_age_goes_to_a_person(instant: World):
    # given the world's citizen (born 1985) applying like the elder does
    case = apply(
        instant.citizen.user,
        instant.listing_a,
        form={**CONTACT_FORM, "province": "辽宁省"},
    )
    # then the case goes to a person
    assert case.status == CaseStatus.SUBMITTED
    assert case.decided_by_rule == ""


def test_an_unverified_id_number_does_not_count(instant: World):
    # given an L1 citizen whose typed ID number says 1950 (not checked against the
    # population records)
    unverified = make_citizen("钱七", verified=False, born="19500101")

    # when she applies with a Liaoning household
    case = apply(
        unverified.user, instant.listing_a, form={**CONTACT_FORM, "province": "辽宁省"}
    )

    # then no rule decides on an unverified age
    assert case.status == CaseStatus.SUBMITTED
    assert case.decided_by_rule == ""


def test_on_the_demo_only_the_elder_is_approved_at_once():
    from zhengwu.cases import demo as cases_demo
    from zhengwu.cases import services
    from zhengwu.cases.fixtures import demo as data
    from zhengwu.catalog.demo import DEMO_PASSWORD
    from zhengwu.catalog.facade import listing_for_application
    from zhengwu.identity.facade import identity_demo_user

    from .demo_world import load_demo

    # given the demo: 职工正常退休申请 decided by the sample table, its form asks no age
    load_demo()
    code = cases_demo._Loader(DEMO_PASSWORD, print).code(data.RETIREMENT)
    assert "age" not in data.RETIREMENT_FORM["properties"]
    listing = listing_for_application(code)

    def apply_as(key: str, name: str, mobile: str):
        return services.case_apply(
            user=identity_demo_user(key),
            acting=None,
            listing_code=code,
            form_data={
                "applicant_name": name,
                "contact_mobile": mobile,
                "province": "辽宁省",
            },
            submission_key=f"test-{key}",
            handling_item_code="01",
            materials=[
                {"material_name": m, "filename": f"{m}.pdf", "content": data.PDF}
                for m in listing.required_material_names("01")
            ],
        )

    # when 孙德厚 (born 1956) and 张丽华 (born 1985) apply the same way
    elder = apply_as("sun", "孙德厚", "13900000105")
    younger = apply_as("zhang", "张丽华", "13900000101")

    # then his case is approved by the rule, hers waits for a person
    assert elder.status == CaseStatus.APPROVED
    assert elder.decided_by_rule == RULE_RESIDENT
    assert younger.status == CaseStatus.SUBMITTED
    assert younger.decided_by_rule == ""
