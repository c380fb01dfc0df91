"""Licence types, issue, change, suspend, resume, revoke, expire."""

import datetime
import json
import math

import pytest

from zhengwu.core.models import AuditEvent
from zhengwu.licenses import errors, identifiers
from zhengwu.licenses.constants import LicenceStatus
from zhengwu.licenses.errors import LicenceError
from zhengwu.licenses.models import Licence, LicenceEvent, LicenceType
from zhengwu.licenses.services import (
    SHANGHAI,
    expire_licences,
    licence_change,
    licence_resume,
    licence_revoke,
    licence_suspend,
    licence_type_define,
)

from .factories import FACE_SCHEMA


def test_type_code_is_the_defining_bodys_credit_code_and_a_sequence(licence_world):
    # given
    world = licence_world
    # when
    second = licence_type_define(
        defining_organisation_id=world.bureau.pk,
        name="专项职业能力证书",
        holder_kind="person",
        face_schema=FACE_SCHEMA,
        acting_user=world.editor,
    )
    # then
    assert world.licence_type.type_code == world.bureau.credit_code + "001"
    assert second.type_code == world.bureau.credit_code + "002"
    assert second.valid_years is None
    assert AuditEvent.objects.filter(event="licenses.type_defined").count() == 2


@pytest.mark.parametrize("kind", ["reviewer", "other_reviewer", "anonymous"])
def test_only_an_editor_of_the_defining_organisation_defines_a_type(
    licence_world, kind
):
    # given
    world = licence_world
    user = {"reviewer": world.reviewer, "other_reviewer": world.other_reviewer}.get(
        kind
    )
    # when
    with pytest.raises(LicenceError) as caught:
        licence_type_define(
            defining_organisation_id=world.bureau.pk,
            name="另一类证照",
            holder_kind="person",
            face_schema=FACE_SCHEMA,
            acting_user=user,
        )
    # then
    assert caught.value.code == errors.NOT_PERMITTED
    assert LicenceType.objects.count() == 1


def test_issue_signs_renders_and_audits(licence_world):
    # given
    world = licence_world
    # when
    licence = world.issue()
    # then
    assert identifiers.is_valid(licence.identifier)
    parsed = identifiers.parse(licence.identifier)
    assert parsed.type_code == world.licence_type.type_code
    assert parsed.issuer_code == world.bureau.credit_code
    assert parsed.version == "001"
    assert licence.status == LicenceStatus.VALID
    assert bytes(licence.file).startswith(b"%PDF")
    assert licence.valid_until == licence.valid_from.replace(
        year=licence.valid_from.year + 3
    ) - datetime.timedelta(days=1)
    assert licence.events.get().kind == "issue"
    issued = AuditEvent.objects.get(event="licenses.issued")
    assert issued.actor == world.reviewer
    assert issued.data["identifier"] == licence.identifier
    assert AuditEvent.objects.filter(
        event="licenses.seal_used", target_id=str(world.seal.pk)
    ).exists()
    assert AuditEvent.objects.filter(event="licenses.seal_registered").count() == 2


def test_serials_count_per_type_and_issuer(licence_world):
    # when
    first, second = licence_world.issue(), licence_world.issue()
    # then
    assert int(second.serial) == int(first.serial) + 1
    assert first.identifier != second.identifier


def test_the_private_key_and_face_data_are_encrypted_at_rest(licence_world):
    # given
    licence = licence_world.issue()
    from django.db import connection

    # when
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT private_key FROM licenses_seal WHERE id = %s",
            [licence_world.seal.pk],
        )
        raw_key = cursor.fetchone()[0]
        cursor.execute(
            "SELECT face_data, signed_metadata FROM licenses_licence WHERE id = %s",
            [licence.pk],
        )
        raw_face, raw_metadata = cursor.fetchone()
    # then
    assert raw_key.startswith("sm4g1:")
    assert licence_world.seal.private_key not in raw_key
    assert raw_face.startswith("sm4g1:") and "中式烹调师" not in raw_face
    assert raw_metadata.startswith("sm4g1:")
    assert licence_world.id_number not in raw_metadata


