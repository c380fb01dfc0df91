"""Identity API: accounts."""

from ninja import Router

router = Router()
