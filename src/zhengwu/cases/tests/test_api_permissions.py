"""Who may read and act on a case through the API: a citizen never reaches another
citizen's case or files by guessing ids (404, as if it did not exist); staff of
department B neither see nor act on department A's cases; every refusal leaves no
trace of the refused change. Ends with a fuzz of the main request bodies: whatever
is sent, the answer is never a 5xx."""

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhengwu.cases import files
from zhengwu.cases.constants import CaseStatus, TaskStatus
from zhengwu.cases.models import Case, CaseMaterial, CaseTask, ClockPause, Extension
from zhengwu.cases.tests.factories import (
    PDF_BYTES,
    apply,
)
from zhengwu.cases.tests.test_api import bearer
from zhengwu.core.models import AuditEvent

API = "/api/v1/cases"


def _decided_case(world) -> Case:
    """A's case with a result document, as if decided."""
    case = apply(world.citizen.user, world.listing_a)
    document = files.store_generated(
        content=PDF_BYTES, filename="决定书.pdf", content_type="application/pdf"
    )
    Case.objects.filter(pk=case.pk).update(
        status=CaseStatus.APPROVED, result_document=document
    )
    case.refresh_from_db()
    return case


def _headers(world, kind: str) -> dict[str, str]:
    users = {
        "owner": world.citizen.user,
        "other_citizen": world.other_citizen.user,
        "reviewer_a": world.reviewer_a,
        "reviewer_b": world.reviewer_b,
        "clerk_a": world.clerk_a,
        "editor_a": world.editor_a,
    }
    return {} if kind == "anonymous" else bearer(users[kind])


# --- a citizen and another citizen's case ----------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/{case}",
        "/{case}/timeline",
        "/{case}/result",
        "/{case}/payment",
        "/files/{material_file}",
        "/files/{result_file}",
    ],
)
def test_a_citizen_cannot_read_another_citizens_case_by_guessing(client, world, path):
    # given A's decided case with a material and a result document
    case = _decided_case(world)
    material = CaseMaterial.objects.filter(case=case).first()
    url = API + path.format(
        case=case.pk,
        material_file=material.file_id,
        result_file=case.result_document_id,
    )
    downloads = AuditEvent.objects.filter(event="cases.file_downloaded").count()
    # when another citizen asks for it
    response = client.get(url, headers=bearer(world.other_citizen.user))
    # then it does not exist for them, and nothing was handed out
    assert response.status_code == 404, response.content
    assert response.json()["code"].startswith("cases.")
    assert AuditEvent.objects.filter(event="cases.file_downloaded").count() == downloads
    # and the owner gets it
    assert client.get(url, headers=bearer(world.citizen.user)).status_code == 200


def test_a_missing_and_a_foreign_case_answer_alike(client, world):
    # given
    case = apply(world.citizen.user, world.listing_a)
    headers = bearer(world.other_citizen.user)
    # when
    foreign = client.get(f"{API}/{case.pk}", headers=headers)
    missing = client.get(f"{API}/{case.pk + 1000}", headers=headers)
    # then the two answers are the same
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()


def test_another_citizens_cases_are_not_listed(client, world):
    apply(world.citizen.user, world.listing_a)
    response = client.get(f"{API}/", headers=bearer(world.other_citizen.user))
    assert response.status_code == 200
    assert response.json()["items"] == []


@pytest.mark.parametrize(
    "method, path, payload, event",
    [
        ("post", "/{case}/withdraw", {}, "cases.withdrawn"),
        ("post", "/{case}/supplement", {"note": "补"}, "cases.supplemented"),
        ("post", "/{case}/rating", {"level": 1}, "cases.rated"),
        ("post", "/{case}/delivery", {"method": "pickup"}, "cases.delivery_chosen"),
        (
            "post",
            "/{case}/materials/reuse",
            {"material_name": "申请表", "source_material_id": 1},
            "cases.material_reused",
        ),
        ("patch", "/drafts/{case}", {"form_data": {}}, "cases.draft_saved"),
        ("post", "/{case}/submit", {}, "cases.submitted"),
    ],
)
def test_a_citizen_cannot_act_on_another_citizens_case(
    client, world, method, path, payload, event
):
    # given A's submitted case and the events it has so far
    case = apply(world.citizen.user, world.listing_a)
    before = AuditEvent.objects.filter(event=event).count()
    # when another citizen tries to change it
    response = getattr(client, method)(
        API + path.format(case=case.pk),
        payload,
        content_type="application/json",
        headers=bearer(world.other_citizen.user),
    )
    # then 404 and nothing happened
    assert response.status_code == 404, response.content
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    assert AuditEvent.objects.filter(event=event).count() == before


