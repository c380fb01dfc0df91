"""Whole journeys through the API alone: a case from application to a rated result,
the staff's BPMN upload, a counter draft, messages, and an appointment from booking
to the queue number."""

import datetime
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from zhengwu.cases.constants import CaseStatus
from zhengwu.cases.models import (
    AppointmentSlot,
    Case,
    HandlingConfig,
    ServiceHall,
    ServiceWindow,
)
from zhengwu.cases.tests.factories import apply
from zhengwu.cases.tests.test_api import bearer
from zhengwu.core.models import AuditEvent

API = "/api/v1/cases"
TEMPLATES = Path(__file__).resolve().parents[2] / "workflows" / "templates_bpmn"


def _post(client, url, payload, headers):
    return client.post(url, payload, content_type="application/json", headers=headers)


def _work_through_tasks(client, case_id, headers) -> None:
    """Claim and complete every task of the case in the inbox, approving."""
    for _round in range(6):
        inbox = client.get(f"{API}/tasks", headers=headers).json()["items"]
        mine = [t for t in inbox if t["case_id"] == case_id]
        if not mine:
            return
        task = mine[0]
        outcome = "approve" if task["role"] == "decider" else "pass"
        claimed = _post(client, f"{API}/tasks/{task['id']}/claim", {}, headers)
        assert claimed.status_code == 200, claimed.content
        assert claimed.json()["is_mine"]
        done = _post(
            client,
            f"{API}/tasks/{task['id']}/complete",
            {"outcome": outcome, "opinion": "同意"},
            headers,
        )
        assert done.status_code == 200, done.content


def test_a_case_from_application_to_a_rated_result(client, world):
    # given a citizen's submitted case
    citizen = bearer(world.citizen.user)
    case = apply(world.citizen.user, world.listing_a)
    reviewer = bearer(world.reviewer_a)
    # when department A accepts it and works every task, approving
    accepted = _post(client, f"{API}/{case.pk}/accept", {}, reviewer)
    assert accepted.status_code == 200, accepted.content
    _work_through_tasks(client, case.pk, reviewer)
    # then the citizen sees the decision and downloads the document
    detail = client.get(f"{API}/{case.pk}", headers=citizen).json()
    assert detail["status"] == CaseStatus.APPROVED
    assert detail["result_available"] is True
    result = client.get(f"{API}/{case.pk}/result", headers=citizen)
    assert result.status_code == 200
    assert b"".join(result.streaming_content).startswith(b"%PDF")
    assert AuditEvent.objects.filter(
        event="cases.file_downloaded",
        target_type="cases.case",
        target_id=str(case.pk),
        data__file=str(Case.objects.get(pk=case.pk).result_document_id),
    ).exists()
    # and rates it
    rating = _post(
        client, f"{API}/{case.pk}/rating", {"level": 5, "comment": "很好"}, citizen
    )
    assert rating.status_code == 201, rating.content
    assert (
        client.get(f"{API}/{case.pk}", headers=citizen).json()["rating"]["level"] == 5
    )
    # and has been told at every step
    messages = client.get(f"{API}/messages", headers=citizen).json()["items"]
    assert {m["event"] for m in messages} >= {"submitted", "accepted", "decided"}
    assert all(m["case_id"] == case.pk for m in messages)
    # and the timeline shows the steps in order
    events = [
        e["event"]
        for e in client.get(f"{API}/{case.pk}/timeline", headers=citizen).json()
    ]
    assert events.index("cases.submitted") < events.index("cases.accepted")


def test_the_applicant_chooses_express_delivery(client, world):
    citizen = bearer(world.citizen.user)
    case = apply(world.citizen.user, world.listing_a)
    missing = _post(client, f"{API}/{case.pk}/delivery", {"method": "express"}, citizen)
    assert missing.status_code == 422
    assert set(missing.json()["fields"]) == {
        "recipient_name",
        "recipient_mobile",
        "address",
    }
    chosen = _post(
        client,
        f"{API}/{case.pk}/delivery",
        {
            "method": "express",
            "recipient_name": "张三",
            "recipient_mobile": "13900000001",
            "address": "沈阳市和平区南京北街1号",
        },
        citizen,
    )
    assert chosen.status_code == 200, chosen.content
    assert chosen.json()["result_delivery"] == "express"
    assert "13900000001" not in chosen.content.decode().split('"form_data"')[0]


def test_a_withdrawn_case_stays_withdrawn(client, world):
    citizen = bearer(world.citizen.user)
    case = apply(world.citizen.user, world.listing_a)
    first = _post(client, f"{API}/{case.pk}/withdraw", {}, citizen)
    again = _post(client, f"{API}/{case.pk}/withdraw", {}, citizen)
    assert first.status_code == 200
    assert first.json()["status"] == CaseStatus.WITHDRAWN
    assert again.status_code == 409
    assert again.json()["code"] == "cases.invalid_transition"


def test_the_listings_editor_uploads_a_bpmn_model(client, world):
    # given the single-department template as an uploaded model
    xml = (TEMPLATES / "single.bpmn").read_bytes()

    def upload(user):
        return client.post(
            f"{API}/config/{world.listing_a}/bpmn",
            {
                "name": "市场监管许可流程",
                "file": SimpleUploadedFile("model.bpmn", xml, "application/xml"),
            },
            headers=bearer(user),
        )

    # when another department's reviewer and then the listing's editor upload it
    refused = upload(world.reviewer_b)
    uploaded = upload(world.editor_a)
    # then only the editor's upload counts, and the listing now uses it
    assert refused.status_code == 404
    assert uploaded.status_code == 201, uploaded.content
    config = HandlingConfig.objects.get(listing_code=world.listing_a)
    assert config.process_template == "custom"
    assert config.process_key == uploaded.json()["key"]


