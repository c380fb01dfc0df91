"""URL patterns of the applicant's case pages (办件), included by portal.urls (same
``portal`` namespace): applying online, my cases, progress, messages, appointments
and bundles (一件事一次办)."""

from django.urls import path

from . import case_views, case_views_more

urlpatterns = [
    path("items/<listing:code>/apply/", case_views.apply, name="case_apply"),
    path("cases/", case_views.my_cases, name="cases"),
    path("cases/<id:pk>/", case_views.case_detail, name="case"),
    path("cases/<id:pk>/edit/", case_views.case_edit, name="case_edit"),
    path(
        "cases/<id:pk>/supplement/", case_views.case_supplement, name="case_supplement"
    ),
    path("cases/<id:pk>/withdraw/", case_views.case_withdraw, name="case_withdraw"),
    path("cases/<id:pk>/delivery/", case_views.case_delivery, name="case_delivery"),
    path("cases/<id:pk>/rating/", case_views.case_rating, name="case_rating"),
    path("cases/<id:pk>/files/<uuid:file_pk>/", case_views.case_file, name="case_file"),
    path("messages/", case_views_more.message_list, name="messages"),
    path("messages/read/", case_views_more.message_read, name="messages_read"),
    path("appointments/", case_views_more.appointments_page, name="appointments"),
    path(
        "appointments/book/",
        case_views_more.appointment_book,
        name="appointment_book",
    ),
    path(
        "appointments/<id:pk>/cancel/",
        case_views_more.appointment_cancel,
        name="appointment_cancel",
    ),
    path(
        "appointments/<id:pk>/arrive/",
        case_views_more.appointment_arrive,
        name="appointment_arrive",
    ),
    path(
        "bundles/<slug:code>/apply/",
        case_views_more.bundle_apply,
        name="bundle_apply",
    ),
    path("bundles/<id:pk>/", case_views_more.bundle_detail, name="bundle"),
]
