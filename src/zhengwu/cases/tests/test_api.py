"""The cases API end to end on the real database: idempotent application, drafts,
materials, the case as its applicant sees it (masked), the staff acceptance, and
422s that name the field for bad bodies (never a 500)."""

import datetime
import re
import secrets

from django.utils import timezone

import pytest

from zhengwu.cases import services
from zhengwu.cases.constants import CaseStatus
from zhengwu.cases.models import Case, CaseMaterial
from zhengwu.cases.tests.factories import (
    CONTACT_FORM,
    PDF_BYTES,
    apply,
)
from zhengwu.core.models import AuditEvent

API = "/api/v1/cases"


def bearer(user) -> dict[str, str]:
    """An OIDC access token with the ``api`` scope for ``user``."""
    from oauth2_provider.models import (
        AccessToken,
        set_token_value,  # type: ignore[attr-defined]
    )

    from zhengwu.identity.tests.oidc_support import register

    registered = register(
        f"办件接口{secrets.token_hex(3)}",
        "https://app.example.gov.cn/cb",
        scopes=("openid", "api"),
    )
    raw = secrets.token_urlsafe(30)
    token = AccessToken(
        user=user,
        application=registered.application,
        scope="openid api",
        expires=timezone.now() + datetime.timedelta(minutes=10),
    )
    set_token_value(token, raw)
    token.save()
    return {"Authorization": f"Bearer {raw}"}


def body(world, **extra):
    return {"listing_code": world.listing_a, "form_data": dict(CONTACT_FORM), **extra}


def _draft_with_materials(client, headers, world) -> int:
    response = client.post(
        f"{API}/drafts", body(world), content_type="application/json", headers=headers
    )
    assert response.status_code == 201, response.content
    case_id = response.json()["id"]
    for name in ("居民身份证", "申请表"):
        upload = client.post(
            f"{API}/{case_id}/materials",
            {"material_name": name, "file": _pdf(f"{name}.pdf")},
            headers=headers,
        )
        assert upload.status_code == 201, upload.content
    return case_id