def test_a_citizen_cannot_upload_into_another_citizens_case(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = apply(world.citizen.user, world.listing_a)
    count = CaseMaterial.objects.filter(case=case).count()
    response = client.post(
        f"{API}/{case.pk}/materials",
        {
            "material_name": "申请表",
            "file": SimpleUploadedFile("x.pdf", PDF_BYTES, "application/pdf"),
        },
        headers=bearer(world.other_citizen.user),
    )
    assert response.status_code == 404
    assert CaseMaterial.objects.filter(case=case).count() == count


# --- staff of one department and another's cases ----------------------------------


@pytest.mark.parametrize(
    "kind, status",
    [
        ("anonymous", 401),
        ("owner", 403),
        ("other_citizen", 403),
        ("editor_a", 404),
        ("reviewer_b", 404),
        ("clerk_a", 200),
        ("reviewer_a", 200),
    ],
)
def test_accept_case_permissions(client, world, kind, status):
    # given department A's submitted case
    case = apply(world.citizen.user, world.listing_a)
    # when
    response = client.post(
        f"{API}/{case.pk}/accept",
        {"opinion": "同意受理"},
        content_type="application/json",
        headers=_headers(world, kind),
    )
    # then only A's case staff accept; everyone else leaves no trace
    allowed = status == 200
    assert response.status_code == status, response.content
    case.refresh_from_db()
    assert (case.status == CaseStatus.ACCEPTED) is allowed
    assert AuditEvent.objects.filter(event="cases.accepted").exists() is allowed
    assert CaseTask.objects.filter(case=case).exists() is allowed


@pytest.mark.parametrize(
    "path, payload",
    [
        ("/{case}/request-supplement", {"items": [{"reason": "缺材料"}]}),
        ("/{case}/not-accept", {"reason": "不符合条件", "legal_basis": "第三十二条"}),
    ],
)
@pytest.mark.parametrize("kind, status", [("reviewer_b", 404), ("reviewer_a", 200)])
def test_acceptance_decisions_belong_to_the_department(
    client, world, path, payload, kind, status
):
    case = apply(world.citizen.user, world.listing_a)
    response = client.post(
        API + path.format(case=case.pk),
        payload,
        content_type="application/json",
        headers=_headers(world, kind),
    )
    assert response.status_code == status, response.content
    case.refresh_from_db()
    assert (case.status != CaseStatus.SUBMITTED) is (status == 200)


def test_a_reviewer_of_another_department_sees_nothing_of_a_case(client, world):
    # given A's accepted case with a task, a pause and an extension request
    case = apply(world.citizen.user, world.listing_a)
    reviewer_a = bearer(world.reviewer_a)
    accepted = client.post(
        f"{API}/{case.pk}/accept",
        {},
        content_type="application/json",
        headers=reviewer_a,
    )
    assert accepted.status_code == 200
    extension = client.post(
        f"{API}/{case.pk}/extensions",
        {"days": 5, "reason": "情况复杂"},
        content_type="application/json",
        headers=reviewer_a,
    )
    assert extension.status_code == 201, extension.content
    task = CaseTask.objects.get(case=case)
    material = CaseMaterial.objects.filter(case=case).first()
    headers = bearer(world.reviewer_b)
    audit_count = AuditEvent.objects.count()
    # when B's reviewer reads and acts on it
    reads = [
        client.get(f"{API}/{case.pk}", headers=headers),
        client.get(f"{API}/{case.pk}/timeline", headers=headers),
        client.get(f"{API}/files/{material.file_id}", headers=headers),
    ]
    writes = [
        client.post(
            f"{API}/tasks/{task.pk}/claim",
            {},
            content_type="application/json",
            headers=headers,
        ),
        client.post(
            f"{API}/tasks/{task.pk}/complete",
            {"outcome": "approve"},
            content_type="application/json",
            headers=headers,
        ),
        client.post(
            f"{API}/{case.pk}/pauses",
            {"name": "专家评审", "reason": "需评审"},
            content_type="application/json",
            headers=headers,
        ),
        client.post(
            f"{API}/{case.pk}/extensions",
            {"days": 3, "reason": "复杂"},
            content_type="application/json",
            headers=headers,
        ),
        client.post(
            f"{API}/extensions/{extension.json()['id']}/decide",
            {"approve": True},
            content_type="application/json",
            headers=headers,
        ),
        client.post(
            f"{API}/{case.pk}/shipments",
            {},
            content_type="application/json",
            headers=headers,
        ),
    ]
    inbox = client.get(f"{API}/tasks", headers=headers)
    # then every answer is 404, the inbox is empty, and nothing changed
    assert [r.status_code for r in reads + writes] == [404] * (len(reads) + len(writes))
    assert inbox.status_code == 200 and inbox.json()["items"] == []
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN and task.assignee_id is None
    assert not ClockPause.objects.filter(case=case).exists()
    assert Extension.objects.filter(case=case).count() == 1
    assert AuditEvent.objects.count() == audit_count


def test_a_citizen_cannot_use_staff_operations_on_their_own_case(client, world):
    case = apply(world.citizen.user, world.listing_a)
    headers = bearer(world.citizen.user)
    for path, payload in [
        ("/{case}/accept", {}),
        ("/{case}/pauses", {"name": "检验", "reason": "x"}),
        ("/{case}/extensions", {"days": 2, "reason": "x"}),
    ]:
        response = client.post(
            API + path.format(case=case.pk),
            payload,
            content_type="application/json",
            headers=headers,
        )
        assert response.status_code == 403
        assert response.json()["code"] == "cases.staff_only"
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    assert client.get(f"{API}/tasks", headers=headers).status_code == 403


def test_handling_config_is_for_the_listings_editors(client, world):
    url = f"{API}/config/{world.listing_a}"
    payload = {"process_template": "single"}
    refused = client.put(
        url,
        payload,
        content_type="application/json",
        headers=bearer(world.reviewer_b),
    )
    allowed = client.put(
        url,
        payload,
        content_type="application/json",
        headers=bearer(world.editor_a),
    )
    assert refused.status_code == 403
    assert allowed.status_code == 200, allowed.content
    assert AuditEvent.objects.filter(event="cases.handling_configured").count() == 1


def test_webhooks_are_listed_per_department(client, world):
    created = client.post(
        f"{API}/webhooks",
        {"organisation_id": world.org_a.pk, "url": "https://a.example.gov.cn/hook"},
        content_type="application/json",
        headers=bearer(world.reviewer_a),
    )
    assert created.status_code == 201, created.content
    assert created.json()["secret"]
    foreign = client.get(f"{API}/webhooks", headers=bearer(world.reviewer_b))
    assert foreign.json() == []
    gone = client.delete(
        f"{API}/webhooks/{created.json()['id']}", headers=bearer(world.reviewer_b)
    )
    assert gone.status_code == 404
    own = client.get(f"{API}/webhooks", headers=bearer(world.reviewer_a)).json()
    assert [w["id"] for w in own] == [created.json()["id"]]
    assert own[0]["secret"] is None  # shown once only


# --- fuzz: no body makes a 5xx ------------------------------------------------------

_text = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Z", "Cc")),
    max_size=40,
)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    _text,
)
_json = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(_text, inner, max_size=4)
    ),
    max_leaves=12,
)
_code = st.one_of(
    st.just("LISTING_A"),
    st.text(alphabet=string.digits + string.ascii_uppercase, min_size=31, max_size=31),
    _text,
    st.integers(),
)


