"""The licences part of the Liaoning demo, loaded by ``manage.py populate_demo``
after the catalogue and identity demos (whose organisations and accounts it uses)
and before the cases demo (whose handling settings name the licence type):

- the licence type 个体工商户营业执照 (a natural person's, 经营者), defined by
  辽宁省市场监督管理局 and issued by 沈阳市市场监督管理局;
- an active electronic seal (电子印章) of the issuing bureau;
- one licence of the type already held by the demo citizen 张丽华 (her shop
  丽华便民超市), so her 我的证照 is not empty.

Everything goes through the services staff use (licence_type_define,
seal_register, licence_issue) and is looked up by its natural key first (type by
defining organisation and name, seal by organisation, licence by type and
holder), so a second run changes nothing and writes no audit record."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

import structlog

from zhengwu.core.models import Organisation
from zhengwu.identity.facade import (
    applicant_profile,
    identity_demo_user,
    person_label_for_user,
    principal_code,
)

from .constants import HolderKind
from .errors import LicenceError
from .models import Licence, LicenceType, Seal
from .services import licence_issue, licence_type_define
from .signing import seal_register

logger = structlog.get_logger(__name__)

PROVINCE = "210000"
CITY = "210100"
DEFINING_ORGANISATION = "辽宁省市场监督管理局"
ISSUING_ORGANISATION = "沈阳市市场监督管理局"
# The catalogue authority (编委办) of the catalogue demo defines the type; the
# identity demo's market bureau reviewer issues the pre-issued licence.
EDITOR = "bianweiban"
ISSUER_USER = "shenpi_shichang"
SEAL_NAME = "沈阳市市场监督管理局电子印章"
DEMO_ACTOR = "system:demo"

# Also named in cases.demo (the settings of 个体工商户登记 and 食品经营许可).
SOLE_TRADER_LICENCE = "个体工商户营业执照"

SOLE_TRADER_FACE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "trade_name": {
            "type": "string",
            "title": "名称",
            "minLength": 1,
            "maxLength": 100,
        },
        "organisation_form": {
            "type": "string",
            "title": "组成形式",
            "enum": ["个人经营", "家庭经营"],
        },
        "business_address": {
            "type": "string",
            "title": "经营场所",
            "minLength": 1,
            "maxLength": 200,
        },
        "business_scope": {
            "type": "string",
            "title": "经营范围",
            "minLength": 1,
            "maxLength": 500,
        },
    },
    "required": [
        "trade_name",
        "organisation_form",
        "business_address",
        "business_scope",
    ],
    "additionalProperties": False,
}

# 张丽华's shop (the one of her example food licence cases).
HOLDER = "zhang"
HOLDER_FACE = {
    "trade_name": "丽华便民超市",
    "organisation_form": "个人经营",
    "business_address": "沈阳市和平区南京北街88号",
    "business_scope": "食品销售（仅销售预包装食品）；日用百货零售",
}


class LicencesDemoError(LicenceError):
    """The licences demo cannot be loaded (the catalogue or identity demo is missing)."""

    def __init__(self, message: str) -> None:
        super().__init__("licenses.demo_incomplete", message, status=409)


def _organisation(name: str, division: str) -> Organisation:
    organisation = (
        Organisation.objects.select_related("division")
        .filter(division__code=division, name=name)
        .first()
    )
    if organisation is None:
        raise LicencesDemoError(
            f"缺少演示单位“{name}”，请先加载事项目录演示数据（populate_demo）。"
        )
    return organisation


def _user(username: str) -> Any:
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise LicencesDemoError(
            f"缺少演示账号 {username}，请先加载事项目录和身份演示数据（populate_demo）。"
        )
    return user


def populate() -> dict[str, int]:
    """Load the licences demo; returns how many of each kind were created."""
    created = {"types": 0, "seals": 0, "licences": 0}
    defining = _organisation(DEFINING_ORGANISATION, PROVINCE)
    issuer = _organisation(ISSUING_ORGANISATION, CITY)
    with transaction.atomic():
        licence_type = LicenceType.objects.filter(
            defining_organisation=defining, name=SOLE_TRADER_LICENCE
        ).first()
        if licence_type is None:
            licence_type = licence_type_define(
                defining_organisation_id=defining.pk,
                name=SOLE_TRADER_LICENCE,
                holder_kind=HolderKind.PERSON,
                face_schema=SOLE_TRADER_FACE,
                layout_title="营业执照",
                valid_years=None,  # 长期
                issuing_organisation_ids=[issuer.pk],
                acting_user=_user(EDITOR),
            )
            created["types"] += 1
        if not Seal.objects.filter(organisation=issuer, active=True).exists():
            seal_register(
                organisation=issuer,
                name=SEAL_NAME,
                acting_user=None,
                actor_label=DEMO_ACTOR,
            )
            created["seals"] += 1
        citizen = identity_demo_user(HOLDER)
        if citizen is None:
            raise LicencesDemoError(
                "缺少演示公众用户（张丽华），请先加载身份演示数据（populate_demo）。"
            )
        label = person_label_for_user(citizen)
        if not Licence.objects.filter(
            licence_type=licence_type, holder_label=label
        ).exists():
            profile = applicant_profile(None, label)
            licence_issue(
                type_code=licence_type.type_code,
                issuer_organisation_id=issuer.pk,
                holder_label=label,
                holder_code=principal_code(label),
                holder_name=profile.name if profile is not None else "",
                face_data=dict(HOLDER_FACE),
                acting_user=_user(ISSUER_USER),
            )
            created["licences"] += 1
    logger.info("licences_demo_populated", **created)
    return created
