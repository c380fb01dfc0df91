"""/api/v1/licenses/ — imports (mounted by licenses.api)."""

from ninja import Router

router = Router(tags=["licenses"])