def _body(fields: dict) -> st.SearchStrategy:
    """Objects that mostly have the right keys, with any values, plus noise."""
    return st.fixed_dictionaries(
        {}, optional={key: st.one_of(value, _json) for key, value in fields.items()}
    ) | st.dictionaries(_text, _json, max_size=5)


ENDPOINTS = [
    (
        "post",
        "/",
        _body({"listing_code": _code, "form_data": _json, "submission_key": _text}),
    ),
    ("post", "/drafts", _body({"listing_code": _code, "form_data": _json})),
    (
        "patch",
        "/drafts/{case}",
        _body({"form_data": _json, "handling_item_code": _text}),
    ),
    (
        "post",
        "/{case}/rating",
        _body({"level": st.integers(), "indicators": _json, "comment": _text}),
    ),
    ("post", "/{case}/supplement", _body({"form_data": _json, "note": _text})),
    (
        "post",
        "/{case}/delivery",
        _body(
            {
                "method": st.sampled_from(["express", "pickup", "online"]),
                "recipient_name": _text,
                "recipient_mobile": _text,
                "address": _text,
            }
        ),
    ),
    (
        "post",
        "/{case}/materials/reuse",
        _body({"material_name": _text, "source_material_id": st.integers()}),
    ),
    ("post", "/{case}/request-supplement", _body({"items": _json, "note": _text})),
    ("post", "/{case}/extensions", _body({"days": st.integers(), "reason": _text})),
    ("post", "/{case}/pauses", _body({"name": _text, "reason": _text})),
    ("post", "/{case}/not-accept", _body({"reason": _text, "legal_basis": _text})),
    (
        "put",
        "/config/LISTING_A",
        _body(
            {
                "form_schema": _json,
                "fee_items": _json,
                "parallel_organisation_ids": _json,
                "process_template": _text,
            }
        ),
    ),
    (
        "post",
        "/webhooks",
        _body({"organisation_id": st.integers(), "url": _text, "events": _json}),
    ),
    ("post", "/tasks/1/hand-over", _body({"to_user_id": st.integers(), "note": _text})),
]


