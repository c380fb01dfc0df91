from django.contrib import admin
from django.urls import include, path

from zhengwu.api import api
from zhengwu.identity.views.sso import SsoLogoutView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # RP-initiated logout ends the platform sessions everywhere (before DOT's route).
    path("o/logout/", SsoLogoutView.as_view()),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("", include("zhengwu.identity.urls")),
    path("", include("zhengwu.portal.urls")),
]
