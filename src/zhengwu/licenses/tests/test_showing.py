"""亮证 and 用证: the holder's wallet is filtered by who asks; a show token
releases only the fields the holder picked, expires, is refused when tampered
with and serves one verifier session; every check is recorded with its reason,
and the holder (only) sees the records."""

import datetime

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

import pytest

from zhengwu.core.models import AuditEvent
from zhengwu.identity.facade import person_label_for_user
from zhengwu.identity.tests.person_factories import make_citizen
from zhengwu.licenses import showing, uses
from zhengwu.licenses.errors import LicenceError
from zhengwu.licenses.models import LicenceUse

pytestmark = pytest.mark.django_db


@pytest.fixture
def holder(licence_world):
    return make_citizen("王秀英").user


@pytest.fixture
def other(licence_world):
    return make_citizen("赵强").user


@pytest.fixture
def licence(licence_world, holder):
    return licence_world.issue(holder_label=person_label_for_user(holder))


def _show(holder, licence, fields=("holder_name", "qualification"), **kw):
    return showing.show_licence(holder, licence.pk, fields=list(fields), **kw)


def test_wallet_lists_only_own_licences(licence_world, holder, other, licence):
    licence_world.issue(holder_label=person_label_for_user(other), holder_name="赵强")
    assert [e.identifier for e in showing.wallet(holder)] == [licence.identifier]
    assert showing.wallet(AnonymousUser()) == ()


def test_another_holder_cannot_open_or_download(holder, other, licence):
    with pytest.raises(LicenceError) as error:
        showing.holder_licence(other, licence.pk)
    assert error.value.code == "licenses.not_found"
    with pytest.raises(LicenceError):
        showing.holder_file(other, licence.pk)
    with pytest.raises(LicenceError):
        _show(other, licence)
    assert not AuditEvent.objects.filter(event="licenses.file_downloaded").exists()


def test_download_is_audited(holder, licence):
    name, content = showing.holder_file(holder, licence.pk)
    assert content.startswith(b"%PDF")
    event = AuditEvent.objects.get(event="licenses.file_downloaded")
    assert event.data["identifier"] == licence.identifier


def test_verifier_sees_only_released_fields(holder, licence):
    token = _show(holder, licence)
    assert AuditEvent.objects.filter(event="licenses.shown").count() == 1
    outcome = uses.check_token(
        token.token, reason="入职审核", user=AnonymousUser(), source_ip="10.0.0.8"
    )
    assert outcome.ok and outcome.status == "valid"
    assert [(f.key, f.value) for f in outcome.released] == [
        ("holder_name", "王秀英"),
        ("qualification", "中式烹调师"),
    ]
    use = LicenceUse.objects.get()
    assert use.reason == "入职审核"
    assert use.verifier_label == "anonymous"
    assert use.source_ip == "10.0.0.8"
    assert use.released_fields == ["holder_name", "qualification"]
    assert use.channel == "token"
    assert AuditEvent.objects.filter(event="licenses.used").count() == 1


def test_expired_token_refused(holder, licence, settings):
    settings.ZHENGWU_LICENCE_SHOW_SECONDS = 60
    token = _show(holder, licence)
    later = timezone.now() + datetime.timedelta(seconds=61)
    with pytest.raises(LicenceError) as error:
        uses.check_token(
            token.token, reason="核验", user=None, source_ip=None, now=later
        )
    assert error.value.code == "licenses.token_expired"
    assert not LicenceUse.objects.exists()


def test_replay_by_another_session_refused(holder, licence):
    token = _show(holder, licence)
    first = uses.check_token(token.token, reason="核验", user=None, source_ip=None)
    # the same verifier session may reload what it saw
    again = uses.check_token(
        token.token,
        reason="",
        user=None,
        source_ip=None,
        session_nonces=[first.nonce],
    )
    assert again.released == first.released
    with pytest.raises(LicenceError) as error:
        uses.check_token(token.token, reason="再次核验", user=None, source_ip=None)
    assert error.value.code == "licenses.token_used"
    assert LicenceUse.objects.count() == 1
    assert AuditEvent.objects.filter(event="licenses.token_replayed").count() == 1


@pytest.mark.parametrize("how", ["body", "signature", "fields", "garbage"])
def test_tampered_token_refused(holder, licence, how):
    token = _show(holder, licence, fields=("qualification",)).token
    body, signature = token.split(".")
    if how == "body":
        token = body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + signature
    elif how == "signature":
        token = body + "." + ("0" * 64)
    elif how == "fields":
        payload = showing.read_token(token)
        forged = showing.TokenPayload(
            identifier=payload.identifier,
            holder_digest=payload.holder_digest,
            fields=("qualification", "certificate_number"),
            expires=payload.expires,
            nonce=payload.nonce,
        )
        forged_body = showing.encode_token(forged).split(".")[0]
        token = forged_body + "." + signature  # the old signature
    else:
        token = "not-a-token"
    with pytest.raises(LicenceError) as error:
        uses.check_token(token, reason="核验", user=None, source_ip=None)
    assert error.value.code == "licenses.token_invalid"
    assert not LicenceUse.objects.exists()


def test_reason_required_names_the_field(holder, licence):
    token = _show(holder, licence)
    with pytest.raises(LicenceError) as error:
        uses.check_token(token.token, reason="  ", user=None, source_ip=None)
    assert "reason" in error.value.fields
    assert not LicenceUse.objects.exists()


