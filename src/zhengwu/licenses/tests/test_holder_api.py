"""The holder API (/api/v1/licenses/wallet): the caller's licences only (another
holder's is a 404, nothing audited), the file audited like the page's download,
亮证 through licenses.showing (the verifier sees only the released fields), and
agents: an enterprise clerk acting for the entity under an active authorisation
sees and shows its licences in the API and the wallet page; without acting,
once the authorisation is revoked, or under an authorisation for named items
only (not all items), they do not. And the issuing department's
download of a licence file (same visibility as reading it; audited)."""

import datetime

from django.test import Client
from django.utils import timezone

import pytest

from zhengwu.core.models import AuditEvent
from zhengwu.identity import authorisations, entities
from zhengwu.identity.facade import ActingFor, person_label_for_user
from zhengwu.identity.tests.person_factories import (
    legal_person_record,
    make_citizen,
    make_credit_code,
)
from zhengwu.licenses import showing, uses
from zhengwu.licenses.models import LicenceUse
from zhengwu.licenses.services import licence_revoke, licence_type_define

from .test_api import bearer

pytestmark = pytest.mark.django_db

API = "/api/v1/licenses"
JSON = "application/json"


@pytest.fixture
def holder(licence_world):
    return make_citizen("王秀英").user


@pytest.fixture
def other(licence_world):
    return make_citizen("赵强").user


@pytest.fixture
def licence(licence_world, holder):
    return licence_world.issue(holder_label=person_label_for_user(holder))


# --- the holder ------------------------------------------------------------------


def test_wallet_lists_only_the_callers_licences(licence_world, holder, other, licence):
    licence_world.issue(holder_label=person_label_for_user(other), holder_name="赵强")
    response = Client().get(f"{API}/wallet", headers=bearer(holder))
    assert response.status_code == 200
    items = response.json()["items"]
    assert [i["identifier"] for i in items] == [licence.identifier]
    assert items[0]["type_name"] == "职业资格证书"
    assert items[0]["status"] == "valid"
    assert "holder_label" not in items[0]
    # the same list as the page
    assert [e.identifier for e in showing.wallet(holder)] == [licence.identifier]


def test_wallet_needs_a_caller(licence):
    assert Client().get(f"{API}/wallet").status_code == 401
    response = Client().get(
        f"{API}/wallet", headers={"Authorization": "Bearer not-a-token"}
    )
    assert response.status_code == 401


def test_detail_with_fields_history_and_uses(holder, other, licence):
    uses.check_identifier(
        licence.identifier, reason="银行开户", user=other, source_ip="10.1.1.1"
    )
    response = Client().get(
        f"{API}/wallet/{licence.identifier}", headers=bearer(holder)
    )
    assert response.status_code == 200
    body = response.json()
    assert body["showable"] is True
    assert [f["key"] for f in body["fields"]][:2] == ["holder_name", "gender"]
    assert {"key": "qualification", "label": "资格类别", "value": "中式烹调师"} in (
        body["fields"]
    )
    assert [h["kind_label"] for h in body["history"]] == ["颁发"]
    assert [(u["reason"], u["channel_label"]) for u in body["uses"]] == [
        ("银行开户", "证照标识")
    ]


def test_another_holders_licence_is_404_and_nothing_audited(other, licence):
    client, headers = Client(), bearer(other)
    base = f"{API}/wallet/{licence.identifier}"
    assert client.get(base, headers=headers).status_code == 404
    assert client.get(f"{base}/file", headers=headers).status_code == 404
    response = client.post(
        f"{base}/show",
        {"fields": ["holder_name"]},
        content_type=JSON,
        headers=headers,
    )
    assert response.status_code == 404
    assert response.json()["code"] == "licenses.not_found"
    assert not AuditEvent.objects.filter(
        event__in=["licenses.file_downloaded", "licenses.shown"]
    ).exists()


def test_malformed_identifier_is_422(holder):
    response = Client().get(f"{API}/wallet/not-an-identifier", headers=bearer(holder))
    assert response.status_code in (404, 422)
    assert response.status_code != 500


