"""URL patterns of the licence pages (电子证照), included by portal.urls (same
``portal`` namespace): the holder's wallet and 亮证, the public 查证 pages, and
the workbench's 证照批量导入."""

from django.urls import path

from . import licence_import_views, licence_views

urlpatterns = [
    path("licenses/mine/", licence_views.wallet, name="licences"),
    path("licenses/mine/<id:pk>/", licence_views.licence_detail, name="licence"),
    path(
        "licenses/mine/<id:pk>/file/", licence_views.licence_file, name="licence_file"
    ),
    path(
        "licenses/mine/<id:pk>/show/", licence_views.licence_show, name="licence_show"
    ),
    path("licenses/verify/", licence_views.verify, name="licence_verify"),
    # the path printed in the licence's QR code (documents.verification_path)
    path(
        "licenses/verify/<str:identifier>",
        licence_views.verify,
        name="licence_verify_identifier",
    ),
    path(
        "licenses/show/<str:token>/",
        licence_views.show_check,
        name="licence_show_check",
    ),
    path(
        "staff/licences/imports/",
        licence_import_views.licence_imports,
        name="licence_imports",
    ),
    path(
        "staff/licences/imports/template/",
        licence_import_views.licence_import_template,
        name="licence_import_template",
    ),
    path(
        "staff/licences/imports/<id:pk>/",
        licence_import_views.licence_import_job,
        name="licence_import_job",
    ),
]
