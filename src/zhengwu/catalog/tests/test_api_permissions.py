"""Who may change the catalogue through the API (style rule 19): every staff operation
that changes something, for every kind of caller; a denied change leaves the database
and the audit log as they were, an allowed one happens and is audited."""

import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

import openpyxl
import pytest

from zhengwu.catalog import transfer
from zhengwu.catalog.constants import ImportStatus, VersionStatus
from zhengwu.catalog.models import (
    Attachment,
    BaseItem,
    ImportJob,
    Listing,
    ListingVersion,
    ReviewComment,
)
from zhengwu.catalog.tests import test_api as shared
from zhengwu.catalog.tests.factories import (
    BaseItemFactory,
    ListingFactory,
    ListingVersionFactory,
    complete_guide,
)
from zhengwu.core.models import AuditEvent

API, PDF = shared.API, shared.PDF
# The users, organisations and clients of the API tests.
world, client_for, media = shared.world, shared.client_for, shared.media

KINDS = ["anonymous", "plain", "editor_other", "editor_own", "authority"]
DENIED_STATUS = {"anonymous": 401, "plain": 403, "editor_other": 403}


def matrix(*allowed: str) -> list[tuple[str, bool]]:
    """Every kind of caller with whether it may do the operation."""
    return [(kind, kind in allowed) for kind in KINDS]


def check_response(response, kind: str, allowed: bool, ok_status: int = 200) -> None:
    if allowed:
        assert response.status_code == ok_status, response.content
        return
    expected = DENIED_STATUS.get(kind, 403)
    assert response.status_code == expected, response.content
    assert set(response.json()) == {"code", "message", "fields"}


def audited(event: str) -> bool:
    return AuditEvent.objects.filter(event=event).exists()


def post_json(client, url: str, data=None):
    return client.post(url, data or {}, content_type="application/json")


def own_listing(world, **version_fields):
    """A listing of the editor's own organisation with one version."""
    listing = ListingFactory(
        base_item=BaseItemFactory(name="居民身份证申领"), organisation=world.own
    )
    version = ListingVersionFactory(listing=listing, number=1, **version_fields)
    return listing, version


# --- base catalogue ----------------------------------------------------------


@pytest.mark.parametrize("kind, allowed", matrix("authority"))
def test_create_item(client_for, kind, allowed):
    # given
    payload = {
        "name": "建设工程规划许可",
        "item_type": "01",
        "legal_basis": [{"law": "《城乡规划法》"}],
    }
    # when
    response = post_json(client_for(kind), f"{API}/items", payload)
    # then
    check_response(response, kind, allowed, 201)
    assert BaseItem.objects.filter(name="建设工程规划许可").exists() is allowed
    assert audited("catalog.base_item_created") is allowed


@pytest.mark.parametrize("kind, allowed", matrix("authority"))
def test_update_item(client_for, kind, allowed):
    # given
    item = BaseItemFactory(name="旧名称")
    # when
    response = client_for(kind).patch(
        f"{API}/items/{item.code}", {"name": "新名称"}, content_type="application/json"
    )
    # then
    check_response(response, kind, allowed)
    item.refresh_from_db()
    assert (item.name == "新名称") is allowed
    assert audited("catalog.base_item_updated") is allowed


# --- listings ----------------------------------------------------------------


@pytest.mark.parametrize("kind, allowed", matrix("editor_own", "authority"))
def test_claim_item_for_an_organisation(world, client_for, kind, allowed):
    # given
    item = BaseItemFactory()
    # when
    response = post_json(
        client_for(kind),
        f"{API}/listings",
        {"item_code": item.code, "organisation_id": world.own.pk},
    )
    # then
    check_response(response, kind, allowed, 201)
    assert Listing.objects.filter(base_item=item).exists() is allowed
    assert audited("catalog.listing_created") is allowed


