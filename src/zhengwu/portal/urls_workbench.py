"""URL patterns of the staff case workbench (办件工作台), included by portal.urls (same
``portal`` namespace; the converters ``id`` and ``listing`` are registered there)."""

from django.urls import path

from . import workbench_config, workbench_counter, workbench_views

urlpatterns = [
    path("workbench/", workbench_views.inbox, name="wb_inbox"),
    path("workbench/cases/<id:pk>/", workbench_views.case_detail, name="wb_case"),
    path(
        "workbench/cases/<id:pk>/accept/",
        workbench_views.case_accept,
        name="wb_case_accept",
    ),
    path(
        "workbench/cases/<id:pk>/supplement/",
        workbench_views.case_supplement,
        name="wb_case_supplement",
    ),
    path(
        "workbench/cases/<id:pk>/refuse/",
        workbench_views.case_refuse,
        name="wb_case_refuse",
    ),
    path(
        "workbench/cases/<id:pk>/pause/",
        workbench_views.pause_start,
        name="wb_pause_start",
    ),
    path(
        "workbench/cases/<id:pk>/pause/end/",
        workbench_views.pause_end,
        name="wb_pause_end",
    ),
    path(
        "workbench/cases/<id:pk>/extensions/",
        workbench_views.extension_request,
        name="wb_extension_request",
    ),
    path(
        "workbench/cases/<id:pk>/extensions/<id:extension_pk>/decide/",
        workbench_views.extension_decide,
        name="wb_extension_decide",
    ),
    path("workbench/cases/<id:pk>/refund/", workbench_views.refund, name="wb_refund"),
    path(
        "workbench/cases/<id:pk>/materials/<id:material_pk>/",
        workbench_views.material_download,
        name="wb_material",
    ),
    path(
        "workbench/tasks/<id:pk>/claim/",
        workbench_views.task_claim,
        name="wb_task_claim",
    ),
    path(
        "workbench/tasks/<id:pk>/hand-over/",
        workbench_views.task_hand_over,
        name="wb_task_hand_over",
    ),
    path(
        "workbench/tasks/<id:pk>/return/",
        workbench_views.task_return,
        name="wb_task_return",
    ),
    path(
        "workbench/tasks/<id:pk>/complete/",
        workbench_views.task_complete,
        name="wb_task_complete",
    ),
    path("workbench/counter/", workbench_counter.counter, name="wb_counter"),
    path(
        "workbench/rectifications/",
        workbench_config.rectifications,
        name="wb_rectifications",
    ),
    path(
        "workbench/rectifications/<id:pk>/respond/",
        workbench_config.rectification_respond,
        name="wb_rectification_respond",
    ),
    path(
        "workbench/rectifications/<id:pk>/callback/",
        workbench_config.rectification_callback,
        name="wb_rectification_callback",
    ),
    path(
        "workbench/config/<listing:code>/",
        workbench_config.handling_config,
        name="wb_config",
    ),
]
