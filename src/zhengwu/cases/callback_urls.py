"""Provider callback endpoints and the local providers' pages (included from the
project's urls.py before the API, so the callback paths win over the ninja router)."""

from django.urls import path

from . import callbacks

app_name = "cases_callbacks"

urlpatterns = [
    path(
        "api/v1/cases/callbacks/payment/<str:provider>",
        callbacks.payment_callback,
        name="payment_callback",
    ),
    path(
        "api/v1/cases/callbacks/express/<str:provider>",
        callbacks.express_callback,
        name="express_callback",
    ),
    path("local-pay/<str:order_number>/", callbacks.local_pay, name="local_pay"),
    path(
        "local-express/<str:tracking_number>/",
        callbacks.local_express,
        name="local_express",
    ),
]
