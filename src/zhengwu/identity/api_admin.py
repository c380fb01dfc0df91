"""Identity API: admin."""

from ninja import Router

router = Router()
