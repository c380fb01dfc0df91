from django.contrib import admin
from django.urls import include, path

from zhengwu.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("zhengwu.cases.callback_urls")),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("o/", include("zhengwu.identity.oidc_urls", namespace="oauth2_provider")),
    path("", include("zhengwu.identity.urls")),
    path("", include("zhengwu.portal.urls")),
]