def test_release_nothing_or_unknown_field_refused(holder, licence):
    for fields in ((), ("salary",)):
        with pytest.raises(LicenceError) as error:
            _show(holder, licence, fields=fields)
        assert "fields" in error.value.fields
    assert not AuditEvent.objects.filter(event="licenses.shown").exists()


def test_revoked_licence_cannot_be_shown(licence_world, holder, licence):
    from zhengwu.licenses.services import licence_revoke

    licence_revoke(
        identifier=licence.identifier,
        reason="撤销",
        acting_user=licence_world.reviewer,
    )
    with pytest.raises(LicenceError) as error:
        _show(holder, licence)
    assert error.value.code == "licenses.not_showable"


def test_use_records_visible_to_holder_only(holder, other, licence):
    uses.check_identifier(
        licence.identifier, reason="银行开户", user=other, source_ip="10.1.1.1"
    )
    records = showing.holder_licence(holder, licence.pk).uses
    assert [(r.reason, r.verifier, r.channel_label) for r in records] == [
        ("银行开户", f"user:{other.get_username()}", "证照标识")
    ]
    with pytest.raises(LicenceError):
        showing.holder_licence(other, licence.pk)


def test_file_check_recorded_and_tampered_file_invalid(holder, licence):
    content = bytes(licence.file)
    good = uses.check_file(content, reason="核验", user=None, source_ip=None)
    assert good.ok and good.released == ()
    bad = uses.check_file(
        content.replace(b"%%EOF", b"%%EOF\n%x"),
        reason="核验",
        user=None,
        source_ip=None,
    )
    assert bad.found and not bad.file_digest_ok and not bad.ok
    assert list(LicenceUse.objects.values_list("result", flat=True)) == [
        "invalid",
        "valid",
    ]


def test_representative_sees_the_entity_licence(licence_world, other):
    from zhengwu.identity.constants import EntityKind
    from zhengwu.identity.models import LegalEntity
    from zhengwu.identity.tests.person_factories import make_credit_code
    from zhengwu.licenses.services import licence_type_define

    representative = make_citizen("孙九")
    credit_code = make_credit_code()
    LegalEntity.objects.create(
        credit_code=credit_code,
        name="辽宁示例科技有限公司",
        kind=EntityKind.ENTERPRISE,
        legal_representative=representative,
    )
    entity_type = licence_type_define(
        defining_organisation_id=licence_world.bureau.pk,
        name="人力资源服务许可证",
        holder_kind="entity",
        face_schema={
            "type": "object",
            "properties": {"scope": {"type": "string", "title": "服务范围"}},
            "required": ["scope"],
        },
        layout_title="人力资源服务许可证",
        valid_years=None,
        acting_user=licence_world.editor,
    )
    licence = licence_world.issue(
        type_code=entity_type.type_code,
        holder_label=f"entity:{credit_code}",
        holder_code=credit_code,
        holder_name="辽宁示例科技有限公司",
        face_data={"scope": "职业介绍"},
    )
    assert [e.identifier for e in showing.wallet(representative.user)] == [
        licence.identifier
    ]
    token = _show(representative.user, licence, fields=("scope",))
    outcome = uses.check_token(token.token, reason="招投标", user=other, source_ip=None)
    assert [(f.label, f.value) for f in outcome.released] == [("服务范围", "职业介绍")]
    assert showing.wallet(other) == ()
    with pytest.raises(LicenceError):
        showing.holder_licence(other, licence.pk)


# --- privacy of the show token ---------------------------------------------------


def _token_body(token: str) -> dict:
    import base64
    import json

    body = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def test_token_carries_no_holder_label(holder, licence):
    token = _show(holder, licence).token
    body = _token_body(token)
    label = licence.holder_label
    assert label not in token and label not in json_text(body)
    assert str(holder.pk) not in {str(v) for v in body.values()}
    assert body["hd"] == showing.holder_digest(label)
    assert body["hd"] != showing.holder_digest("person:999999")
    outcome = uses.check_token(token, reason="核验", user=None, source_ip=None)
    assert outcome.ok


def json_text(value) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def test_old_format_token_with_raw_label_fails(holder, licence):
    # given a token in the old format: the raw holder label, validly signed
    import time

    body = showing._b64(
        showing.canonical_json(
            {
                "e": int(time.time()) + 300,
                "f": ["holder_name"],
                "h": licence.holder_label,
                "i": licence.identifier,
                "n": "0" * 32,
            }
        ).encode()
    )
    token = f"{body}.{showing.hmac_sm3_hex(showing._show_key(), body.encode())}"
    # when the verifier checks it, then it is refused and nothing is recorded
    with pytest.raises(LicenceError) as error:
        uses.check_token(token, reason="核验", user=None, source_ip=None)
    assert error.value.code == "licenses.token_invalid"
    with pytest.raises(LicenceError):
        uses.preview_token(token)
    assert not LicenceUse.objects.exists()


def test_token_of_another_holder_refused(licence_world, holder, other, licence):
    # a genuine token whose holder digest names someone else (e.g. the licence
    # was issued to another holder) is refused
    token = _show(holder, licence).token
    payload = showing.read_token(token)
    forged = showing.encode_token(
        showing.TokenPayload(
            identifier=payload.identifier,
            holder_digest=showing.holder_digest(person_label_for_user(other)),
            fields=payload.fields,
            expires=payload.expires,
            nonce=payload.nonce,
        )
    )
    with pytest.raises(LicenceError) as error:
        uses.check_token(forged, reason="核验", user=None, source_ip=None)
    assert error.value.code == "licenses.token_invalid"
    assert not LicenceUse.objects.exists()
