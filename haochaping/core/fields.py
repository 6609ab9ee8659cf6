"""Model fields for encrypted identity data."""

from __future__ import annotations

import json

from django.db import models

from haochaping.core.crypto import canonical_json, sm4_decrypt, sm4_encrypt


class SM4EncryptedField(models.TextField):
    """A text value stored SM4-GCM encrypted; Python code sees the plaintext.

    The database never holds the plaintext, so the field cannot be filtered on: pair it with a
    blind-index column (``core.crypto.blind_index``) where lookups are needed. Never display
    the plaintext to staff: use ``core.masking``.
    """

    description = "SM4-encrypted text"

    def context(self) -> str:
        """Associated data binding each ciphertext to this table and column."""
        return f"{self.model._meta.db_table}.{self.column}"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return sm4_decrypt(value, context=self.context())

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return sm4_encrypt(value, context=self.context())

    def get_lookup(self, lookup_name):
        if lookup_name not in ("isnull",):
            raise TypeError(f"encrypted field {self.name!r} cannot be filtered with {lookup_name!r}")
        return super().get_lookup(lookup_name)


class SM4EncryptedJSONField(SM4EncryptedField):
    """A JSON value (dict, list …) stored as SM4-GCM encrypted canonical JSON text.

    For values that must not sit in the database in clear although they are not identity:
    the one-time codes and signed rating links that SMS messages carry. Like its parent it
    cannot be filtered on.
    """

    description = "SM4-encrypted JSON"

    def from_db_value(self, value, expression, connection):
        text = super().from_db_value(value, expression, connection)
        return json.loads(text) if text else text

    def to_python(self, value):
        return value  # already the Python value; the parent's would make it a str

    def get_prep_value(self, value):
        return None if value is None else super().get_prep_value(self.value_to_text(value))

    def value_to_text(self, value) -> str:
        return canonical_json(value).decode()

    def value_to_string(self, obj):
        return self.value_to_text(self.value_from_object(obj))
