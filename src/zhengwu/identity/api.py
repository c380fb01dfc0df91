"""Identity API under /api/v1/identity/: one router per area."""

from ninja import Router

from . import api_accounts, api_admin, api_me

router = Router(tags=["identity"])
router.add_router("/accounts/", api_accounts.router)
router.add_router("/me/", api_me.router)
router.add_router("/admin/", api_admin.router)
