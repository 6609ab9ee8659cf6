"""Forms of the staff and citizen pages: a service's validation errors shown on the form, and a
``<select>`` fast enough for a city's thousands of units, windows and staff."""

from __future__ import annotations

import html
from collections.abc import Callable, Container, Iterable, Iterator
from typing import Any

from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe

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


def _text(value: Any) -> str:
    """A value as the template language prints it: localized, then escaped unless already safe
    (``html.escape`` is what ``django.utils.html.escape`` does, without its lazy-string wrapper)."""
    if type(value) is str:
        return html.escape(value)
    return conditional_escape(value if isinstance(value, str) else localize(value))


def _attr(value: Any) -> str:
    """A value as ``{{ value|stringformat:'s' }}`` prints it: escaped unless already safe."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def checkbox_items(name: str, options: Iterable[tuple[Any, Any, Any]], checked: Container) -> SafeString:
    """The ``<li>`` of a checklist (``<ul class="check-list">``) of thousands of options, in one
    pass instead of a template loop: ``(value, label, note)`` per option, a box ``name`` ticked
    when its value is in ``checked``; the note is shown small and muted after the label."""
    parts = []
    for value, label, note in options:
        tick = " checked" if value in checked else ""
        parts.append(
            f'<li><label><input type="checkbox" name="{_attr(name)}" value="{_attr(value)}"{tick}> {_text(label)} '
            f'<span class="muted small">{_text(note)}</span></label></li>\n'
        )
    return mark_safe("".join(parts))  # noqa: S308 (every piece above is escaped)


class FastSelect(forms.Select):
    """Django's ``Select``, rendered without a template per option.

    The HTML is the one ``django/forms/widgets/select.html`` renders, byte for byte (attributes,
    options, ``selected``, ``<optgroup>``, whitespace), so labels, ``required``, ``aria-*`` and
    ``id`` come from the form and the field as before; only the rendering is done here, in one
    pass, where the template engine renders a template per option (slow for a city's thousands of
    staff). Validation is the field's, unchanged (the choices are the field's).

    ``group_by``: a function of an option's object (a ``ModelChoiceField``'s) or else of its value
    giving the label of its ``<optgroup>``, or None to leave it outside; consecutive options with
    the same label form one group and the empty option stays outside. E.g. the unit of a window or
    staff member, so a person finds one among thousands by its unit; the field's choices (and so
    its validation) stay flat. Choices grouped already (``[(group, [(value, label), ...]), ...]``)
    are rendered as groups as ``Select`` does.
    """

    def __init__(self, attrs=None, choices=(), *, group_by: Callable[[Any], str | None] | None = None):
        super().__init__(attrs, choices)
        self.group_by = group_by

    def _groups(self) -> Iterator[tuple[Any, list[tuple[Any, Any]]]]:
        """(group label or None, [(value, label), ...]) in the choices' order, as ``optgroups``."""
        pending: tuple[Any, list[tuple[Any, Any]]] | None = None
        for value, label in self.choices:
            if value is None:
                value = ""
            if isinstance(label, (list, tuple)):
                group: tuple[Any, list[tuple[Any, Any]]] = (value, list(label))
            else:
                name = None
                if self.group_by is not None and value != "":
                    name = self.group_by(getattr(value, "instance", value))
                if name is not None:
                    if pending is not None and pending[0] == name:
                        pending[1].append((value, label))
                        continue
                    group = (name, [(value, label)])
                else:
                    group = (None, [(value, label)])
            if pending is not None:
                yield pending
                pending = None
            if group[0] is not None and not isinstance(label, (list, tuple)):
                pending = group  # a group from ``group_by``: the next options may join it
            else:
                yield group
        if pending is not None:
            yield pending

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            final["multiple"] = True
        values = set(self.format_value(value))
        parts = [f'<select name="{_text(name)}"']
        for key, attr in final.items():  # as django/forms/widgets/attrs.html
            if attr is True:
                parts.append(f" {escape(key)}")
            elif attr is not False:
                parts.append(f' {escape(key)}="{_attr(attr)}"')
        parts.append(">")
        has_selected = False
        for group_name, options in self._groups():
            if group_name:
                parts.append(f'\n  <optgroup label="{_text(group_name)}">')
            for option_value, option_label in options:
                selected = (not has_selected or self.allow_multiple_selected) and str(option_value) in values
                has_selected |= selected
                parts.append(
                    f'\n  <option value="{_attr(option_value)}"{" selected" if selected else ""}>'
                    f"{_text(option_label)}</option>\n"
                )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 (every piece above is escaped)


