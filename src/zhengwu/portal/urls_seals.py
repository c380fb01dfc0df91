"""URL patterns of the electronic seal page (电子印章) of the staff workbench,
included by portal.urls (same ``portal`` namespace; ``id`` registered there)."""

from django.urls import path

from . import seal_views

urlpatterns = [
    path("staff/seals/", seal_views.seals, name="seals"),
    path(
        "staff/seals/<id:pk>/deactivate/",
        seal_views.seal_deactivate,
        name="seal_deactivate",
    ),
    path("staff/seals/<id:pk>/image.png", seal_views.seal_image, name="seal_image"),
]
