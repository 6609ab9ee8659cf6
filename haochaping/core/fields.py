"""Model fields for encrypted identity data and its masked display form."""

from __future__ import annotations

import json
from typing import Any

from django.db import models

from haochaping.core.crypto import canonical_json, sm4_decrypt, sm4_encrypt
from haochaping.core.masking import mask_id_number, mask_name, mask_phone


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

    # For mypy (django-stubs): the attribute holds a JSON value, as a ``models.JSONField`` does,
    # not the ``str`` of the parent TextField. Annotations only: nothing is set at runtime.
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

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


class MaskedCopyField(models.CharField):
    """The masked display form (张*丰, 138****5678) of an encrypted field, kept beside it.

    Staff pages, lists and API responses only ever show identity masked; with the masked form
    in its own column they show it without decrypting the identity at all (the rating-intake
    response, for one: two SM4 decryptions per rating spared). The column holds exactly what
    every page already shows, never more. It is filled from the source field's plaintext
    whenever the row is written (``pre_save``: ``save()``, ``bulk_create`` and the hot-path
    ``core.db.insert`` alike) and is not editable. A row updated with ``update_fields`` must
    list this field next to its source.
    """

    description = "masked copy of an encrypted field"
    MASKS = {"name": mask_name, "phone": mask_phone, "id_number": mask_id_number}

    def __init__(self, *args, source: str, mask: str, **kwargs) -> None:
        if mask not in self.MASKS:
            raise ValueError(f"unknown mask {mask!r}; one of {sorted(self.MASKS)}")
        self.source, self.mask = source, mask
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs["editable"] = False
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("editable", None)
        return name, path, args, {**kwargs, "source": self.source, "mask": self.mask}

    def masked(self, instance) -> str:
        """The masked form of ``instance``'s source value (its middle cut to fit the column)."""
        value = self.MASKS[self.mask](getattr(instance, self.source))
        if self.max_length and len(value) > self.max_length:
            value = value[: self.max_length - 1] + value[-1]
        return value

    def pre_save(self, model_instance, add):
        value = self.masked(model_instance)
        setattr(model_instance, self.attname, value)
        return value