def test_the_listings_editor_uploads_a_decision_table(client, world):
    xml = (TEMPLATES / "sample_instant_approval.dmn").read_bytes()
    response = client.post(
        f"{API}/config/{world.listing_a}/dmn",
        {"file": SimpleUploadedFile("rules.dmn", xml, "application/xml")},
        headers=bearer(world.editor_a),
    )
    assert response.status_code == 201, response.content
    config = HandlingConfig.objects.get(listing_code=world.listing_a)
    assert config.decision_key == response.json()["key"]


def test_a_broken_bpmn_model_is_422_and_changes_nothing(client, world):
    response = client.post(
        f"{API}/config/{world.listing_a}/bpmn",
        {"file": SimpleUploadedFile("model.bpmn", b"<not-bpmn/>", "application/xml")},
        headers=bearer(world.editor_a),
    )
    assert response.status_code == 422, response.content
    assert not HandlingConfig.objects.filter(listing_code=world.listing_a).exists()


def test_a_counter_case_needs_an_open_visit(client, world):
    response = _post(
        client,
        f"{API}/counter",
        {"listing_code": world.listing_a, "visit_id": 12345, "form_data": {}},
        bearer(world.clerk_a),
    )
    assert response.status_code == 403
    assert not Case.objects.exists()


def test_an_appointment_from_booking_to_the_queue_number(client, world):
    # given a hall with a window taking the listing and a slot tomorrow
    hall = ServiceHall.objects.create(
        name="沈阳市政务服务中心",
        division=world.org_a.division,
        organisation=world.org_a,
        address="沈阳市沈河区市府大路260号",
    )
    window = ServiceWindow.objects.create(
        hall=hall, number="01", name="综合窗口", listing_codes=[world.listing_a]
    )
    day = timezone.localdate() + datetime.timedelta(days=1)
    slot = AppointmentSlot.objects.create(
        window=window,
        date=day,
        starts_at=datetime.time(9),
        ends_at=datetime.time(10),
        capacity=1,
    )
    citizen = bearer(world.citizen.user)
    # when the citizen finds the slot and books it
    halls = client.get("/api/v1/appointments/halls").json()
    assert [h["id"] for h in halls] == [hall.pk]
    slots = client.get(
        f"/api/v1/appointments/slots?hall={hall.pk}&date_from={day}&date_to={day}"
    ).json()
    assert [(s["id"], s["available"]) for s in slots] == [(slot.pk, 1)]
    booked = _post(
        client,
        "/api/v1/appointments/book",
        {"slot_id": slot.pk, "listing_code": world.listing_a},
        citizen,
    )
    # then it is theirs, the slot is full for the other citizen
    assert booked.status_code == 201, booked.content
    full = _post(
        client,
        "/api/v1/appointments/book",
        {"slot_id": slot.pk, "listing_code": world.listing_a},
        bearer(world.other_citizen.user),
    )
    assert full.status_code == 409
    mine = client.get("/api/v1/appointments/mine", headers=citizen).json()
    assert [a["id"] for a in mine["items"]] == [booked.json()["id"]]
    # and the other citizen cannot cancel it
    foreign = _post(
        client,
        f"/api/v1/appointments/{booked.json()['id']}/cancel",
        {},
        bearer(world.other_citizen.user),
    )
    assert foreign.status_code == 404
    cancelled = _post(
        client, f"/api/v1/appointments/{booked.json()['id']}/cancel", {}, citizen
    )
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"


def test_the_clock_stops_for_a_special_procedure_and_an_extension_is_approved(
    client, world
):
    # given an accepted case
    case = apply(world.citizen.user, world.listing_a)
    reviewer, approver = bearer(world.reviewer_a), bearer(world.approver_a)
    assert _post(client, f"{API}/{case.pk}/accept", {}, reviewer).status_code == 200
    # when a special procedure starts and ends
    started = _post(
        client,
        f"{API}/{case.pk}/pauses",
        {"name": "专家评审", "reason": "技术复杂"},
        reviewer,
    )
    again = _post(
        client, f"{API}/{case.pk}/pauses", {"name": "检验", "reason": "x"}, reviewer
    )
    ended = _post(
        client, f"{API}/{case.pk}/pauses/end", {"result": "评审通过"}, reviewer
    )
    # then one pause, closed, on the case
    assert started.status_code == 200, started.content
    assert started.json()["deadline_state"] == "paused"
    assert again.status_code == 409
    assert ended.status_code == 200, ended.content
    assert [p["result"] for p in ended.json()["pauses"]] == ["评审通过"]
    # and an extension is decided by another reviewer only
    requested = _post(
        client, f"{API}/{case.pk}/extensions", {"days": 5, "reason": "复杂"}, reviewer
    )
    assert requested.status_code == 201, requested.content
    url = f"{API}/extensions/{requested.json()['id']}/decide"
    assert _post(client, url, {"approve": True}, reviewer).status_code == 403
    decided = _post(client, url, {"approve": True}, approver)
    assert decided.status_code == 200, decided.content
    assert decided.json()["status"] == "approved"
    detail = client.get(f"{API}/{case.pk}", headers=reviewer).json()
    assert detail["extended_days"] == 5