def test_a_department_cannot_issue_a_type_it_does_not_define(licence_world):
    # given
    world = licence_world
    # when
    with pytest.raises(LicenceError) as caught:
        world.issue(
            issuer_organisation_id=world.other_bureau.pk,
            acting_user=world.other_reviewer,
        )
    # then
    assert caught.value.code == errors.ISSUER_NOT_AUTHORISED
    assert caught.value.status == 403
    assert not Licence.objects.exists()
    assert not AuditEvent.objects.filter(event="licenses.issued").exists()


def test_a_configured_issuing_organisation_may_issue(licence_world):
    # given
    world = licence_world
    world.licence_type.issuing_organisations.add(world.other_bureau)
    # when
    licence = world.issue(
        issuer_organisation_id=world.other_bureau.pk, acting_user=world.other_reviewer
    )
    # then
    assert licence.issuer == world.other_bureau
    assert licence.seal == world.other_seal


def test_staff_of_another_organisation_cannot_issue_for_the_bureau(licence_world):
    # when
    with pytest.raises(LicenceError) as caught:
        licence_world.issue(acting_user=licence_world.other_reviewer)
    # then
    assert caught.value.code == errors.NOT_PERMITTED
    assert not Licence.objects.exists()


def test_face_data_errors_name_the_field_in_chinese(licence_world):
    # when
    with pytest.raises(LicenceError) as caught:
        licence_world.issue(face_data={"gender": "未知", "certificate_number": "12AB"})
    # then
    fields = caught.value.fields
    assert caught.value.code == errors.INVALID_FACE_DATA
    assert fields["face_data.gender"] == ["“性别”取值无效。"]
    assert fields["face_data.qualification"] == ["“资格类别”必填。"]
    assert fields["face_data.certificate_number"] == ["“证书编号”格式不正确。"]
    assert not Licence.objects.exists()


def test_a_bad_holder_code_is_refused(licence_world):
    # when
    with pytest.raises(LicenceError) as caught:
        licence_world.issue(holder_code="210102198503150000")
    # then
    assert caught.value.code == errors.INVALID_HOLDER
    assert "holder_code" in caught.value.fields


def test_change_makes_a_new_version_and_keeps_history(licence_world):
    # given
    world = licence_world
    old = world.issue()
    # when
    new = licence_change(
        identifier=old.identifier,
        face_data={**old.face_data, "qualification": "中式面点师"},
        reason="资格类别更正",
        acting_user=world.reviewer,
    )
    # then
    old.refresh_from_db()
    assert old.status == LicenceStatus.SUPERSEDED
    assert new.previous == old
    assert new.version == 2 and new.serial == old.serial
    assert identifiers.parse(new.identifier).version == "002"
    assert new.identifier != old.identifier
    assert new.face_data["qualification"] == "中式面点师"
    assert old.face_data["qualification"] == "中式烹调师"
    assert list(old.events.values_list("kind", flat=True)) == ["issue", "change"]
    assert list(new.events.values_list("kind", flat=True)) == ["change"]
    changed = AuditEvent.objects.get(event="licenses.changed")
    assert changed.data["previous"] == old.identifier
    assert changed.data["reason"] == "资格类别更正"
    assert json.loads(new.signed_metadata)["holder_code"] == world.id_number


def test_suspend_resume_revoke_need_a_reason_and_follow_the_table(licence_world):
    # given
    world = licence_world
    licence = world.issue()
    # when / then: a reason is required
    with pytest.raises(LicenceError) as caught:
        licence_suspend(
            identifier=licence.identifier, reason=" ", acting_user=world.reviewer
        )
    assert caught.value.code == errors.REASON_REQUIRED
    licence_suspend(
        identifier=licence.identifier, reason="核查中", acting_user=world.reviewer
    )
    licence_resume(
        identifier=licence.identifier, reason="核查完毕", acting_user=world.reviewer
    )
    licence_revoke(
        identifier=licence.identifier, reason="申请注销", acting_user=world.reviewer
    )
    with pytest.raises(LicenceError) as caught:
        licence_resume(
            identifier=licence.identifier, reason="误操作", acting_user=world.reviewer
        )
    assert caught.value.code == errors.INVALID_TRANSITION
    licence.refresh_from_db()
    assert licence.status == LicenceStatus.REVOKED
    assert list(licence.events.values_list("kind", "reason")) == [
        ("issue", ""),
        ("suspend", "核查中"),
        ("resume", "核查完毕"),
        ("revoke", "申请注销"),
    ]
    for event in ("licenses.suspended", "licenses.resumed", "licenses.revoked"):
        record = AuditEvent.objects.get(event=event)
        assert record.actor == world.reviewer
        assert record.data["reason"]


