"""The audit administrator's log (page and API) shows each event by its Chinese label
from the one registry in ``core.audit``, with its code."""

import pytest

from zhengwu.core import audit
from zhengwu.identity.constants import StaffRole

from .staff_factories import divisions, organisation, staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor():
    divisions()
    province = organisation("辽宁省营商环境建设局", "210000")
    return staff_user("shenji", (province, StaffRole.AUDIT_ADMIN))


def test_the_audit_log_page_shows_labels_and_codes(client, auditor):
    audit.record(acting_user=None, event="catalog.version_published", data={})
    audit.record(acting_user=None, event="other.unlabelled", data={})
    client.force_login(auditor)
    page = client.get("/staff/admin/audit/").content.decode()
    assert "发布实施清单版本" in page and "catalog.version_published" in page
    assert "other.unlabelled" in page


def test_the_audit_log_api_gives_the_label(client, auditor):
    audit.record(acting_user=None, event="identity.factor_reset", data={})
    client.force_login(auditor)
    items = client.get("/api/v1/identity/admin/audit").json()["items"]
    reset = next(i for i in items if i["event"] == "identity.factor_reset")
    assert reset["event_label"] == "重置身份验证器"
