"""The encrypted JSON field: an applicant's form is ciphertext in its column, comes
back as the same value, and cannot be searched in SQL."""

import datetime
from collections.abc import Iterator

from django.core.exceptions import FieldError, ValidationError
from django.db import connection, models
from django.test.utils import isolate_apps

import pytest

from zhengwu.core.crypto import DecryptionError
from zhengwu.core.fields import EncryptedJSONField
from zhengwu.core.models import UnicodeJSONEncoder

pytestmark = pytest.mark.django_db

FORM = {"contact_name": "张三", "contact_mobile": "13912345678", "copies": 2}


@pytest.fixture
def sealed() -> Iterator[type[models.Model]]:
    """A throwaway model with two encrypted JSON columns, its table created inside
    the test's transaction (rolled back with it)."""
    with isolate_apps("zhengwu.core"):

        class SealedForm(models.Model):
            form = EncryptedJSONField(default=dict, encoder=UnicodeJSONEncoder)
            other = EncryptedJSONField(null=True, blank=True)

            class Meta:
                app_label = "core"
                db_table = "core_test_sealed_form"

            def __str__(self) -> str:
                return str(self.pk)

        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TABLE core_test_sealed_form "
                "(id integer PRIMARY KEY, form text NOT NULL, other text NULL)"
            )
        yield SealedForm


def _raw(pk: int) -> tuple[str, str | None]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT form, other FROM core_test_sealed_form WHERE id = %s", [pk]
        )
        return cursor.fetchone()


def test_a_form_round_trips_and_its_column_holds_only_ciphertext(sealed):
    # given a form with Chinese text, a mobile, a number, a list and a date
    form = {**FORM, "tags": ["甲", "乙"], "on": datetime.date(2026, 11, 27)}

    # when it is saved and read back
    sealed.objects.create(id=1, form=form)
    stored, _ = _raw(1)
    loaded = sealed.objects.get(id=1).form

    # then the column is SM4 ciphertext quoting nothing of the form
    assert stored.startswith("sm4g1:")
    assert not [text for text in ("13912345678", "张三", "contact") if text in stored]
    # and the ORM gives back the same value (the date as the encoder writes it)
    assert loaded == {**form, "on": "2026-11-27"}


def test_equal_forms_give_different_ciphertexts(sealed):
    # given the same form saved twice
    sealed.objects.create(id=1, form=FORM)
    sealed.objects.create(id=2, form=FORM)

    # then the two columns differ (a random nonce per value)
    assert _raw(1)[0] != _raw(2)[0]


def test_none_is_null_and_an_empty_form_is_encrypted_too(sealed):
    # given a row with the empty default form and no second value
    sealed.objects.create(id=1)

    # when the columns are read
    stored, other = _raw(1)
    row = sealed.objects.get(id=1)

    # then None is SQL NULL, {} is ciphertext, and both come back as they were
    assert other is None
    assert stored.startswith("sm4g1:")
    assert row.form == {}
    assert row.other is None
    assert sealed.objects.filter(other__isnull=True).count() == 1


def test_an_empty_form_passes_full_clean(sealed):
    # given a model whose form is not optional, holding the empty form
    row = sealed(id=1, form={})

    # then validation accepts it ({} is a value, as with JSONField) and keeps a dict
    row.full_clean()
    assert row.form == {}


def test_a_value_that_is_not_json_fails_validation(sealed):
    # given a form holding something JSON cannot write
    row = sealed(id=1, form={"bad": float("nan")})

    # then validation names the field
    with pytest.raises(ValidationError) as error:
        row.full_clean()
    assert "form" in error.value.message_dict


def test_a_ciphertext_copied_to_another_column_does_not_decrypt(sealed):
    # given a form's ciphertext copied into the other encrypted column
    sealed.objects.create(id=1, form=FORM)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_test_sealed_form SET other = form WHERE id = 1")

    # then reading the row refuses it
    with pytest.raises(DecryptionError):
        sealed.objects.get(id=1)


@pytest.mark.parametrize(
    "lookup",
    [
        {"form": FORM},
        {"form__contact_mobile": "13912345678"},
        {"form__contains": {"copies": 2}},
        {"form__has_key": "contact_mobile"},
        {"form__icontains": "1391"},
    ],
)
def test_the_form_cannot_be_searched(sealed, lookup):
    # when a query filters on the form's value or a key inside it
    # then the ORM refuses it instead of silently matching nothing
    with pytest.raises(FieldError):
        list(sealed.objects.filter(**lookup))


def test_the_field_deconstructs_with_its_encoder():
    # given the field as a model declares it
    field = EncryptedJSONField(default=dict, encoder=UnicodeJSONEncoder)

    # then a migration rebuilds it with the same encoder
    _, path, _, kwargs = field.deconstruct()
    assert path == "zhengwu.core.fields.EncryptedJSONField"
    assert kwargs["encoder"] is UnicodeJSONEncoder
    assert EncryptedJSONField(**kwargs).encoder is UnicodeJSONEncoder