def test_expire_is_daily_and_idempotent(licence_world):
    # given
    world = licence_world
    licence = world.issue()
    kept = world.issue(valid_from=datetime.date.today())
    after = licence.valid_until + datetime.timedelta(days=1)
    licence_suspend(
        identifier=kept.identifier, reason="核查中", acting_user=world.reviewer
    )
    # when
    on_last_day = expire_licences(today=licence.valid_until)
    first = expire_licences(today=after)
    second = expire_licences(today=after)
    # then
    assert (on_last_day, first, second) == (0, 2, 0)
    licence.refresh_from_db()
    assert licence.status == LicenceStatus.EXPIRED
    assert AuditEvent.objects.filter(event="licenses.expired").count() == 2
    assert LicenceEvent.objects.filter(kind="expire").count() == 2


def test_only_an_editor_of_the_organisation_registers_a_seal(licence_world):
    # given
    from zhengwu.licenses.models import Seal
    from zhengwu.licenses.signing import seal_register

    before = Seal.objects.count()
    # when
    with pytest.raises(LicenceError) as caught:
        seal_register(
            organisation=licence_world.bureau,
            name="另一枚印章",
            acting_user=licence_world.reviewer,
        )
    # then
    assert caught.value.code == errors.NOT_PERMITTED
    assert Seal.objects.count() == before


def test_the_expiry_task_runs_the_service_and_is_scheduled(licence_world):
    # given
    from zhengwu.core.schedule import build_schedule
    from zhengwu.licenses.tasks import expire_licences as expire_task

    licence_world.issue()
    # when
    changed = expire_task.call()
    # then
    assert changed == 0  # nothing past its last day yet
    assert "zhengwu.licenses.tasks.expire_licences" in {
        entry.task_path for entry, _seconds in build_schedule()
    }


# --- field errors, far dates, holders, historical issue, serials ----------------------


def test_field_errors_of_the_services_are_422(licence_world):
    with pytest.raises(LicenceError) as face:
        licence_world.issue(face_data={})
    with pytest.raises(LicenceError) as holder:
        licence_world.issue(holder_code="210102198503150000")
    assert face.value.status == 422
    assert holder.value.status == 422


def test_a_first_valid_day_too_far_for_the_validity_is_a_field_error(licence_world):
    # given a type valid 3 years
    far = datetime.date(9998, 6, 1)
    # when
    with pytest.raises(LicenceError) as caught:
        licence_world.issue(valid_from=far)
    # then
    assert caught.value.status == 422
    assert caught.value.code == errors.INVALID_VALIDITY
    assert "valid_from" in caught.value.fields
    assert not Licence.objects.exists()


def test_the_last_day_there_is_still_carries_a_validity_ending_before_it(
    licence_world,
):
    licence = licence_world.issue(valid_from=datetime.date(9996, 2, 29))
    assert licence.valid_until == datetime.date(9999, 2, 27)


def test_unknown_issuing_organisations_are_a_field_error(licence_world):
    with pytest.raises(LicenceError) as caught:
        licence_type_define(
            defining_organisation_id=licence_world.bureau.pk,
            name="特种作业操作证",
            holder_kind="person",
            face_schema=FACE_SCHEMA,
            issuing_organisation_ids=[licence_world.other_bureau.pk, 987654],
            acting_user=licence_world.editor,
        )
    assert caught.value.status == 422
    assert caught.value.fields["issuing_organisation_ids"] == [
        "颁发机构不存在：987654。"
    ]
    assert LicenceType.objects.count() == 1


