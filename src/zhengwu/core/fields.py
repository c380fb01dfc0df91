"""Model fields shared by every app."""

from typing import Any

from django.db import models

from .crypto import sm4_decrypt, sm4_encrypt


class EncryptedCharField(models.TextField):
    """A text value stored SM4-GCM encrypted (等保 8.1.4.8). The database never holds
    the clear value; the ORM gives it back decrypted. It cannot be searched: pair it
    with a blind index column (``core.crypto.blind_index``) for exact lookups.

    The associated data binds each ciphertext to its table and column, so a value
    copied into another column does not decrypt."""

    def contribute_to_class(
        self, cls: type[models.Model], name: str, *args: Any, **kwargs: Any
    ) -> None:
        super().contribute_to_class(cls, name, *args, **kwargs)
        self._crypto_context = f"{cls._meta.label_lower}.{name}"

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return sm4_encrypt(str(value), context=self._crypto_context)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return sm4_decrypt(value, context=self._crypto_context)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name != "isnull":  # a random nonce per value: equality never matches
            return None
        return super().get_lookup(lookup_name)
