from django.urls import include, path

from .views import accounts, clients, counter, me, staff_admin

app_name = "identity"
urlpatterns = [
    path("accounts/", include(accounts.urlpatterns)),
    path("me/", include(me.urlpatterns)),
    path("staff/admin/", include(staff_admin.urlpatterns)),
    path("staff/counter/", include(counter.urlpatterns)),
    path("staff/sso-clients/", include(clients.urlpatterns)),
]