def _fill(value, listing: str):
    if isinstance(value, str):
        return value.replace("LISTING_A", listing)
    if isinstance(value, dict):
        return {k: _fill(v, listing) for k, v in value.items()}
    return value


@pytest.mark.parametrize(
    "method, path, strategy", ENDPOINTS, ids=[f"{m} {p}" for m, p, _s in ENDPOINTS]
)
def test_no_body_makes_a_server_error(client, world, method, path, strategy):
    # given a case and a caller of each side
    case = apply(world.citizen.user, world.listing_a)
    staff = (
        "tasks" in path
        or "config" in path
        or "webhooks" in path
        or any(
            word in path
            for word in ("request-supplement", "extensions", "pauses", "not-accept")
        )
    )
    headers = bearer(
        world.editor_a
        if "config" in path
        else (world.reviewer_a if staff else world.citizen.user)
    )
    url = API + _fill(path, world.listing_a).format(case=case.pk)

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
        ],
        database=None,
    )
    @given(payload=strategy)
    def send(payload):
        # when any body is sent
        response = getattr(client, method)(
            url,
            _fill(payload, world.listing_a),
            content_type="application/json",
            headers=headers,
        )
        # then a refusal or a success, never a server error
        assert response.status_code < 500, (payload, response.content)
        if response.status_code in (400, 422):
            assert set(response.json()) == {"code", "message", "fields"}

    send()


@pytest.mark.parametrize(
    "raw",
    ["[]", "null", "123", '"text"', "{", '{"listing_code": "\\u0000"}', "\x00", ""],
)
@pytest.mark.parametrize("path", ["/", "/drafts", "/{case}/rating"])
def test_bodies_that_are_not_objects_are_refused(client, world, raw, path):
    case = apply(world.citizen.user, world.listing_a)
    response = client.post(
        API + path.format(case=case.pk),
        raw,
        content_type="application/json",
        headers=bearer(world.citizen.user),
    )
    assert response.status_code in (400, 422), response.content
    assert set(response.json()) == {"code", "message", "fields"}


@pytest.mark.parametrize(
    "query",
    [
        "hall=1&date_from=2026-12-01&date_to=2026-11-01",
        "hall=1&date_from=2026-01-01&date_to=2026-12-31",
        f"hall={2**64}&date_from=2026-12-01&date_to=2026-12-02",
        "hall=abc&date_from=x&date_to=y",
        "hall=1&date_from=2026-12-01&date_to=2026-12-02&listing_code=%00",
    ],
)
def test_bad_slot_queries_are_422(client, world, query):
    response = client.get(f"/api/v1/appointments/slots?{query}")
    assert response.status_code == 422, response.content


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"slot_id": 2**63, "listing_code": "1" * 31},
        {"slot_id": 1, "listing_code": "\x00" * 31},
        {"slot_id": "1; drop", "listing_code": "1" * 31},
        {"slot_id": 999999, "listing_code": "1" * 31},
    ],
)
def test_bad_bookings_are_refused_without_a_server_error(client, world, payload):
    response = client.post(
        "/api/v1/appointments/book",
        payload,
        content_type="application/json",
        headers=bearer(world.citizen.user),
    )
    assert 400 <= response.status_code < 500, response.content


def test_another_users_appointment_does_not_exist(client, world):
    from zhengwu.cases.models import Appointment

    response = client.post(
        "/api/v1/appointments/1/cancel", headers=bearer(world.citizen.user)
    )
    assert response.status_code == 404
    assert not Appointment.objects.exists()


def test_a_session_write_needs_the_csrf_token(world):
    from django.test import Client

    # given a citizen signed in to the pages, with CSRF enforced
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.citizen.user)
    case = apply(world.citizen.user, world.listing_a)
    # when a page's session posts without the token
    response = browser.post(
        f"{API}/{case.pk}/withdraw", {}, content_type="application/json"
    )
    # then it is refused and the case stays as it was; a read needs no token
    assert response.status_code in (401, 403)
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    assert browser.get(f"{API}/{case.pk}").status_code == 200
