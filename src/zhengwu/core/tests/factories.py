"""factory_boy factories of core's models."""

from django.contrib.auth import get_user_model

import factory

from zhengwu.core.models import (
    Division,
    DivisionLevel,
    Organisation,
    OrganisationLevel,
)
from zhengwu.core.validators import org_code_check_character, uscc_check_character


def make_uscc(serial: int, *, division_code: str = "210100") -> str:
    """A valid unified social credit code (机关, 1 1) for a serial number."""
    org8 = f"{serial:08d}"
    first17 = f"11{division_code}{org8}{org_code_check_character(org8)}"
    return first17 + uscc_check_character(first17)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct horse battery staple")

    class Params:
        superuser = factory.Trait(is_staff=True, is_superuser=True)


class DivisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Division
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"{990000 + n:06d}")
    name = factory.Sequence(lambda n: f"测试区划{n}")
    kind = "市辖区"
    level = DivisionLevel.COUNTY


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    credit_code = factory.Sequence(lambda n: make_uscc(1000 + n))
    name = factory.Sequence(lambda n: f"测试局{n}")
    level = OrganisationLevel.MUNICIPAL
    division = factory.SubFactory(DivisionFactory)
