"""The base records identity checks against: the population base records (人口库)
for a natural person's name and ID number, and the legal-person base records (法人库)
for an enterprise's credit code and legal representative.

Each is an interface (``PopulationRegistry``, ``LegalPersonRegistry``) chosen by a
setting holding a dotted path (``ZHENGWU_POPULATION_REGISTRY``,
``ZHENGWU_LEGAL_PERSON_REGISTRY``). The local implementations read the platform's own
tables (``PopulationRecord``, ``LegalPersonRecord``) through blind indexes only; the
data-exchange work will later put the shared base databases behind the same
interfaces."""

import enum
from dataclasses import dataclass
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from zhengwu.core.crypto import blind_index
from zhengwu.core.validators import normalise_code

from .models import LegalPersonRecord, PopulationRecord

DEFAULT_POPULATION_REGISTRY = "zhengwu.identity.registry.LocalPopulationRegistry"
DEFAULT_LEGAL_PERSON_REGISTRY = "zhengwu.identity.registry.LocalLegalPersonRegistry"


class Verdict(enum.StrEnum):
    """What the population base records say about a name and ID number."""

    MATCH = "match"  # the number exists, the name is the same, the record is live
    MISMATCH = "mismatch"  # the number exists under another name
    NOT_FOUND = "not_found"
    CANCELLED = "cancelled"  # the record is cancelled (注销: deceased, emigrated …)


@dataclass(frozen=True)
class EntityRecord:
    """One legal person as the base records know it."""

    credit_code: str
    name: str
    kind: str
    representative_name: str
    representative_id_index: str
    active: bool


class PopulationRegistry(Protocol):
    def verify_person(self, name: str, id_number: str) -> Verdict: ...


class LegalPersonRegistry(Protocol):
    def lookup_entity(self, credit_code: str) -> EntityRecord | None: ...


def normalise_name(name: str) -> str:
    """Names compare without surrounding or inner spaces (a common typing slip)."""
    return "".join(name.split())


class LocalPopulationRegistry:
    """The platform's ``PopulationRecord`` table."""

    def verify_person(self, name: str, id_number: str) -> Verdict:
        record = PopulationRecord.objects.filter(
            id_number_index=blind_index(normalise_code(id_number), purpose="id_number")
        ).first()
        if record is None:
            return Verdict.NOT_FOUND
        if record.status == PopulationRecord.Status.CANCELLED:
            return Verdict.CANCELLED
        if normalise_name(record.name) != normalise_name(name):
            return Verdict.MISMATCH
        return Verdict.MATCH


class LocalLegalPersonRegistry:
    """The platform's ``LegalPersonRecord`` table."""

    def lookup_entity(self, credit_code: str) -> EntityRecord | None:
        record = LegalPersonRecord.objects.filter(
            credit_code=normalise_code(credit_code)
        ).first()
        if record is None:
            return None
        return EntityRecord(
            credit_code=record.credit_code,
            name=record.name,
            kind=record.kind,
            representative_name=record.representative_name,
            representative_id_index=record.representative_id_index,
            active=record.status == LegalPersonRecord.Status.ACTIVE,
        )


@cache
def _load(path: str) -> object:
    return import_string(path)()


def population_registry() -> PopulationRegistry:
    path = getattr(settings, "ZHENGWU_POPULATION_REGISTRY", DEFAULT_POPULATION_REGISTRY)
    return _load(path)  # type: ignore[return-value]


def legal_person_registry() -> LegalPersonRegistry:
    path = getattr(
        settings, "ZHENGWU_LEGAL_PERSON_REGISTRY", DEFAULT_LEGAL_PERSON_REGISTRY
    )
    return _load(path)  # type: ignore[return-value]