def _pdf(name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


# --- idempotent submission ---------------------------------------------------------


def test_apply_twice_with_the_same_idempotency_key_makes_one_case(client, world):
    # given a citizen's materials on an earlier draft are not needed: the draft is
    # submitted by the submit call, with the key in the header
    headers = bearer(world.citizen.user)
    case_id = _draft_with_materials(client, headers, world)
    key = {"Idempotency-Key": "0f3c1b2a-retry-key"}
    # when the same submission arrives twice
    first = client.post(
        f"{API}/{case_id}/submit",
        {},
        content_type="application/json",
        headers={**headers, **key},
    )
    second = client.post(
        f"{API}/{case_id}/submit",
        {},
        content_type="application/json",
        headers={**headers, **key},
    )
    # then one submitted case with one number
    assert first.status_code == 200, first.content
    assert second.status_code == 200
    assert first.json()["number"] == second.json()["number"]
    assert first.json()["status"] == CaseStatus.SUBMITTED
    assert (
        AuditEvent.objects.filter(
            event="cases.submitted", target_id=str(case_id)
        ).count()
        == 1
    )


def test_post_cases_is_201_then_200_for_a_retry(client, world):
    # given a case applied for through the service once (materials attached there)
    user = world.citizen.user
    case = apply(user, world.listing_a, key="mobile-app-key-0001")
    headers = bearer(user)
    # when the app retries the same application with that key
    response = client.post(
        f"{API}/",
        body(world),
        content_type="application/json",
        headers={**headers, "Idempotency-Key": "mobile-app-key-0001"},
    )
    # then it gets the same case back (200) and nothing new exists
    assert response.status_code == 200, response.content
    assert response.json()["id"] == case.pk
    assert Case.objects.filter(applicant=user).count() == 1


def test_post_cases_body_key_same_as_header_key(client, world):
    # given
    user = world.citizen.user
    case = apply(user, world.listing_a, key="body-key-000000001")
    # when the key comes in the body instead of the header
    response = client.post(
        f"{API}/",
        body(world, submission_key="body-key-000000001"),
        content_type="application/json",
        headers=bearer(user),
    )
    # then
    assert response.status_code == 200
    assert response.json()["id"] == case.pk
    assert Case.objects.filter(applicant=user).count() == 1


def test_post_cases_first_time_is_201_with_a_case_number(client, world):
    # given a listing without necessary materials (nothing to upload first)
    from zhengwu.cases.tests.factories import published_listing
    from zhengwu.catalog.tests.factories import complete_guide

    code = published_listing(world.org_a, guide=complete_guide(materials=[]))
    headers = {**bearer(world.citizen.user), "Idempotency-Key": "first-key-0000001"}
    payload = {"listing_code": code, "form_data": dict(CONTACT_FORM)}
    # when it is applied for twice with one key
    first = client.post(
        f"{API}/", payload, content_type="application/json", headers=headers
    )
    again = client.post(
        f"{API}/", payload, content_type="application/json", headers=headers
    )
    # then 201 with the number, then 200 with the same case
    assert first.status_code == 201, first.content
    assert first.json()["number"].startswith(code)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    # and the 201 (built from the case in hand) says what reading it again says
    assert first.json() == again.json()
    assert Case.objects.filter(applicant=world.citizen.user).count() == 1


def test_a_key_reused_for_another_listing_is_a_conflict(client, world):
    # given
    user = world.citizen.user
    apply(user, world.listing_a, key="reused-key-0000001")
    # when the same key comes with another listing
    response = client.post(
        f"{API}/",
        {"listing_code": world.listing_b, "form_data": {}},
        content_type="application/json",
        headers={**bearer(user), "Idempotency-Key": "reused-key-0000001"},
    )
    # then
    assert response.status_code == 409
    assert response.json()["code"] == "cases.submission_key_reused"
    assert Case.objects.filter(applicant=user).count() == 1


def test_a_key_of_another_case_does_not_submit_this_one(client, world):
    # given one submitted case and a second draft
    user = world.citizen.user
    headers = bearer(user)
    apply(user, world.listing_a, key="used-key-00000001")
    draft = _draft_with_materials(client, headers, world)
    # when the draft is submitted with the first case's key
    response = client.post(
        f"{API}/{draft}/submit",
        {},
        content_type="application/json",
        headers={**headers, "Idempotency-Key": "used-key-00000001"},
    )
    # then a conflict, and the draft stays a draft
    assert response.status_code == 409
    assert Case.objects.get(pk=draft).status == CaseStatus.DRAFT


def test_a_malformed_idempotency_key_is_422_naming_the_header(client, world):
    response = client.post(
        f"{API}/",
        body(world),
        content_type="application/json",
        headers={**bearer(world.citizen.user), "Idempotency-Key": "short"},
    )
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["fields"]
    assert not Case.objects.exists()


# --- reading a case ---------------------------------------------------------------


def test_the_applicant_sees_the_case_masked(client, world):
    # given
    user = world.citizen.user
    case = apply(user, world.listing_a)
    # when
    response = client.get(f"{API}/{case.pk}", headers=bearer(user))
    # then status, deadline, materials; personal data only masked
    assert response.status_code == 200
    data = response.json()
    assert data["number"] == case.number
    assert data["status"] == CaseStatus.SUBMITTED
    assert {m["material_name"] for m in data["materials"]} == {"居民身份证", "申请表"}
    text = response.content.decode()
    assert world.citizen.clear_id_number not in text
    assert re.fullmatch(r"1[0-9]{2}\*{4}[0-9]{4}", data["contact_mobile_masked"])
    assert "*" in data["applicant_name_masked"]


def test_my_cases_are_keyset_paged(client, world):
    # given three cases
    user = world.citizen.user
    cases = [apply(user, world.listing_a) for _ in range(3)]
    headers = bearer(user)
    # when read two at a time
    first = client.get(f"{API}/?limit=2", headers=headers).json()
    second = client.get(
        f"{API}/?limit=2&after={first['next_cursor']}", headers=headers
    ).json()
    # then newest first, every case once
    ids = [c["id"] for c in first["items"] + second["items"]]
    assert ids == sorted((c.pk for c in cases), reverse=True)
    assert second["next_cursor"] is None


def test_timeline_lists_the_steps(client, world):
    user = world.citizen.user
    case = apply(user, world.listing_a)
    response = client.get(f"{API}/{case.pk}/timeline", headers=bearer(user))
    assert response.status_code == 200
    entries = response.json()
    submitted = next(e for e in entries if e["event"] == "cases.submitted")
    assert submitted["actor"] == "本人"
    assert submitted["detail"]["number"] == case.number


def test_the_applicant_sees_staff_as_staff_on_the_timeline(client, world):
    # given a case a reviewer handed over to a colleague with a note
    user = world.citizen.user
    case = apply(user, world.listing_a)
    client.post(
        f"{API}/{case.pk}/accept",
        {},
        content_type="application/json",
        headers=bearer(world.reviewer_a),
    )
    # when the applicant and the reviewer read the timeline
    mine = client.get(f"{API}/{case.pk}/timeline", headers=bearer(user)).json()
    staff = client.get(
        f"{API}/{case.pk}/timeline", headers=bearer(world.reviewer_a)
    ).json()
    # then the applicant sees "工作人员", never the reviewer's account
    accepted = next(e for e in mine if e["event"] == "cases.accepted")
    assert accepted["actor"] == "工作人员"
    assert world.reviewer_a.username not in str(mine)
    assert any(e["actor"] == world.reviewer_a.username for e in staff)


def test_the_applicant_downloads_their_own_material(client, world):
    user = world.citizen.user
    case = apply(user, world.listing_a)
    material = CaseMaterial.objects.filter(case=case).first()
    response = client.get(f"{API}/files/{material.file_id}", headers=bearer(user))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["X-Content-Type-Options"] == "nosniff"


def test_form_spec_prefills_what_the_platform_knows(client, world):
    response = client.get(
        f"{API}/form/{world.listing_a}", headers=bearer(world.citizen.user)
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["listing_code"] == world.listing_a
    assert {m["name"] for m in data["materials"]} == {"居民身份证", "申请表"}
    assert isinstance(data["prefill"], dict)


def test_form_spec_of_an_unknown_listing_is_404(client, world):
    response = client.get(f"{API}/form/{'9' * 31}", headers=bearer(world.citizen.user))
    assert response.status_code == 404


# --- staff ---------------------------------------------------------------------------


def test_the_reviewer_accepts_through_the_api(client, world):
    # given a submitted case of department A
    case = apply(world.citizen.user, world.listing_a)
    # when A's reviewer accepts it with a token
    response = client.post(
        f"{API}/{case.pk}/accept",
        {"opinion": "材料齐全"},
        content_type="application/json",
        headers=bearer(world.reviewer_a),
    )
    # then
    assert response.status_code == 200, response.content
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED
    inbox = client.get(f"{API}/tasks", headers=bearer(world.reviewer_a))
    assert inbox.status_code == 200
    assert {t["case_id"] for t in inbox.json()["items"]} == {case.pk}


def test_a_supplement_request_lists_everything_at_once(client, world):
    case = apply(world.citizen.user, world.listing_a)
    response = client.post(
        f"{API}/{case.pk}/request-supplement",
        {
            "items": [
                {"material": "申请表", "reason": "未签字"},
                {"material": "", "reason": "联系电话有误"},
            ]
        },
        content_type="application/json",
        headers=bearer(world.reviewer_a),
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == CaseStatus.SUPPLEMENT_REQUESTED
    assert len(data["supplements"][0]["items"]) == 2


# --- bad input: 422 naming the field, never 500 ----------------------------------


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"listing_code": 12, "form_data": {}}, "listing_code"),
        ({"listing_code": "x" * 31, "form_data": {}}, "listing_code"),
        ({"listing_code": "1" * 31, "form_data": []}, "form_data"),
        ({"listing_code": "1" * 31, "form_data": {"a": "\x00"}}, "form_data"),
        ({"listing_code": "1" * 31, "form_data": {"a": 2**70}}, "form_data"),
        ({"listing_code": "1" * 31, "form_data": {"\x00": 1}}, "form_data"),
        (
            {"listing_code": "1" * 31, "form_data": {"a": [[[[[[[[1]]]]]]]]}},
            "form_data",
        ),
        ({"listing_code": "1" * 31, "submission_key": "a\x00b" * 5}, "submission_key"),
        (
            {"listing_code": "1" * 31, "handling_item_code": "?" * 9},
            "handling_item_code",
        ),
    ],
)
def test_bad_application_bodies_are_422_naming_the_field(client, world, payload, field):
    response = client.post(
        f"{API}/",
        payload,
        content_type="application/json",
        headers=bearer(world.citizen.user),
    )
    assert response.status_code == 422, response.content
    assert any(key.startswith(field) for key in response.json()["fields"])
    assert not Case.objects.exists()