@pytest.mark.parametrize("kind, allowed", matrix("authority"))
def test_cancel_listing(world, client_for, kind, allowed):
    # given a listing in force
    listing, version = own_listing(
        world,
        status=VersionStatus.PUBLISHED,
        effective_from=timezone.localdate() - datetime.timedelta(days=1),
    )
    cancel_on = timezone.localdate() + datetime.timedelta(days=10)
    # when
    response = post_json(
        client_for(kind),
        f"{API}/listings/{listing.code}/cancel",
        {"cancel_on": str(cancel_on), "reason": "事项取消"},
    )
    # then
    check_response(response, kind, allowed)
    version.refresh_from_db()
    assert (version.effective_until == cancel_on) is allowed
    assert audited("catalog.listing_cancelled") is allowed


# --- versions ----------------------------------------------------------------


@pytest.mark.parametrize("kind, allowed", matrix("editor_own"))
def test_open_draft(world, client_for, kind, allowed):
    # given a listing in force
    listing, _ = own_listing(
        world,
        status=VersionStatus.PUBLISHED,
        effective_from=timezone.localdate() - datetime.timedelta(days=1),
    )
    # when
    response = post_json(
        client_for(kind), f"{API}/listings/{listing.code}/versions", {}
    )
    # then
    check_response(response, kind, allowed, 201)
    assert (listing.versions.count() == 2) is allowed
    assert audited("catalog.version_created") is allowed


@pytest.mark.parametrize("kind, allowed", matrix("editor_own"))
def test_save_guide(world, client_for, kind, allowed):
    # given a draft
    _, version = own_listing(world)
    # when
    response = client_for(kind).put(
        f"{API}/versions/{version.pk}/guide",
        {"guide": complete_guide(transact_time="全天")},
        content_type="application/json",
    )
    # then
    check_response(response, kind, allowed)
    version.refresh_from_db()
    assert (version.guide["transact_time"] == "全天") is allowed
    assert audited("catalog.version_updated") is allowed


@pytest.mark.parametrize("kind, allowed", matrix("editor_own"))
def test_submit(world, client_for, kind, allowed):
    # given a complete draft
    _, version = own_listing(world)
    # when
    response = post_json(client_for(kind), f"{API}/versions/{version.pk}/submit")
    # then
    check_response(response, kind, allowed)
    version.refresh_from_db()
    assert (version.status == VersionStatus.SUBMITTED) is allowed
    assert audited("catalog.version_submitted") is allowed


@pytest.mark.parametrize("kind, allowed", matrix("authority"))
def test_return(world, client_for, kind, allowed):
    # given a submitted version
    _, version = own_listing(world, status=VersionStatus.SUBMITTED)
    # when
    response = post_json(
        client_for(kind),
        f"{API}/versions/{version.pk}/return",
        {"comment": "材料清单不完整"},
    )
    # then
    check_response(response, kind, allowed)
    version.refresh_from_db()
    assert (version.status == VersionStatus.RETURNED) is allowed
    assert ReviewComment.objects.filter(version=version).exists() is allowed
    assert audited("catalog.version_returned") is allowed


@pytest.mark.parametrize("kind, allowed", matrix("authority"))
def test_publish(world, client_for, kind, allowed):
    # given a submitted version
    listing, version = own_listing(world, status=VersionStatus.SUBMITTED)
    # when
    response = post_json(
        client_for(kind), f"{API}/versions/{version.pk}/publish", {"comment": "同意"}
    )
    # then
    check_response(response, kind, allowed)
    version.refresh_from_db()
    assert (version.status == VersionStatus.PUBLISHED) is allowed
    assert audited("catalog.version_published") is allowed
    public = client_for("anonymous").get(f"{API}/listings/{listing.code}")
    assert (public.status_code == 200) is allowed


@pytest.mark.parametrize("kind, allowed", matrix("editor_own"))
def test_discard(world, client_for, kind, allowed):
    # given a draft
    _, version = own_listing(world)
    # when
    response = post_json(client_for(kind), f"{API}/versions/{version.pk}/discard")
    # then
    check_response(response, kind, allowed)
    version.refresh_from_db()
    assert (version.status == VersionStatus.DISCARDED) is allowed
    assert audited("catalog.version_discarded") is allowed


