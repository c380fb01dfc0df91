"""Natural persons: registration, verification against the population base records
(L2), in-person verification at a counter (L3), and lookups by ID number or mobile
through their blind indexes."""

from django.contrib.auth.models import AbstractBaseUser

from .models import Person


def register_person(*, name: str, id_number: str, mobile: str, password: str) -> Person:
    """Create a citizen's login account and person record (L1), raise to L2 when the
    population base records confirm name and ID number. An ID number already linked
    to an account is refused; a walk-in person record without an account is linked.
    Audited. Raises ``IdentityError`` naming the field."""
    raise NotImplementedError


def person_for_user(user: AbstractBaseUser) -> Person | None:
    raise NotImplementedError
