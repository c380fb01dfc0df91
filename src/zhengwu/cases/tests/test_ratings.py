"""好差评 (standards §4): once per finished case by its applicant side; a bad rating
opens a rectification order due in working days; answer, call back, follow-up."""

import datetime

from django.utils import timezone

import pytest

from zhengwu.cases import ratings
from zhengwu.cases.constants import CaseStatus, Channel, RectificationStatus
from zhengwu.cases.errors import CaseError
from zhengwu.cases.models import Notification, Rating, RectificationOrder
from zhengwu.core.calendar import add_working_days
from zhengwu.core.models import AuditEvent

from .sidechannel_helpers import citizen_case

pytestmark = pytest.mark.django_db


def _rate(world, case, level, **extra):
    return ratings.rating_create(
        user=world.citizen.user, case_id=case.pk, level=level, **extra
    )


def test_good_rating_once_without_rectification(world):
    # given an approved case
    case = citizen_case(world, status=CaseStatus.APPROVED)

    # when the applicant rates it 非常满意 with online indicators
    rating = _rate(world, case, 5, indicators=["overall", "efficiency"])

    # then kept and audited; no work order; a second rating is refused
    assert rating.level == 5
    assert rating.indicators == ["overall", "efficiency"]
    assert AuditEvent.objects.filter(
        event="cases.rated", target_id=str(case.pk)
    ).exists()
    assert not RectificationOrder.objects.exists()
    with pytest.raises(CaseError) as error:
        _rate(world, case, 4)
    assert error.value.status == 409
    assert Rating.objects.filter(case=case).count() == 1


@pytest.mark.parametrize("level", [1, 2])
def test_bad_rating_needs_a_comment_and_opens_a_rectification_order(
    world, settings, level
):
    settings.ZHENGWU_RECTIFICATION_DAYS = 15
    case = citizen_case(world, status=CaseStatus.DENIED)

    # a bad rating without a comment is refused, naming the field
    with pytest.raises(CaseError) as error:
        _rate(world, case, level)
    assert "comment" in error.value.fields
    assert not Rating.objects.exists()

    # with a comment: a work order for the department, due in 15 working days
    rating = _rate(world, case, level, comment="等待时间太长，窗口人员态度差")
    order = RectificationOrder.objects.get(rating=rating)
    assert order.organisation_id == world.org_a.pk
    assert order.status == RectificationStatus.OPEN
    assert order.due_on == add_working_days(timezone.localdate(), 15)
    assert Notification.objects.filter(case=case, event="rectification_opened").exists()
    assert AuditEvent.objects.filter(event="cases.rectification_opened").exists()


def test_rectification_days_are_configurable(world, settings):
    settings.ZHENGWU_RECTIFICATION_DAYS = 5
    case = citizen_case(world, status=CaseStatus.APPROVED)
    rating = _rate(world, case, 1, comment="差")
    assert RectificationOrder.objects.get(rating=rating).due_on == add_working_days(
        timezone.localdate(), 5
    )


def test_due_date_in_an_unknown_year_stays_empty_until_the_year_is_entered(world):
    # 15 working days after 25 December 2026 end in 2027, not entered yet
    assert ratings.rectification_due_on(datetime.date(2026, 12, 25)) is None


@pytest.mark.parametrize(
    "status", [CaseStatus.ACCEPTED, CaseStatus.SUBMITTED, CaseStatus.WITHDRAWN]
)
def test_only_finished_cases_are_rated(world, status):
    case = citizen_case(world, status=status)
    with pytest.raises(CaseError) as error:
        _rate(world, case, 5)
    assert error.value.status == 409


def test_only_the_applicant_side_rates(world):
    case = citizen_case(world, status=CaseStatus.APPROVED)
    for user in (world.other_citizen.user, world.reviewer_a):
        with pytest.raises(CaseError) as error:
            ratings.rating_create(user=user, case_id=case.pk, level=1, comment="x")
        assert error.value.status == 404
    assert not Rating.objects.exists()


def test_level_and_indicators_are_checked(world):
    case = citizen_case(world, status=CaseStatus.APPROVED)
    for level in (0, 6, True, "5"):
        with pytest.raises(CaseError) as error:
            _rate(world, case, level)
        assert "level" in error.value.fields
    with pytest.raises(CaseError) as error:
        _rate(world, case, 5, indicators=["service_attitude"])  # an offline one
    assert "indicators" in error.value.fields
    counter_case = citizen_case(
        world, status=CaseStatus.APPROVED, channel=Channel.COUNTER
    )
    assert _rate(world, counter_case, 4, indicators=["service_attitude"]).level == 4


def test_department_answers_calls_back_and_the_follow_up_closes_the_order(world):
    # given a bad rating
    case = citizen_case(world, status=CaseStatus.APPROVED)
    rating = _rate(world, case, 1, comment="多次往返")
    order = RectificationOrder.objects.get(rating=rating)

    # the follow-up is refused before the department answers
    with pytest.raises(CaseError):
        _rate(world, case, 4, is_follow_up=True)
    # another department cannot see or answer the order
    assert not ratings.rectifications_for_user(world.reviewer_b).exists()
    with pytest.raises(CaseError):
        ratings.rectification_respond(
            order_id=order.pk, acting_user=world.reviewer_b, response="x"
        )
    # a call back needs the answer first
    with pytest.raises(CaseError):
        ratings.rectification_callback(
            order_id=order.pk, acting_user=world.reviewer_a, note="已电话回访"
        )

    # when department A answers and calls back
    assert list(ratings.rectifications_for_user(world.reviewer_a)) == [order]
    ratings.rectification_respond(
        order_id=order.pk, acting_user=world.reviewer_a, response="已优化流程，一次办结"
    )
    ratings.rectification_callback(
        order_id=order.pk, acting_user=world.reviewer_a, note="已电话回访，申请人认可"
    )
    assert Notification.objects.filter(
        case=case, event="rectification_responded"
    ).exists()

    # and the applicant gives the follow-up rating
    follow_up = _rate(world, case, 4, is_follow_up=True)

    # then the order is closed; no second follow-up
    order.refresh_from_db()
    assert follow_up.is_follow_up is True
    assert order.status == RectificationStatus.CLOSED
    assert order.callback_note == "已电话回访，申请人认可"
    assert AuditEvent.objects.filter(event="cases.rectification_closed").exists()
    with pytest.raises(CaseError):
        _rate(world, case, 5, is_follow_up=True)


def test_respond_input_and_state(world):
    case = citizen_case(world, status=CaseStatus.APPROVED)
    order = RectificationOrder.objects.get(rating=_rate(world, case, 2, comment="慢"))
    with pytest.raises(CaseError) as error:
        ratings.rectification_respond(
            order_id=order.pk, acting_user=world.reviewer_a, response="  "
        )
    assert "response" in error.value.fields
    ratings.rectification_respond(
        order_id=order.pk, acting_user=world.reviewer_a, response="已整改"
    )
    with pytest.raises(CaseError) as again:
        ratings.rectification_respond(
            order_id=order.pk, acting_user=world.reviewer_a, response="再次"
        )
    assert again.value.status == 409
