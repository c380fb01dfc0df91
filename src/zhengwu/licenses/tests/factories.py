"""Organisations, staff, licence types and seals of the licences tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from zhengwu.core.models import Organisation
from zhengwu.identity.constants import StaffRole
from zhengwu.identity.tests.person_factories import make_citizen
from zhengwu.identity.tests.staff_factories import organisation, staff_user
from zhengwu.licenses.models import LicenceType, Seal
from zhengwu.licenses.services import licence_type_define
from zhengwu.licenses.signing import seal_register

FACE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "gender": {"type": "string", "title": "性别", "enum": ["男", "女"]},
        "qualification": {"type": "string", "title": "资格类别", "maxLength": 50},
        "certificate_number": {
            "type": "string",
            "title": "证书编号",
            "pattern": "^[0-9]{6}$",
        },
    },
    "required": ["gender", "qualification", "certificate_number"],
    "additionalProperties": False,
}

FACE_DATA = {
    "gender": "女",
    "qualification": "中式烹调师",
    "certificate_number": "123456",
}


@dataclass
class LicenceWorld:
    bureau: Organisation  # defines and issues the type
    other_bureau: Organisation  # defines nothing
    editor: Any
    reviewer: Any
    other_reviewer: Any
    licence_type: LicenceType
    seal: Seal
    other_seal: Seal
    id_number: str
    holder: Any = None  # the person record of ``id_number`` (王秀英)

    @property
    def holder_label(self) -> str:
        return f"person:{self.holder.pk}"

    def issue(self, **overrides: Any):
        from zhengwu.licenses.services import licence_issue

        arguments: dict[str, Any] = {
            "type_code": self.licence_type.type_code,
            "issuer_organisation_id": self.bureau.pk,
            "holder_label": self.holder_label,
            "holder_code": self.id_number,
            "holder_name": "王秀英",
            "face_data": dict(FACE_DATA),
            "source_case_number": "1121010000000000000000000000000202611270001",
            "acting_user": self.reviewer,
        }
        label = overrides.get("holder_label", "")
        if label.startswith("person:") and "holder_code" not in overrides:
            # the code must be the labelled person's own ID number
            from zhengwu.identity.models import Person

            number = label.partition(":")[2]
            person = Person.objects.filter(pk=int(number)).first()
            if person is not None:
                arguments["holder_code"] = person.id_number
        arguments.update(overrides)
        return licence_issue(**arguments)


@pytest.fixture
def licence_world(db) -> LicenceWorld:
    bureau = organisation("沈阳市人力资源和社会保障局", "210100")
    other = organisation("沈阳市市场监督管理局", "210100")
    editor = staff_user("lic-editor", (bureau, StaffRole.DEPARTMENT_EDITOR))
    reviewer = staff_user("lic-reviewer", (bureau, StaffRole.REVIEWER))
    other_reviewer = staff_user("lic-other-reviewer", (other, StaffRole.REVIEWER))
    licence_type = licence_type_define(
        defining_organisation_id=bureau.pk,
        name="职业资格证书",
        holder_kind="person",
        face_schema=FACE_SCHEMA,
        layout_title="职业资格证书",
        valid_years=3,
        acting_user=editor,
    )
    seal = seal_register(
        organisation=bureau, name="沈阳市人社局电子印章", acting_user=editor
    )
    other_seal = seal_register(
        organisation=other,
        name="沈阳市市场监管局电子印章",
        acting_user=None,
        actor_label="system:test",
    )
    holder = make_citizen("王秀英", verified=False)
    return LicenceWorld(
        bureau=bureau,
        other_bureau=other,
        editor=editor,
        reviewer=reviewer,
        other_reviewer=other_reviewer,
        licence_type=licence_type,
        seal=seal,
        other_seal=other_seal,
        id_number=holder.clear_id_number,
        holder=holder,
    )
