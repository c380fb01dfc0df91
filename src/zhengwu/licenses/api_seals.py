"""/api/v1/licenses/ — seals (mounted by licenses.api)."""

from ninja import Router

router = Router(tags=["licenses"])
