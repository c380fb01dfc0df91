"""The workbench navigation names 电子印章 and 证照批量导入 only to staff the pages
open for: seals to the organisations' department editors, the import to
reviewers who may issue some licence type (the import page's own rule)."""

import pytest

from zhengwu.identity.constants import StaffRole
from zhengwu.identity.tests.person_factories import make_citizen
from zhengwu.identity.tests.staff_factories import staff_user
from zhengwu.licenses.tests.factories import licence_world  # noqa: F401

pytestmark = pytest.mark.django_db

INBOX = "/workbench/"
SEALS = "/staff/seals/"
IMPORTS = "/staff/licences/imports/"


def _nav(html: str) -> str:
    start = html.index('<nav class="staff-nav"')
    return html[start : html.index("</nav>", start)]


def test_reviewer_who_issues_gets_the_import_entry(client, licence_world):  # noqa: F811
    client.force_login(licence_world.reviewer)
    nav = _nav(client.get(INBOX).content.decode())
    assert f'href="{IMPORTS}"' in nav and "证照批量导入" in nav
    assert f'href="{SEALS}"' not in nav  # a reviewer registers no seal
    page = client.get(IMPORTS)
    assert page.status_code == 200
    nav = _nav(page.content.decode())
    assert f'<a href="{IMPORTS}" aria-current="page">' in nav


def test_reviewer_of_an_organisation_issuing_nothing_gets_no_import_entry(
    client,
    licence_world,  # noqa: F811
):
    client.force_login(licence_world.other_reviewer)
    response = client.get(INBOX)
    assert response.status_code == 200
    nav = _nav(response.content.decode())
    assert "办件工作台" in nav  # the nav is there, without the entry
    assert f'href="{IMPORTS}"' not in nav and f'href="{SEALS}"' not in nav
    assert client.get(IMPORTS).status_code == 403  # what the entry would open


def test_department_editor_gets_the_seal_entry(client, licence_world):  # noqa: F811
    client.force_login(licence_world.editor)
    page = client.get(SEALS)
    assert page.status_code == 200
    nav = _nav(page.content.decode())
    assert f'<a href="{SEALS}" aria-current="page">电子印章</a>' in nav
    assert f'href="{IMPORTS}"' not in nav  # an editor issues no licence


def test_editor_and_reviewer_gets_both(client, licence_world):  # noqa: F811
    both = staff_user(
        "lic-both",
        (licence_world.bureau, StaffRole.DEPARTMENT_EDITOR),
        (licence_world.bureau, StaffRole.REVIEWER),
    )
    client.force_login(both)
    nav = _nav(client.get(INBOX).content.decode())
    assert f'href="{SEALS}"' in nav and f'href="{IMPORTS}"' in nav


def test_citizen_gets_neither_page(client, licence_world):  # noqa: F811
    client.force_login(make_citizen("赵六").user)
    assert client.get(SEALS).status_code == 403
    assert client.get(IMPORTS).status_code == 403
    assert client.get(INBOX).status_code == 403
