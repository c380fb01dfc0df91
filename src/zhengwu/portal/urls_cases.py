"""URL patterns included by portal.urls (same ``portal`` namespace)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
