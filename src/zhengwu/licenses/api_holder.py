"""/api/v1/licenses/ — holder (mounted by licenses.api)."""

from ninja import Router

router = Router(tags=["licenses"])
