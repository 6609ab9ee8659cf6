"""Forms of the staff and citizen pages: a service's validation errors shown on the form."""

from __future__ import annotations

from django import forms

from haochaping.core.errors import ValidationFailed


def add_service_errors(form: forms.Form, exc: ValidationFailed, aliases: dict[str, str] | None = None) -> None:
    """A service's field errors on the form's fields (``aliases``: service field → form field);
    errors of fields the form does not have, or an error without fields, are form-wide."""
    aliases = aliases or {}
    for name, problems in exc.fields.items():
        name = aliases.get(name, name)
        for problem in problems:
            form.add_error(name if name in form.fields else None, problem)
    if not exc.fields:
        form.add_error(None, exc.message)
