import pytest

from zhengwu.catalog import services
from zhengwu.catalog.downloads import attachment_for_download
from zhengwu.catalog.pages import attachments_by_ids
from zhengwu.catalog.tests.factories import OrganisationFactory, grant
from zhengwu.identity.constants import StaffRole

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"


@pytest.fixture
def world(reference_data, make_user):
    own, other = OrganisationFactory(), OrganisationFactory()
    editor, stranger, authority = (
        make_user("editor"),
        make_user("stranger"),
        make_user("bwb"),
    )
    grant(editor, own, StaffRole.DEPARTMENT_EDITOR)
    grant(stranger, other, StaffRole.DEPARTMENT_EDITOR)
    grant(authority, OrganisationFactory(), StaffRole.CATALOGUE_AUTHORITY)
    private = services.attachment_create(
        content=PDF, filename="内部申请表.pdf", acting_user=editor, organisation=own
    )
    return {
        "editor": editor,
        "stranger": stranger,
        "authority": authority,
        "private": private,
    }


@pytest.mark.parametrize(
    "who, visible", [("editor", True), ("authority", True), ("stranger", False)]
)
def test_unpublished_file_is_seen_only_by_its_department_and_the_authority(
    world, who, visible
):
    # given an unpublished file of the editor's department
    key = str(world["private"].pk)
    # when another user asks for it by its id, to download it or to show its name
    user = world[who]
    found = attachment_for_download(key, user)
    infos = attachments_by_ids([key], user)
    # then only its department and the catalogue authority learn that it exists
    assert (found is not None) is visible
    assert (key in infos) is visible


def test_published_file_is_public(world, django_user_model):
    world["private"].is_public = True
    world["private"].save(update_fields=["is_public"])
    from django.contrib.auth.models import AnonymousUser

    key = str(world["private"].pk)
    assert attachment_for_download(key, AnonymousUser()) is not None
    assert key in attachments_by_ids([key], AnonymousUser())
