"""The one access rule: who sees which case, its files and its timeline; the
workbench inbox by organisation and scope, nearest due first, keyset-paged."""

import datetime
import uuid

import pytest

from zhengwu.cases import services, workbench
from zhengwu.cases.errors import CaseError
from zhengwu.cases.files import file_for_user
from zhengwu.cases.selectors import case_for_user, case_timeline, cases_for_user
from zhengwu.cases.workbench import InboxFilters, inbox
from zhengwu.core.models import AuditEvent
from zhengwu.identity.facade import ActingFor

from .factories import CaseFactory, World, apply

pytestmark = pytest.mark.django_db


def test_a_citizen_sees_only_their_own_cases(world: World):
    mine = apply(world.citizen.user, world.listing_a)
    theirs = apply(world.other_citizen.user, world.listing_a)
    assert list(cases_for_user(world.citizen.user)) == [mine]
    assert case_for_user(world.citizen.user, mine.pk) == mine
    # guessing the other id is a 404, like an id that does not exist
    for guess in (theirs.pk, theirs.pk + 1000, "1 OR 1=1", None, -1, 2**70):
        with pytest.raises(CaseError) as raised:
            case_for_user(world.citizen.user, guess)
        assert raised.value.status == 404


def test_anonymous_sees_nothing(world: World):
    from django.contrib.auth.models import AnonymousUser

    apply(world.citizen.user, world.listing_a)
    assert not cases_for_user(AnonymousUser()).exists()
    assert not cases_for_user(None).exists()


def test_a_reviewer_sees_only_their_departments_cases(world: World):
    case_a = apply(world.citizen.user, world.listing_a)
    case_b = apply(world.citizen.user, world.listing_b)
    assert list(cases_for_user(world.reviewer_a)) == [case_a]
    assert list(cases_for_user(world.reviewer_b)) == [case_b]
    with pytest.raises(CaseError):
        case_for_user(world.reviewer_a, case_b.pk)
    # and cannot act on it
    with pytest.raises(CaseError) as raised:
        services.case_accept(case_id=case_b.pk, acting_user=world.reviewer_a)
    assert raised.value.status == 404
    case_b.refresh_from_db()
    assert case_b.status == "submitted"


def test_an_editor_sees_no_cases(world: World):
    apply(world.citizen.user, world.listing_a)
    assert not cases_for_user(world.editor_a).exists()


def test_acting_for_the_principal_shows_their_cases(world: World):
    case = apply(world.citizen.user, world.listing_a)
    acting = ActingFor(
        principal_label=f"person:{world.citizen.pk}",
        principal_name="张*",
        basis="authorisation",
        basis_id=1,
        all_items=True,
        item_codes=(),
    )
    assert not cases_for_user(world.other_citizen.user).exists()
    assert list(cases_for_user(world.other_citizen.user, acting=acting)) == [case]


def test_files_only_for_those_who_see_the_case(world: World):
    case = apply(world.citizen.user, world.listing_a)
    file_id = case.materials.first().file_id
    # the applicant and the department's reviewer may download, audited
    assert file_for_user(world.citizen.user, file_id).pk == file_id
    assert file_for_user(world.reviewer_a, str(file_id)).pk == file_id
    assert (
        AuditEvent.objects.filter(
            event="cases.file_downloaded", target_id=str(case.pk)
        ).count()
        == 2
    )
    # nobody else: a 404 whatever they try
    for user, guess in (
        (world.other_citizen.user, file_id),
        (world.reviewer_b, file_id),
        (world.citizen.user, uuid.uuid4()),
        (world.citizen.user, "../../etc/passwd"),
        (None, file_id),
    ):
        with pytest.raises(CaseError) as raised:
            file_for_user(user, guess)
        assert raised.value.status == 404
    assert AuditEvent.objects.filter(event="cases.file_downloaded").count() == 2


def test_timeline_lists_the_case_events_with_labels(world: World):
    case = apply(world.citizen.user, world.listing_a)
    services.case_accept(case_id=case.pk, acting_user=world.reviewer_a)
    labels = [entry.label for entry in case_timeline(case)]
    assert labels[:1] == ["保存草稿"]
    assert "提交申请" in labels
    assert "受理" in labels


def test_inbox_by_department_nearest_due_first_with_cursor(world: World):
    today = datetime.date(2026, 11, 27)
    cases = [
        CaseFactory(
            accepted=True,
            organisation=world.org_a,
            applicant=world.citizen.user,
            due_on=today + datetime.timedelta(days=d),
        )
        for d in (5, 1, 3)
    ]
    undated = CaseFactory(
        accepted=True, organisation=world.org_a, applicant=world.citizen.user
    )
    other = CaseFactory(
        accepted=True, organisation=world.org_b, applicant=world.citizen.user
    )
    from zhengwu.cases.models import CaseTask

    for case in [*cases, undated, other]:
        CaseTask.objects.create(
            case=case,
            node="review",
            name="审查",
            role="reviewer",
            organisation=case.organisation,
            division=case.division,
            due_on=case.due_on,
        )
    # when reviewer A pages through two at a time
    first = inbox(world.reviewer_a, limit=2)
    second = inbox(world.reviewer_a, cursor=first.next_cursor, limit=2)
    # then nearest due first, the undated last, department B's never
    order = [t.case_id for t in first.tasks + second.tasks]
    assert order == [cases[1].pk, cases[2].pk, cases[0].pk, undated.pk]
    assert second.next_cursor == ""
    assert first.counts["open"] == 4
    assert [t.case_id for t in inbox(world.reviewer_b).tasks] == [other.pk]
    assert inbox(world.citizen.user).tasks == []
    # filters
    task = first.tasks[0]
    workbench.task_claim(task_id=task.pk, acting_user=world.reviewer_a)
    mine = inbox(world.reviewer_a, filters=InboxFilters(mine=True))
    assert [t.pk for t in mine.tasks] == [task.pk]
    with pytest.raises(CaseError):
        inbox(world.reviewer_a, cursor="garbage")