@pytest.mark.parametrize("kind, allowed", matrix("editor_own", "authority"))
def test_comment(world, client_for, kind, allowed):
    # given a submitted version
    _, version = own_listing(world, status=VersionStatus.SUBMITTED)
    # when
    response = post_json(
        client_for(kind),
        f"{API}/versions/{version.pk}/comments",
        {"body": "请核对收费依据", "field": "fees"},
    )
    # then
    check_response(response, kind, allowed, 201)
    assert ReviewComment.objects.filter(version=version).exists() is allowed
    assert audited("catalog.version_commented") is allowed


# --- files -------------------------------------------------------------------


@pytest.mark.parametrize("kind, allowed", matrix("editor_own", "authority"))
def test_upload_attachment_for_an_organisation(world, client_for, media, kind, allowed):
    # when
    response = client_for(kind).post(
        f"{API}/attachments",
        {
            "file": SimpleUploadedFile("申请表.pdf", PDF),
            "organisation_id": world.own.pk,
        },
    )
    # then
    check_response(response, kind, allowed, 201)
    assert Attachment.objects.exists() is allowed
    assert audited("catalog.attachment_uploaded") is allowed


def _workbook_of(version: ListingVersion, **changes) -> bytes:
    """The export of one version with cells of its 事项 row changed by header."""
    book = openpyxl.load_workbook(io.BytesIO(transfer.export_workbook([version])))
    sheet = book.worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    for header, value in changes.items():
        sheet.cell(row=3, column=headers.index(header) + 1, value=value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "kind, allowed", matrix("editor_own", "editor_other", "authority")
)
def test_start_import(world, client_for, media, kind, allowed):
    """Any catalogue staff member may upload a workbook; what it may change is
    checked per listing when the job runs (next test)."""
    # given a workbook of a listing
    _, version = own_listing(
        world,
        status=VersionStatus.PUBLISHED,
        effective_from=timezone.localdate() - datetime.timedelta(days=1),
    )
    content = _workbook_of(version)
    # when
    response = client_for(kind).post(
        f"{API}/imports", {"file": SimpleUploadedFile("清单.xlsx", content)}
    )
    # then
    check_response(response, kind, allowed, 202)
    assert ImportJob.objects.exists() is allowed
    assert audited("catalog.import_started") is allowed


@pytest.mark.parametrize(
    "kind, allowed",
    [("editor_other", False), ("editor_own", True), ("authority", False)],
)
def test_import_changes_only_listings_the_uploader_may_edit(
    world, client_for, media, kind, allowed
):
    # given a workbook changing a listing of the editor's organisation
    listing, version = own_listing(
        world,
        status=VersionStatus.PUBLISHED,
        effective_from=timezone.localdate() - datetime.timedelta(days=1),
    )
    content = _workbook_of(version, 受理条件="导入后的受理条件")
    client = client_for(kind)
    job_id = client.post(
        f"{API}/imports", {"file": SimpleUploadedFile("清单.xlsx", content)}
    ).json()["id"]
    # when the job runs
    transfer.import_job_run(job_id=job_id)
    job = client.get(f"{API}/imports/{job_id}").json()
    # then
    assert job["status"] == (
        ImportStatus.SUCCEEDED if allowed else ImportStatus.FAILED
    ), job
    assert bool(job["errors"]) is not allowed
    drafts = listing.versions.filter(status=VersionStatus.DRAFT)
    assert drafts.exists() is allowed
    assert audited("catalog.version_created") is allowed


@pytest.mark.parametrize(
    "kind, status",
    [
        ("anonymous", 401),
        ("plain", 404),
        ("editor_other", 404),
        ("editor_own", 200),
        ("authority", 200),
    ],
)
def test_import_job_is_visible_to_its_uploader_and_the_authority(
    world, client_for, media, kind, status
):
    # given a job uploaded by the editor
    job = ImportJob.objects.create(
        original_name="清单.xlsx", uploaded_by=world.editor_own, file="imports/x.xlsx"
    )
    # when
    response = client_for(kind).get(f"{API}/imports/{job.pk}")
    # then
    assert response.status_code == status