def test_a_holder_not_on_record_is_refused(licence_world):
    with pytest.raises(LicenceError) as person:
        licence_world.issue(holder_label=f"person:{licence_world.holder.pk + 1000}")
    with pytest.raises(LicenceError) as overflow:
        licence_world.issue(holder_label="person:99999999999999999999")
    assert person.value.fields["holder_label"] == ["持证主体在本系统中不存在。"]
    assert "holder_label" in overflow.value.fields
    assert not Licence.objects.exists()


def test_an_entity_holder_must_be_on_record(licence_world):
    from zhengwu.identity.constants import EntityKind
    from zhengwu.identity.models import LegalEntity
    from zhengwu.identity.tests.person_factories import make_credit_code

    entity_type = licence_type_define(
        defining_organisation_id=licence_world.bureau.pk,
        name="人力资源服务许可证",
        holder_kind="entity",
        face_schema={"type": "object", "properties": {}},
        acting_user=licence_world.editor,
    )
    missing = make_credit_code(9001)
    with pytest.raises(LicenceError) as caught:
        licence_world.issue(
            type_code=entity_type.type_code,
            holder_label=f"entity:{missing}",
            holder_code=missing,
            holder_name="不存在的公司",
            face_data={},
        )
    assert caught.value.fields["holder_label"] == ["持证主体在本系统中不存在。"]
    entity = LegalEntity.objects.create(
        credit_code=make_credit_code(9002),
        name="辽宁示例人力资源有限公司",
        kind=EntityKind.ENTERPRISE,
        legal_representative=licence_world.holder,
    )
    licence = licence_world.issue(
        type_code=entity_type.type_code,
        holder_label=f"entity:{entity.credit_code}",
        holder_code=entity.credit_code,
        holder_name=entity.name,
        face_data={},
    )
    assert licence.holder_label == f"entity:{entity.credit_code}"


def test_a_historical_licence_takes_its_issue_day_year_and_validity(licence_world):
    # when
    licence = licence_world.issue(issued_on=datetime.date(2019, 5, 20))
    # then
    assert licence.serial == "201900000001"
    assert licence.issued_at.astimezone(SHANGHAI).date() == datetime.date(2019, 5, 20)
    assert licence.valid_from == datetime.date(2019, 5, 20)
    assert licence.valid_until == datetime.date(2022, 5, 19)
    metadata = json.loads(licence.signed_metadata)
    assert "2019-05-20" in json.dumps(metadata)


def test_a_historical_issue_day_in_the_future_is_refused(licence_world):
    tomorrow = datetime.datetime.now(SHANGHAI).date() + datetime.timedelta(days=1)
    with pytest.raises(LicenceError) as caught:
        licence_world.issue(issued_on=tomorrow)
    assert caught.value.fields["issued_on"] == ["发证日期不能晚于今天。"]
    with pytest.raises(LicenceError) as backwards:
        licence_world.issue(
            issued_on=datetime.date(2020, 1, 1),
            valid_until=datetime.date(2019, 1, 1),
        )
    assert "valid_until" in backwards.value.fields
    assert not Licence.objects.exists()


def test_the_serial_counter_is_created_by_the_first_issue_and_bumped_after(
    licence_world,
):
    from zhengwu.licenses.models import LicenceSerial
    from zhengwu.licenses.services import _next_serial

    day = datetime.date(2026, 3, 2)
    world = licence_world
    assert not LicenceSerial.objects.exists()
    assert _next_serial(world.licence_type, world.bureau, day) == "202600000001"
    assert _next_serial(world.licence_type, world.bureau, day) == "202600000002"
    assert _next_serial(world.licence_type, world.other_bureau, day) == "202600000001"
    assert (
        LicenceSerial.objects.get(
            licence_type=world.licence_type, issuer=world.bureau
        ).last
        == 2
    )


@pytest.mark.django_db(transaction=True)
def test_first_issues_of_a_pair_do_not_race_on_postgresql(licence_world):
    import threading

    from django.db import connection, transaction

    from zhengwu.licenses.services import _next_serial

    if connection.vendor != "postgresql":
        pytest.skip("row locks under threads need PostgreSQL")
    world = licence_world
    day = datetime.date(2026, 3, 2)
    serials: list[str] = []
    failures: list[BaseException] = []
    barrier = threading.Barrier(8)

    def take() -> None:
        try:
            barrier.wait()
            for _ in range(3):
                with transaction.atomic():
                    serials.append(_next_serial(world.licence_type, world.bureau, day))
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert sorted(serials) == [f"2026{n:08d}" for n in range(1, 25)]


