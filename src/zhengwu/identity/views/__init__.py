"""Identity pages. Each module owns one area and its ``urlpatterns``; ``identity.urls``
joins them."""
