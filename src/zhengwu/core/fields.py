"""Model fields shared by every app."""

import json
from typing import Any

from django import forms
from django.core import exceptions
from django.db import models
from django.utils.translation import gettext_lazy as _

from .crypto import sm4_decrypt, sm4_encrypt


class _SealedTextField(models.TextField):
    """A text column holding SM4-GCM ciphertext (等保 8.1.4.8). The associated data
    binds each ciphertext to its table and column, so a value copied into another
    column does not decrypt. A random nonce per value means equality never matches:
    the only lookup is ``isnull``; any other raises ``FieldError``."""

    def contribute_to_class(
        self, cls: type[models.Model], name: str, *args: Any, **kwargs: Any
    ) -> None:
        super().contribute_to_class(cls, name, *args, **kwargs)
        self._crypto_context = f"{cls._meta.label_lower}.{name}"

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name != "isnull":
            return None
        return super().get_lookup(lookup_name)

    def get_transform(self, lookup_name: str) -> Any:
        return None


class EncryptedCharField(_SealedTextField):
    """A text value stored SM4-GCM encrypted (等保 8.1.4.8). The database never holds
    the clear value; the ORM gives it back decrypted. It cannot be searched: pair it
    with a blind index column (``core.crypto.blind_index``) for exact lookups."""

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return sm4_encrypt(str(value), context=self._crypto_context)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return sm4_decrypt(value, context=self._crypto_context)


class EncryptedJSONField(_SealedTextField):
    """A JSON value (an applicant's form) stored SM4-GCM encrypted (等保 8.1.4.8):
    the column is text holding the ciphertext of the value's canonical JSON (sorted
    keys, no spaces, Chinese as itself); the ORM gives back the decoded value. Every
    value but ``None`` (SQL NULL) is encrypted, ``{}`` included. Nothing inside it
    can be queried in SQL: no key transforms, no lookups but ``isnull``.

    Takes ``encoder`` and ``decoder`` like ``models.JSONField``."""

    empty_strings_allowed = False
    empty_values = [None]  # {} is a value, as with JSONField
    description = _("加密的 JSON 值")
    default_error_messages = {"invalid": _("值应为有效的 JSON。")}

    def __init__(
        self,
        *args: Any,
        encoder: type[json.JSONEncoder] | None = None,
        decoder: type[json.JSONDecoder] | None = None,
        **kwargs: Any,
    ) -> None:
        self.encoder, self.decoder = encoder, decoder
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.encoder is not None:
            kwargs["encoder"] = self.encoder
        if self.decoder is not None:
            kwargs["decoder"] = self.decoder
        return name, path, args, kwargs

    def _canonical(self, value: Any) -> str:
        return json.dumps(
            value,
            cls=self.encoder,
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
            allow_nan=False,
        )

    def to_python(self, value: Any) -> Any:
        return value  # the Python value is the decoded JSON, not its text

    def get_prep_value(self, value: Any) -> Any:
        value = models.Field.get_prep_value(self, value)
        if value is None:
            return None
        return sm4_encrypt(self._canonical(value), context=self._crypto_context)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return None
        text = sm4_decrypt(value, context=self._crypto_context)
        return json.loads(text, cls=self.decoder)

    def validate(self, value: Any, model_instance: models.Model | None) -> None:
        super().validate(value, model_instance)
        try:
            self._canonical(value)
        except (TypeError, ValueError) as exc:
            raise exceptions.ValidationError(
                self.error_messages["invalid"], code="invalid", params={"value": value}
            ) from exc

    def value_to_string(self, obj: models.Model) -> Any:
        return self.value_from_object(obj)  # serialisers write the JSON value

    def formfield(self, **kwargs: Any) -> Any:
        return models.Field.formfield(
            self,
            **{
                "form_class": forms.JSONField,
                "encoder": self.encoder,
                "decoder": self.decoder,
                **kwargs,
            },
        )
