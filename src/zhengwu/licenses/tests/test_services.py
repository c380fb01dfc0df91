"""Licence types, issue, change, suspend, resume, revoke, expire."""

import datetime
import json

import pytest

from zhengwu.core.models import AuditEvent
from zhengwu.licenses import errors, identifiers
from zhengwu.licenses.constants import LicenceStatus
from zhengwu.licenses.errors import LicenceError
from zhengwu.licenses.models import Licence, LicenceEvent, LicenceType
from zhengwu.licenses.services import (
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