@pytest.mark.parametrize(
    "arguments, field",
    [
        ({"issued_on": datetime.date(1, 1, 1)}, "issued_on"),
        ({"issued_on": datetime.date(1949, 9, 30)}, "issued_on"),
        ({"valid_from": datetime.date(999, 6, 1)}, "valid_from"),
    ],
)
def test_a_day_before_1949_10_01_is_a_field_error_not_a_crash(
    licence_world, arguments, field
):
    with pytest.raises(LicenceError) as caught:
        licence_world.issue(**arguments)
    assert caught.value.fields[field] == [
        f"{'发证日期' if field == 'issued_on' else '有效期起始日期'}"
        "不能早于 1949-10-01。"
    ]
    assert not Licence.objects.exists()
    assert licence_world.issue(issued_on=datetime.date(1949, 10, 1)).serial == (
        "194900000001"
    )


def test_the_serial_year_is_four_digits(licence_world):
    from zhengwu.licenses.services import _next_serial

    day = datetime.date(999, 3, 2)
    assert _next_serial(licence_world.licence_type, licence_world.bureau, day) == (
        "099900000001"
    )


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_face_numbers_are_a_field_error(licence_world, value):
    from zhengwu.licenses.services import face_data_errors, licence_type_define

    schema = {
        "type": "object",
        "properties": {"amount": {"type": "number", "title": "金额"}},
    }
    assert face_data_errors(schema, {"amount": value}) == {
        "face_data.amount": ["“金额”格式不正确。"]
    }
    world = licence_world
    licence_type = licence_type_define(
        defining_organisation_id=world.bureau.pk,
        name="许可",
        holder_kind="person",
        face_schema=schema,
        layout_title="许可",
        valid_years=3,
        acting_user=world.editor,
    )
    with pytest.raises(LicenceError) as caught:
        world.issue(type_code=licence_type.type_code, face_data={"amount": value})
    assert "face_data.amount" in caught.value.fields
    assert not Licence.objects.exists()


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_the_issue_api_refuses_non_finite_numbers(client, licence_world, literal):
    from .test_api import bearer, issue_body

    body = json.dumps(issue_body(licence_world), ensure_ascii=False)
    body = body.replace('"face_data": {', f'"face_data": {{"extra": {literal}, ', 1)
    response = client.post(
        "/api/v1/licenses/licences",
        body,
        content_type="application/json",
        headers=bearer(licence_world.reviewer),
    )
    assert response.status_code == 422, response.content
    assert not Licence.objects.exists()


def test_reserved_serials_are_a_block_and_the_counter_goes_on_after_it(
    licence_world,
):
    from zhengwu.licenses.models import LicenceSerial
    from zhengwu.licenses.services import reserve_serials

    world = licence_world
    assert reserve_serials(world.licence_type, world.bureau, 5) == 1
    assert reserve_serials(world.licence_type, world.bureau, 3) == 6
    licence = world.issue(issued_on=datetime.date(2020, 1, 2), reserved_serial=7)
    assert licence.serial == "202000000007"
    assert world.issue().serial.endswith("00000009")
    assert (
        LicenceSerial.objects.get(
            licence_type=world.licence_type, issuer=world.bureau
        ).last
        == 9
    )


def test_a_person_holder_code_must_be_the_holders_own(licence_world):
    from zhengwu.identity.tests.person_factories import make_citizen

    other = make_citizen("李四", verified=False)
    with pytest.raises(LicenceError) as caught:
        licence_world.issue(holder_code=other.clear_id_number)
    assert caught.value.fields["holder_code"] == ["持证主体代码与持证主体不一致。"]
    assert not Licence.objects.exists()
    old = licence_world.issue()
    with pytest.raises(LicenceError) as caught:
        licence_change(
            identifier=old.identifier,
            face_data=dict(old.face_data),
            reason="更正",
            holder_code=other.clear_id_number,
            acting_user=licence_world.reviewer,
        )
    assert list(caught.value.fields) == ["holder_code"]
