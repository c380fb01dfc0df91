"""The Django admin never shows decrypted personal data (等保 least privilege):
a case's form and contact mobile, and a process instance's state (which holds
the form), are shown as a placeholder and not even loaded."""

import pytest

from zhengwu.cases import services
from zhengwu.cases.models import Case
from zhengwu.workflows.models import ProcessInstance

from .factories import apply

pytestmark = pytest.mark.django_db

SECRET_FORM = {"contact_name": "赵隐秘", "contact_mobile": "13912349876"}
PLACEHOLDER = "已加密，请在办件页面经授权查看"


@pytest.fixture
def admin_client(client, django_user_model):
    root = django_user_model.objects.create_superuser(username="root", password="x")
    client.force_login(root)
    return client


@pytest.fixture
def case(world) -> Case:
    return apply(world.citizen.user, world.listing_a, form=SECRET_FORM)


def test_the_admin_case_page_shows_no_form_value(admin_client, case):
    # when
    response = admin_client.get(f"/admin/cases/case/{case.pk}/change/")
    # then the page works, shows the case, and no value of the form
    assert response.status_code == 200
    html = response.content.decode()
    assert case.number in html
    assert PLACEHOLDER in html
    assert "赵隐秘" not in html
    assert "13912349876" not in html


def test_the_admin_case_list_shows_no_form_value(admin_client, case):
    response = admin_client.get("/admin/cases/case/")
    assert response.status_code == 200
    html = response.content.decode()
    assert case.number in html
    assert "赵隐秘" not in html


def test_the_admin_process_instance_page_shows_no_state(admin_client, world, case):
    # given the case's process, started at acceptance (its state holds the form)
    services.case_accept(case_id=case.pk, acting_user=world.reviewer_a)
    instance = ProcessInstance.objects.order_by("-pk").first()
    assert instance is not None
    assert "赵隐秘" in instance.state
    # when
    response = admin_client.get(
        f"/admin/workflows/processinstance/{instance.pk}/change/"
    )
    # then
    assert response.status_code == 200
    html = response.content.decode()
    assert instance.subject in html
    assert PLACEHOLDER in html
    assert "赵隐秘" not in html
    assert "13912349876" not in html
