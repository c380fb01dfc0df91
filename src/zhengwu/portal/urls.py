from django.urls import include, path, register_converter

from . import staff, views


class IdConverter:
    """A database id: 1–18 digits, so no request can overflow a 64-bit column."""

    regex = "[1-9][0-9]{0,17}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


class DivisionCodeConverter:
    regex = "[0-9]{6}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class ListingCodeConverter:
    """实施编码: 31 characters (credit code 18 + level 1 + basic code 12)."""

    regex = "[0-9A-Za-z]{31}"

    def to_python(self, value: str) -> str:
        return value.upper()

    def to_url(self, value: str) -> str:
        return value


register_converter(IdConverter, "id")
register_converter(DivisionCodeConverter, "division")
register_converter(ListingCodeConverter, "listing")

app_name = "portal"
urlpatterns = [
    # public
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("regions/", views.regions, name="regions"),
    path("regions/<division:code>/", views.region, name="region"),
    path("departments/", views.departments, name="departments"),
    path("departments/<id:pk>/", views.department, name="department"),
    path("for/<slug:audience>/", views.audience, name="audience"),
    path("themes/", views.themes, name="themes"),
    path("themes/<slug:code>/", views.theme, name="theme"),
    path("items/<listing:code>/", views.listing, name="listing"),
    path("files/<uuid:pk>/", views.attachment, name="attachment"),
    # cases (办件): applicant pages and the staff case workbench
    path("", include("zhengwu.portal.urls_cases")),
    path("", include("zhengwu.portal.urls_workbench")),
    path("", include("zhengwu.portal.urls_licences")),
    path("", include("zhengwu.portal.urls_seals")),
    # staff
    path("staff/", staff.workbench, name="workbench"),
    path("staff/listings/", staff.listings, name="staff_listings"),
    path(
        "staff/listings/<id:pk>/new-version/",
        staff.version_create,
        name="version_create",
    ),
    path(
        "staff/listings/<id:pk>/compare/", staff.version_compare, name="version_compare"
    ),
    path("staff/versions/<id:pk>/", staff.version_detail, name="version"),
    path("staff/versions/<id:pk>/edit/", staff.version_edit, name="version_edit"),
    path(
        "staff/versions/<id:pk>/comment/", staff.version_comment, name="version_comment"
    ),
    path("staff/versions/<id:pk>/submit/", staff.version_submit, name="version_submit"),
    path(
        "staff/versions/<id:pk>/discard/", staff.version_discard, name="version_discard"
    ),
    path("staff/versions/<id:pk>/return/", staff.version_return, name="version_return"),
    path(
        "staff/versions/<id:pk>/publish/", staff.version_publish, name="version_publish"
    ),
    path("staff/import/", staff.import_start, name="import"),
    path("staff/import/<id:pk>/", staff.import_job, name="import_job"),
    path("staff/export.xlsx", staff.export, {"fmt": "xlsx"}, name="export_xlsx"),
    path("staff/export.json", staff.export, {"fmt": "json"}, name="export_json"),
    path("staff/report/", staff.report, name="report"),
]