def test_nan_in_a_form_is_422(client, world):
    response = client.post(
        f"{API}/",
        f'{{"listing_code": "{world.listing_a}", "form_data": {{"a": NaN}}}}',
        content_type="application/json",
        headers=bearer(world.citizen.user),
    )
    assert response.status_code in (400, 422)
    assert not Case.objects.exists()


def test_an_unknown_listing_code_is_refused_without_a_case(client, world):
    response = client.post(
        f"{API}/",
        {"listing_code": "9" * 31, "form_data": {}},
        content_type="application/json",
        headers=bearer(world.citizen.user),
    )
    assert response.status_code in (404, 422)
    assert response.json()["code"].startswith("cases.")
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/{big}"),
        ("get", "/{big}/timeline"),
        ("get", "/{big}/result"),
        ("post", "/{big}/withdraw"),
        ("post", "/{big}/accept"),
        ("post", "/tasks/{big}/claim"),
        ("post", "/extensions/{big}/decide"),
    ],
)
def test_ids_beyond_64_bits_are_422(client, world, method, path):
    url = API + path.format(big=2**63)
    response = getattr(client, method)(
        url, {}, content_type="application/json", headers=bearer(world.reviewer_a)
    )
    assert response.status_code == 422, (url, response.content)


def test_a_task_cursor_that_is_not_one_is_422(client, world):
    response = client.get(
        f"{API}/tasks?cursor=2026-13-99:1'--", headers=bearer(world.reviewer_a)
    )
    assert response.status_code == 422
    assert "cursor" in response.json()["fields"]