def test_a_reviewer_cannot_claim_another_departments_task(world: World):
    case = apply(world.citizen.user, world.listing_b)
    services.case_accept(case_id=case.pk, acting_user=world.reviewer_b)
    task = case.tasks.get()
    with pytest.raises(CaseError) as raised:
        workbench.task_claim(task_id=task.pk, acting_user=world.reviewer_a)
    assert raised.value.status == 404
    task.refresh_from_db()
    assert task.assignee is None


def test_the_reviewer_of_an_open_case_may_reveal_the_applicants_id(world: World):
    from zhengwu.identity.persons import may_reveal

    case = apply(world.citizen.user, world.listing_a)
    assert may_reveal(world.reviewer_a, world.citizen) == "case_review"
    assert may_reveal(world.reviewer_b, world.citizen) == ""
    assert may_reveal(world.other_citizen.user, world.citizen) == ""
    # once the case is finished, no longer
    services.case_not_accept(
        case_id=case.pk,
        acting_user=world.reviewer_a,
        reason="不属于本机关职权",
        legal_basis="《行政许可法》第三十二条",
    )
    assert may_reveal(world.reviewer_a, world.citizen) == ""


def test_staff_do_not_see_drafts(world: World):
    draft = services.case_draft_save(
        user=world.citizen.user,
        acting=None,
        listing_code=world.listing_a,
        form_data={},
    )
    assert draft in cases_for_user(world.citizen.user)
    assert not cases_for_user(world.reviewer_a).exists()
    with pytest.raises(CaseError) as raised:
        services.case_accept(case_id=draft.pk, acting_user=world.reviewer_a)
    assert raised.value.status == 404


def test_the_warning_tab_follows_the_case_clock(world: World):
    from zhengwu.cases import deadlines
    from zhengwu.cases.models import Case

    # given an accepted case whose task carries its deadline
    case = apply(world.citizen.user, world.listing_a)
    case = services.case_accept(case_id=case.pk, acting_user=world.reviewer_a)
    task = case.tasks.get()
    assert (task.due_on, task.warn_on) == (case.due_on, case.warn_on)
    # when its warning period has begun
    today = deadlines.today()
    Case.objects.filter(pk=case.pk).update(
        warn_on=today, due_on=today + datetime.timedelta(days=3)
    )
    case.refresh_from_db()
    deadlines.tasks_follow(case)
    # then the task is in the 临期 tab and counted there
    page = inbox(world.reviewer_a, filters=InboxFilters(warning=True))
    assert [t.pk for t in page.tasks] == [task.pk]
    assert page.counts["warning"] == 1
    # and while a special procedure stops the clock it is not
    services.pause_start(
        case_id=case.pk, acting_user=world.reviewer_a, name="专家评审", reason="第45条"
    )
    task.refresh_from_db()
    assert task.warn_on is None
    assert inbox(world.reviewer_a, filters=InboxFilters(warning=True)).tasks == []
    # and once it runs again the task takes the case's warning date back
    services.pause_end(case_id=case.pk, acting_user=world.reviewer_a, result="通过")
    case.refresh_from_db()
    task.refresh_from_db()
    assert task.warn_on == case.warn_on


def test_the_inbox_filters_by_item_name_or_code_and_case_status(world: World):
    # given tasks of two cases of department A
    first = services.case_accept(
        case_id=apply(world.citizen.user, world.listing_a).pk,
        acting_user=world.reviewer_a,
    )
    item_name = first.item_name
    # when filtering by a part of the item name, by the listing code, by case status
    by_name = inbox(world.reviewer_a, filters=InboxFilters(item=item_name[:2]))
    by_code = inbox(world.reviewer_a, filters=InboxFilters(item=first.listing_code))
    other = inbox(world.reviewer_a, filters=InboxFilters(item="没有这个事项"))
    declined = inbox(world.reviewer_a, filters=InboxFilters(case_status="withdrawn"))
    # then the narrowing applies to rows and counts alike
    assert [t.case_id for t in by_name.tasks] == [first.pk]
    assert [t.case_id for t in by_code.tasks] == [first.pk]
    assert other.tasks == [] and other.counts["open"] == 0
    assert declined.tasks == [] and declined.counts["open"] == 0
    assert by_code.counts["open"] == 1


def test_an_agent_sees_the_principals_cases_of_the_authorised_items_only(
    world: World,
):
    # given two cases of 张三 for two items, and 李四 authorised for the first only
    case_a = apply(world.citizen.user, world.listing_a)
    case_b = apply(world.citizen.user, world.listing_b)
    acting = ActingFor(
        principal_label=f"person:{world.citizen.pk}",
        principal_name="张*",
        basis="authorisation",
        basis_id=1,
        all_items=False,
        item_codes=(world.listing_a[19:],),
    )

    # when 李四 lists and opens cases acting for 张三
    seen = list(cases_for_user(world.other_citizen.user, acting=acting))

    # then only the authorised item's case is there; the other is a 404
    assert seen == [case_a]
    with pytest.raises(CaseError) as raised:
        case_for_user(world.other_citizen.user, case_b.pk, acting=acting)
    assert raised.value.status == 404
    # and with no items authorised, none
    empty = ActingFor(**{**acting.__dict__, "item_codes": ()})
    assert not cases_for_user(world.other_citizen.user, acting=empty).exists()