class LabelColumnsIterator(ModelChoiceIterator):
    """The field's queryset reduced to the columns its labels read (the field's ``label_fields``):
    no other column is fetched and no other related row is joined, so thousands of options do
    not build thousands of unused objects. Validation still runs on the field's full queryset."""

    def __init__(self, field):
        super().__init__(field)
        if field.label_fields:
            related = sorted({name.rsplit("__", 1)[0] for name in field.label_fields if "__" in name})
            self.queryset = self.queryset.select_related(None).select_related(*related).only(*field.label_fields)

    def __iter__(self):
        """As ``ModelChoiceIterator``, with one plain query instead of ``QuerySet.iterator()``
        (on PostgreSQL a server-side cursor, planned for its first rows: a nested loop over
        every unit for a city's 5,000 staff, ten times the plain query's time), and the options'
        objects built from ``values_list`` rows (``_light_rows``)."""
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        fields = self.field.label_fields
        rows = _light_rows(self.queryset, fields) if fields else self.queryset.all()
        for obj in rows:
            yield self.choice(obj)


def _light_rows(queryset, fields: tuple[str, ...]) -> Iterator[Any]:
    """The queryset's objects with only ``fields`` (``"unit__name"``: a column of a related row,
    cached on the object as ``select_related`` would) and the primary key, built without
    ``Model.__init__``, which costs most of the time of a few thousand options (it visits every
    field of the model, deferred or not). Methods and properties of the model work on them; a
    field not loaded is fetched on access, as after ``.only()``."""
    from django.db.models.base import ModelState

    model = queryset.model
    own = [name for name in fields if "__" not in name]
    related: dict[str, list[str]] = {}
    for name in fields:
        if "__" in name:
            relation, column = name.split("__", 1)
            related.setdefault(relation, []).append(column)
    own_attnames = [model._meta.get_field(name).attname for name in own]
    relations = [(relation, model._meta.get_field(relation), columns) for relation, columns in related.items()]
    lookups = ["pk", *own]
    for relation, _, columns in relations:
        lookups += [relation, *[f"{relation}__{c}" for c in columns]]  # the key, then the columns
    pk_attname = model._meta.pk.attname
    for values in queryset.values_list(*lookups):
        obj = model.__new__(model)
        obj._state = ModelState()
        obj._state.adding = False
        obj._state.db = queryset.db
        state = obj.__dict__
        state[pk_attname] = values[0]
        at = 1
        for attname in own_attnames:
            state[attname] = values[at]
            at += 1
        for relation, field, columns in relations:
            target = field.related_model
            other = target.__new__(target)
            other._state = ModelState()
            other._state.adding = False
            other._state.db = queryset.db
            state[field.attname] = other.__dict__[target._meta.pk.attname] = values[at]
            at += 1
            for column in columns:
                other.__dict__[target._meta.get_field(column).attname] = values[at]
                at += 1
            obj._state.fields_cache[relation] = other
        yield obj


class ModelSelectField(forms.ModelChoiceField):
    """A ``ModelChoiceField`` for a choice among thousands of rows (units, windows, staff): a
    ``FastSelect``, filled with only the columns ``label_fields`` that ``label_from_instance`` and
    the widget's ``group_by`` read (``"unit__name"``: a related row's column, joined). A label
    reading another column still works, one query per option: list every column it reads."""

    widget = FastSelect
    iterator = LabelColumnsIterator
    label_fields: tuple[str, ...] = ()