def test_an_anonymous_caller_is_401(client, world):
    response = client.get(f"{API}/")
    assert response.status_code == 401
    assert response.json()["code"] == "auth.required"


@pytest.mark.parametrize(
    "path, user",
    [
        ("/?limit=0", "citizen"),
        ("/?limit=101", "citizen"),
        ("/?after=-1", "citizen"),
        (f"/?after={2**64}", "citizen"),
        ("/?status=bogus", "citizen"),
        ("/messages?after=abc", "citizen"),
        ("/tasks?mine=maybe", "reviewer"),
        ("/tasks?status=%00", "reviewer"),
        ("/tasks?cursor=%00", "reviewer"),
        ("/tasks?listing_code=" + "x" * 500, "reviewer"),
        ("/form/short", "citizen"),
        ("/files/not-a-uuid", "citizen"),
    ],
)
def test_bad_queries_are_422(client, world, path, user):
    who = world.citizen.user if user == "citizen" else world.reviewer_a
    response = client.get(API + path, headers=bearer(who))
    assert response.status_code == 422, (path, response.content)
    assert response.json()["fields"]


def test_openapi_names_the_auth_and_errors_of_every_operation(client):
    document = client.get("/api/v1/openapi.json").json()
    public = {"/api/v1/appointments/halls", "/api/v1/appointments/slots"}
    operations = [
        (path, method, operation)
        for path, methods in document["paths"].items()
        if path.startswith(("/api/v1/cases/", "/api/v1/appointments/"))
        and "/callbacks/" not in path
        for method, operation in methods.items()
    ]
    assert len(operations) > 40
    for path, method, operation in operations:
        if path in public:
            assert "security" not in operation, path
            continue
        assert operation["security"] == [
            {"BearerTokenAuth": []},
            {"SessionAuth": []},
        ], (path, method)
        statuses = set(operation["responses"])
        if operation.get("requestBody") or operation.get("parameters"):
            assert "422" in statuses, (path, method)
        assert {"401", "403", "404"} <= statuses, (path, method)


def test_a_form_number_out_of_range_says_why_in_chinese(client, world):
    # given a form value beyond what JSON numbers carry exactly
    payload = {"listing_code": world.listing_a, "form_data": {"a": 2**70}}
    # when
    response = client.post(
        f"{API}/",
        payload,
        content_type="application/json",
        headers=bearer(world.citizen.user),
    )
    # then the field's reason is the validator's own message, not a generic one
    assert response.status_code == 422
    reasons = [r for key, rs in response.json()["fields"].items() for r in rs]
    assert "数值超出允许范围。" in reasons
    assert not Case.objects.exists()


def test_the_inbox_api_filters_by_case_status_item_and_warning(client, world):
    # given an accepted case of department A with an open review task
    case = apply(world.citizen.user, world.listing_a)
    services.case_accept(case_id=case.pk, acting_user=world.reviewer_a)
    headers = bearer(world.reviewer_a)

    def case_ids(query: str) -> set[int]:
        response = client.get(f"{API}/tasks?{query}", headers=headers)
        assert response.status_code == 200, response.content
        return {t["case_id"] for t in response.json()["items"]}

    # then the filters the workbench page offers work through the API too
    assert case_ids("case_status=accepted") == {case.pk}
    assert case_ids("case_status=submitted") == set()
    assert case_ids(f"item={world.listing_a}") == {case.pk}
    assert case_ids("item=没有这个事项") == set()
    assert case_ids("warning=true") == set()  # far from its due date
    assert (
        client.get(f"{API}/tasks?case_status=bogus", headers=headers).status_code == 422
    )


def test_case_status_names_in_the_api_are_the_case_statuses():
    from typing import get_args

    from zhengwu.cases.schemas import CaseStatusName

    assert set(get_args(CaseStatusName)) == set(CaseStatus.values)
