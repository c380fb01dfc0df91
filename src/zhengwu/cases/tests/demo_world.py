"""The part of the demo the cases demo needs, loaded into a test database the way
``manage.py populate_demo`` loads it: reference data, the catalogue demo limited to
the base items the cases demo uses (every organisation and account, a few listings
instead of a thousand), the identity demo, the licences demo, the cases demo.

Used by ``test_demo.py`` and the browser journeys (tests/browser/test_cases_*.py)."""

from __future__ import annotations

import io
from unittest import mock

from django.core.management import call_command

from zhengwu.cases import demo as cases_demo
from zhengwu.cases.fixtures import demo as cases_data
from zhengwu.catalog import demo as catalog_demo
from zhengwu.catalog.demo import DEMO_PASSWORD
from zhengwu.identity.facade import populate_identity_demo
from zhengwu.licenses.facade import populate_licences_demo

ITEM_NAMES = frozenset(
    item
    for _organisation, item in (
        cases_data.FOOD_LICENCE,
        cases_data.COMPANY_REGISTRATION,
        cases_data.INVOICE,
        cases_data.RETIREMENT,
        cases_demo.SOLE_TRADER,
    )
)


def load_reference() -> None:
    call_command("load_reference_data", stdout=io.StringIO())


# Shenyang and its Heping district (the identity demo's service point), besides the
# province: the organisations and catalogue accounts of those only.
CITY_CODES = frozenset({"210100"})
COUNTY_CODES = frozenset({"210102"})
USER_DIVISIONS = frozenset({None, "210000", *CITY_CODES})


def load_catalogue_subset() -> None:
    items = [i for i in catalog_demo.data.all_items() if i["name"] in ITEM_NAMES]
    org_data, user_data = catalog_demo.org_data, catalog_demo.user_data
    cities = [c for c in org_data.CITIES if c["code"] in CITY_CODES]
    counties = [c for c in org_data.COUNTIES if c["code"] in COUNTY_CODES]
    users = [u for u in user_data.USERS if u["division"] in USER_DIVISIONS]
    with (
        mock.patch.object(catalog_demo.data, "all_items", lambda: items),
        mock.patch.object(org_data, "CITIES", cities),
        mock.patch.object(org_data, "COUNTIES", counties),
        mock.patch.object(user_data, "USERS", users),
    ):
        catalog_demo.populate()


def load_demo(*, reference: bool = True) -> dict[str, int]:
    """Reference data, the catalogue subset, the identity and cases demos; returns
    what the cases demo created."""
    if reference:
        load_reference()
    load_catalogue_subset()
    populate_identity_demo(password=DEMO_PASSWORD)
    populate_licences_demo()
    return cases_demo.populate(password=DEMO_PASSWORD)
