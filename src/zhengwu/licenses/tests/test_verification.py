"""Verification: signature, metadata, file digest and status."""

import datetime
import json

import pytest

from zhengwu.licenses import documents, signing
from zhengwu.licenses.facade import (
    issue_from_decision,
    licence_by_identifier,
    licences_for_holder,
)
from zhengwu.licenses.models import Licence
from zhengwu.licenses.services import licence_revoke, licence_suspend
from zhengwu.licenses.verification import verify, verify_file

from .factories import FACE_DATA


def test_sm2_sign_and_verify(licence_world):
    # given
    seal = licence_world.seal
    # when
    signature = signing.sign(seal=seal, payload="载荷", licence_identifier="x")
    # then
    assert signing.verify_signature(
        public_key_hex=seal.public_key, payload="载荷", signature_hex=signature
    )
    assert not signing.verify_signature(
        public_key_hex=seal.public_key, payload="载荷!", signature_hex=signature
    )
    assert not signing.verify_signature(
        public_key_hex=licence_world.other_seal.public_key,
        payload="载荷",
        signature_hex=signature,
    )
    assert not signing.verify_signature(
        public_key_hex=seal.public_key, payload="载荷", signature_hex="00ff"
    )


def test_an_issued_licence_verifies(licence_world):
    # given
    licence = licence_world.issue()
    # when
    result = verify(licence.identifier)
    by_file = verify_file(bytes(licence.file))
    # then
    assert result.ok and by_file.ok
    assert result.status == "valid"
    assert by_file.identifier == licence.identifier


def test_a_tampered_metadata_field_is_detected(licence_world):
    # given
    licence = licence_world.issue()
    metadata = json.loads(licence.signed_metadata)
    metadata["holder_name"] = "李四"
    Licence.objects.filter(pk=licence.pk).update(
        signed_metadata=signing.canonical_json(metadata), holder_name="李四"
    )
    # when
    result = verify(licence.identifier)
    # then
    assert not result.signature_ok
    assert not result.ok


def test_a_tampered_row_is_detected_against_the_signed_metadata(licence_world):
    # given
    licence = licence_world.issue()
    Licence.objects.filter(pk=licence.pk).update(
        valid_until=datetime.date(2099, 12, 31)
    )
    # when
    result = verify(licence.identifier)
    # then
    assert result.signature_ok
    assert not result.metadata_ok
    assert not result.ok


def test_a_tampered_file_is_detected(licence_world):
    # given
    licence = licence_world.issue()
    content = bytes(licence.file)
    tampered = content.replace(
        "王秀英".encode("utf-16-be"), "李四某".encode("utf-16-be")
    )
    tampered = tampered if tampered != content else content + b"%tampered\n"
    # when
    uploaded = verify_file(tampered)
    Licence.objects.filter(pk=licence.pk).update(file=tampered)
    stored = verify(licence.identifier)
    # then
    assert uploaded.found and uploaded.identifier == licence.identifier
    assert uploaded.signature_ok
    assert not uploaded.file_digest_ok and not uploaded.ok
    assert not stored.file_digest_ok and not stored.ok


def test_an_unknown_file_is_not_found(licence_world):
    # when
    result = verify_file(b"%PDF-1.4 nothing here")
    # then
    assert not result.found and not result.ok


@pytest.mark.parametrize("state", ["suspended", "revoked", "expired"])
def test_status_is_reported(licence_world, state):
    # given
    world = licence_world
    licence = world.issue()
    today = None
    if state == "suspended":
        licence_suspend(
            identifier=licence.identifier, reason="核查", acting_user=world.reviewer
        )
    elif state == "revoked":
        licence_revoke(
            identifier=licence.identifier, reason="注销", acting_user=world.reviewer
        )
    else:
        today = licence.valid_until + datetime.timedelta(days=1)  # before the task runs
    # when
    result = verify(licence.identifier, today=today)
    # then
    assert result.status == state
    assert result.signature_ok and result.file_digest_ok and result.metadata_ok
    assert not result.ok


def test_a_wrong_check_character_is_not_looked_up(licence_world):
    # given
    licence = licence_world.issue()
    last = licence.identifier[-1]
    wrong = licence.identifier[:-1] + ("0" if last != "0" else "1")
    # when
    result = verify(wrong)
    # then
    assert not result.check_character_ok and not result.found


def test_the_pdf_is_deterministic_and_draws_a_seal_and_qr(licence_world):
    # given
    layout = documents.LicenceLayout(
        title="职业资格证书",
        identifier="1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U",
        holder_name="王秀英",
        face_rows=(("性别", "女"),),
        issuer_name="沈阳市人力资源和社会保障局",
        issued_on=datetime.date(2026, 11, 27),
        valid_from=datetime.date(2026, 11, 27),
        valid_until=None,
        seal_name="沈阳市人力资源和社会保障局",
        seal_image=None,
    )
    # when
    first, second = documents.licence_pdf(layout), documents.licence_pdf(layout)
    # then
    assert first == second
    assert first.startswith(b"%PDF")
    assert layout.identifier.encode() in first


def test_facade_returns_frozen_summaries(licence_world):
    # given
    world = licence_world
    # when
    summary = issue_from_decision(
        type_code=world.licence_type.type_code,
        issuer_organisation_id=world.bureau.pk,
        holder_label=world.holder_label,
        holder_code=world.id_number,
        holder_name="赵六",
        face_data=dict(FACE_DATA),
        source_case_number="1121010000000000000000000000000202611270002",
    )
    # then
    assert licence_by_identifier(summary.identifier) == summary
    assert licences_for_holder(world.holder_label) == (summary,)
    assert licences_for_holder("person:8") == ()
    with pytest.raises(AttributeError):
        summary.status = "revoked"  # type: ignore[misc]
    from zhengwu.core.models import AuditEvent

    issued = AuditEvent.objects.get(event="licenses.issued")
    assert issued.actor is None and issued.actor_label == "system:decision"