def test_file_is_a_pdf_and_audited(holder, licence):
    response = Client().get(
        f"{API}/wallet/{licence.identifier}/file", headers=bearer(holder)
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(event="licenses.file_downloaded")
    assert event.actor == holder
    assert event.data["identifier"] == licence.identifier


def test_show_releases_only_the_chosen_fields(holder, licence):
    response = Client().post(
        f"{API}/wallet/{licence.identifier}/show",
        {"fields": ["holder_name", "qualification"]},
        content_type=JSON,
        headers=bearer(holder),
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["url"].endswith(f"/licenses/show/{body['token']}/")
    assert body["url"].startswith("http")
    assert [f["key"] for f in body["released"]] == ["holder_name", "qualification"]
    expires = datetime.datetime.fromisoformat(body["expires_at"])
    assert timezone.now() < expires <= timezone.now() + datetime.timedelta(minutes=6)
    assert AuditEvent.objects.filter(event="licenses.shown").count() == 1
    outcome = uses.check_token(body["token"], reason="入职", user=None, source_ip=None)
    assert [f.key for f in outcome.released] == ["holder_name", "qualification"]


@pytest.mark.parametrize(
    "fields", [[], ["salary"], ["bad key!"], "holder_name", None, ["x"] * 51]
)
def test_show_bad_fields_named_and_nothing_shown(holder, licence, fields):
    response = Client().post(
        f"{API}/wallet/{licence.identifier}/show",
        {"fields": fields},
        content_type=JSON,
        headers=bearer(holder),
    )
    assert response.status_code == 422, response.content
    assert any(key.startswith("fields") for key in response.json()["fields"])
    assert not AuditEvent.objects.filter(event="licenses.shown").exists()


def test_revoked_licence_cannot_be_shown(licence_world, holder, licence):
    licence_revoke(
        identifier=licence.identifier, reason="撤销", acting_user=licence_world.reviewer
    )
    response = Client().post(
        f"{API}/wallet/{licence.identifier}/show",
        {"fields": ["holder_name"]},
        content_type=JSON,
        headers=bearer(holder),
    )
    assert response.status_code == 409
    assert response.json()["code"] == "licenses.not_showable"


def test_session_show_needs_csrf(holder, licence):
    client = Client(enforce_csrf_checks=True)
    client.force_login(holder)
    assert client.get(f"{API}/wallet").status_code == 200
    response = client.post(
        f"{API}/wallet/{licence.identifier}/show",
        {"fields": ["holder_name"]},
        content_type=JSON,
    )
    assert response.status_code in (401, 403)
    assert not AuditEvent.objects.filter(event="licenses.shown").exists()


# --- agents (代办) -----------------------------------------------------------------


@pytest.fixture
def enterprise(licence_world):
    """An enterprise (its legal representative registered it), a clerk it
    authorised, and a licence the enterprise holds."""
    representative = make_citizen("孙九")
    clerk = make_citizen("周八")
    code = make_credit_code()
    legal_person_record(
        code, "辽宁示例科技有限公司", "孙九", representative.clear_id_number
    )
    entity = entities.entity_register(credit_code=code, acting_user=representative.user)
    grant = entities.clerk_authorise(
        entity_id=entity.pk,
        acting_user=representative.user,
        agent_id_number=clerk.clear_id_number,
        agent_name="周八",
        all_items=True,
        valid_until=timezone.now() + datetime.timedelta(days=30),
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
        holder_label=f"entity:{code}",
        holder_code=code,
        holder_name="辽宁示例科技有限公司",
        face_data={"scope": "职业介绍"},
    )
    return {
        "representative": representative,
        "clerk": clerk,
        "grant": grant,
        "licence": licence,
        "label": f"entity:{code}",
    }


def _acting_client(enterprise) -> Client:
    client = Client()
    client.force_login(enterprise["clerk"].user)
    response = client.post(
        "/me/acting/start", {"authorisation": enterprise["grant"].pk}
    )
    assert response.status_code == 302
    return client


def test_clerk_acting_for_the_entity_sees_and_shows_its_licences(enterprise):
    licence = enterprise["licence"]
    client = _acting_client(enterprise)
    # the API
    listed = client.get(f"{API}/wallet").json()["items"]
    assert [i["identifier"] for i in listed] == [licence.identifier]
    assert client.get(f"{API}/wallet/{licence.identifier}").status_code == 200
    response = client.post(
        f"{API}/wallet/{licence.identifier}/show",
        {"fields": ["scope"]},
        content_type=JSON,
    )
    assert response.status_code == 200, response.content
    shown = AuditEvent.objects.get(event="licenses.shown")
    assert shown.actor == enterprise["clerk"].user
    assert shown.on_behalf_of == enterprise["label"]
    # the wallet page
    page = client.get("/licenses/mine/").content.decode()
    assert f"/licenses/mine/{licence.pk}/" in page
    assert client.get(f"/licenses/mine/{licence.pk}/").status_code == 200
    response = client.post(f"/licenses/mine/{licence.pk}/show/", {"fields": ["scope"]})
    assert response.status_code == 200
    assert client.get(f"/licenses/mine/{licence.pk}/file/").status_code == 200


def test_clerk_not_acting_sees_nothing(enterprise):
    licence = enterprise["licence"]
    client = Client()
    client.force_login(enterprise["clerk"].user)
    assert client.get(f"{API}/wallet").json()["items"] == []
    assert client.get(f"{API}/wallet/{licence.identifier}").status_code == 404
    assert client.get(f"/licenses/mine/{licence.pk}/").status_code == 404
    # nor with a bearer token (no acting context)
    headers = bearer(enterprise["clerk"].user)
    assert Client().get(f"{API}/wallet", headers=headers).json()["items"] == []


def test_revoked_clerk_sees_and_shows_nothing(enterprise):
    licence = enterprise["licence"]
    client = _acting_client(enterprise)
    assert client.get(f"{API}/wallet").json()["items"] != []
    authorisations.authorisation_revoke(
        authorisation_id=enterprise["grant"].pk,
        acting_user=enterprise["representative"].user,
    )
    assert client.get(f"{API}/wallet").json()["items"] == []
    response = client.post(
        f"{API}/wallet/{licence.identifier}/show",
        {"fields": ["scope"]},
        content_type=JSON,
    )
    assert response.status_code == 404
    assert client.get(f"/licenses/mine/{licence.pk}/").status_code == 404
    assert licence.identifier not in client.get("/licenses/mine/").content.decode()
    assert not AuditEvent.objects.filter(event="licenses.shown").exists()


def test_a_stale_acting_context_is_rechecked(enterprise):
    """showing re-checks the authorisation itself, whatever context it is given."""
    licence = enterprise["licence"]
    clerk = enterprise["clerk"].user
    acting = ActingFor(
        principal_label=enterprise["label"],
        principal_name="辽宁示例科技有限公司",
        basis="authorisation",
        basis_id=enterprise["grant"].pk,
        all_items=True,
        item_codes=(),
    )
    assert [e.identifier for e in showing.wallet(clerk, acting=acting)] == [
        licence.identifier
    ]
    authorisations.authorisation_revoke(
        authorisation_id=enterprise["grant"].pk,
        acting_user=enterprise["representative"].user,
    )
    clerk = type(clerk).objects.get(pk=clerk.pk)  # a new request's user
    assert showing.wallet(clerk, acting=acting) == ()
    # an unauthorised user claiming the context gets nothing either
    stranger = make_citizen("吴十").user
    assert showing.wallet(stranger, acting=acting) == ()
    counter = ActingFor(
        principal_label=enterprise["label"],
        principal_name="",
        basis="counter",
        basis_id=1,
        all_items=True,
        item_codes=(),
    )
    assert showing.wallet(stranger, acting=counter) == ()


def test_representative_sees_without_acting(enterprise):
    headers = bearer(enterprise["representative"].user)
    items = Client().get(f"{API}/wallet", headers=headers).json()["items"]
    assert [i["identifier"] for i in items] == [enterprise["licence"].identifier]


# --- item-scoped authorisations -----------------------------------------------------

ITEM = "210100000001"


@pytest.fixture
def item_clerk(enterprise):
    """A second clerk the enterprise authorised for one named item only."""
    clerk = make_citizen("郑七")
    grant = entities.clerk_authorise(
        entity_id=enterprise["grant"].principal_entity_id,
        acting_user=enterprise["representative"].user,
        agent_id_number=clerk.clear_id_number,
        agent_name="郑七",
        item_codes=[ITEM],
        valid_until=timezone.now() + datetime.timedelta(days=30),
    )
    assert not grant.all_items and grant.item_codes == [ITEM]
    client = Client()
    client.force_login(clerk.user)
    response = client.post("/me/acting/start", {"authorisation": grant.pk})
    assert response.status_code == 302
    return {"clerk": clerk, "grant": grant, "client": client}


def test_item_scoped_clerk_sees_and_shows_nothing(enterprise, item_clerk):
    """Acting under an authorisation for one item does not open the principal's
    wallet: not in the API, not on the pages."""
    licence = enterprise["licence"]
    client = item_clerk["client"]
    assert client.get(f"{API}/wallet").json()["items"] == []
    assert client.get(f"{API}/wallet/{licence.identifier}").status_code == 404
    assert client.get(f"{API}/wallet/{licence.identifier}/file").status_code == 404
    response = client.post(
        f"{API}/wallet/{licence.identifier}/show",
        {"fields": ["scope"]},
        content_type=JSON,
    )
    assert response.status_code == 404
    assert licence.identifier not in client.get("/licenses/mine/").content.decode()
    assert client.get(f"/licenses/mine/{licence.pk}/").status_code == 404
    assert client.get(f"/licenses/mine/{licence.pk}/file/").status_code == 404
    response = client.post(f"/licenses/mine/{licence.pk}/show/", {"fields": ["scope"]})
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(
        event__in=["licenses.shown", "licenses.file_downloaded"]
    ).exists()


def test_general_clerk_sees_while_item_clerk_does_not(enterprise, item_clerk):
    """Both clerks act for the same entity; only the all-items one sees its
    licences, whatever the acting context claims."""
    licence = enterprise["licence"]
    general = _acting_client(enterprise)
    assert [i["identifier"] for i in general.get(f"{API}/wallet").json()["items"]] == [
        licence.identifier
    ]
    forged = ActingFor(
        principal_label=enterprise["label"],
        principal_name="辽宁示例科技有限公司",
        basis="authorisation",
        basis_id=item_clerk["grant"].pk,
        all_items=True,  # claims more than the authorisation grants
        item_codes=(),
    )
    assert showing.wallet(item_clerk["clerk"].user, acting=forged) == ()
    assert enterprise["label"] not in showing.holder_labels(
        item_clerk["clerk"].user, forged
    )
    assert enterprise["label"] in showing.holder_labels(
        enterprise["clerk"].user, forged
    )


# --- the issuing department's download ----------------------------------------------


def test_department_downloads_its_licence_file(licence_world, licence):
    response = Client().get(
        f"{API}/licences/{licence.identifier}/file",
        headers=bearer(licence_world.reviewer),
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content == bytes(licence.file)
    event = AuditEvent.objects.get(event="licenses.file_downloaded")
    assert event.actor == licence_world.reviewer
    assert event.data["identifier"] == licence.identifier


@pytest.mark.parametrize("kind, status", [("other_reviewer", 404), ("holder", 403)])
def test_department_download_refused_to_others(
    licence_world, holder, licence, kind, status
):
    user = licence_world.other_reviewer if kind == "other_reviewer" else holder
    response = Client().get(
        f"{API}/licences/{licence.identifier}/file", headers=bearer(user)
    )
    assert response.status_code == status
    assert not AuditEvent.objects.filter(event="licenses.file_downloaded").exists()
    assert not LicenceUse.objects.exists()
