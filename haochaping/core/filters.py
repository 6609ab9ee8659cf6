"""One filter definition per list, shared by the API and the console page (django-filter).

A list's ``FilterSet`` (say ``evaluations.filters.EvaluationFilter``) narrows the queryset its
selector has already scoped; it never restricts access itself. The console renders its form as
the filter bar (invalid fields are shown beside the field and not applied); the API applies it
with ``api_filter`` (invalid fields are a 422 ``validation_error`` naming the field) and documents
it with ``openapi_parameters``. See docs/architecture.md, "Filters".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.http import QueryDict

from haochaping.core.errors import ValidationFailed
from haochaping.core.pages.filters import DateInput, GetFilterForm, UnitLike, check_date_range, unit_choices
from haochaping.core.pages.forms import FastSelect
from haochaping.core.timeutil import local_day_lookups

# Query parameters of the API's paging (core.pagination.Pagination), never filters.
PAGING_PARAMS = ("page", "page_size")

INVALID_CHOICE = "取值不在允许范围内"
INVALID_DATE = "须为日期，例如 2026-11-30"


class FilterForm(GetFilterForm):
    """The form of every FilterSet: a console filter bar (``date_to`` before ``date_from`` is an
    error on ``date_to``, which is then not applied)."""

    def clean(self):
        cleaned = super().clean()
        check_date_range(self, cleaned)
        return cleaned


def unit_path_filter(unit_field: str):
    """A filter ``method`` keeping rows whose ``unit_field`` is the unit of that code or below it."""

    def method(queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(**{f"{unit_field}__path__contains": f"/{value}/"})

    return method


def choice_filter(*, label: str, choices, empty_label: str, **kwargs) -> django_filters.ChoiceFilter:
    """A select; an unknown value is an error in Chinese."""
    kwargs.setdefault("error_messages", {"invalid_choice": INVALID_CHOICE})
    return django_filters.ChoiceFilter(label=label, choices=choices, empty_label=empty_label, **kwargs)


def date_filter(*, label: str, field_name: str, lookup_expr: str, **kwargs) -> django_filters.DateFilter:
    """A date (``YYYY-MM-DD``), shown as a date picker.

    On a date-time field, ``lookup_expr`` ``date__gte`` / ``date__lte`` (the local day, first or
    last included) is applied as a bound on the column itself (``core.timeutil.local_day_lookups``),
    so the field's index serves it; ``field__date__gte`` would cast every row.
    """
    kwargs.setdefault("error_messages", {"invalid": INVALID_DATE})
    day_bound = {"date__gte": "first", "date__lte": "last"}.get(lookup_expr)
    if day_bound is not None:
        kwargs["method"] = _local_day_bound(field_name, day_bound)
    return django_filters.DateFilter(
        label=label, field_name=field_name, lookup_expr=lookup_expr, widget=DateInput(), **kwargs
    )


def _local_day_bound(field: str, bound: str):
    def method(queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(**local_day_lookups(field, **{bound: value}))

    return method


class IntegerFilter(django_filters.NumberFilter):
    """A whole number ≥ 1 (an exact match), e.g. a service number."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("error_messages", {"invalid": "须为整数", "min_value": "不能小于 1"})
        super().__init__(*args, **kwargs)


def text_filter(*, label: str, field_name: str, **kwargs) -> django_filters.CharFilter:
    """An exact match on a code typed or pasted (surrounding spaces ignored)."""
    return django_filters.CharFilter(label=label, field_name=field_name, method=_exact_stripped, **kwargs)


def _exact_stripped(queryset: QuerySet, name: str, value: str) -> QuerySet:
    value = value.strip()
    return queryset.filter(**{name: value}) if value else queryset


class FlagField(forms.Field):
    """A yes/no query flag: ``true/false``, ``1/0``, ``yes/no``, ``on/off`` (absent: no)."""

    TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
    FALSE = frozenset({"0", "false", "f", "no", "n", "off", ""})
    default_error_messages = {"invalid": "须为 true 或 false"}

    def to_python(self, value):
        if isinstance(value, bool):
            return value
        text = str(value if value is not None else "").strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class FlagFilter(django_filters.Filter):
    """A yes/no flag: when set, keeps the rows matching ``q`` (or ``q()``, for a condition
    computed when the list is read, such as "overdue now")."""

    field_class = FlagField

    def __init__(self, *args, q: Q | Callable[[], Q], **kwargs):
        self.q = q
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(self.q() if callable(self.q) else self.q)


class FilterSet(django_filters.FilterSet):
    """The base of every list's filters.

    ``units``: the caller's units (console): ``unit_code`` becomes a select of them (nobody is
    offered another unit's name; an unknown code is an error and not applied). Without it (API)
    ``unit_code`` is any code, and the selector's scope still decides what is seen.
    """

    class Meta:
        form = FilterForm

    def __init__(self, data=None, queryset=None, *, units: Iterable[UnitLike] | None = None, **kwargs):
        super().__init__(data, queryset=queryset, **kwargs)
        if units is not None and "unit_code" in self.form.fields:
            label = self.form.fields["unit_code"].label
            self.form.fields["unit_code"] = forms.ChoiceField(
                label=label,
                required=False,
                choices=unit_choices(units),
                widget=FastSelect,
                error_messages={"invalid_choice": INVALID_CHOICE},
            )

    def narrow(self, queryset: QuerySet) -> QuerySet:
        """Another queryset narrowed by the same valid filters (a page's counts beside its list)."""
        self.is_valid()
        return self.filter_queryset(queryset)

    def filter_queryset(self, queryset):
        # Only the filters: the form may carry other fields (a console tab), and fields a page
        # removed from its form are not applied.
        for name, value in self.form.cleaned_data.items():
            if name in self.filters and name in self.form.fields:
                queryset = self.filters[name].filter(queryset, value)
        return queryset


def with_aliases(data: QueryDict, aliases: Mapping[str, str]) -> QueryDict:
    """A copy of ``data`` where each old parameter name (a bookmark's ``?unit=``) also fills
    its current name, unless that is given."""
    data = data.copy()
    for old, new in aliases.items():
        if data.get(old) and not data.get(new):
            data[new] = data[old]
    return data


def api_filter(filterset_class: type[FilterSet], data: QueryDict, queryset: QuerySet, **kwargs) -> QuerySet:
    """``queryset`` narrowed by the filters in ``data`` (the API's query string, paging aside);
    any invalid filter raises ``ValidationFailed`` (422) with the form's Chinese errors per field."""
    data = data.copy()
    for name in PAGING_PARAMS:
        data.pop(name, None)
    filterset = filterset_class(data, queryset=queryset, **kwargs)
    if not filterset.is_valid():
        raise ValidationFailed(fields={name: list(errors) for name, errors in filterset.errors.items()})
    return filterset.qs


# --- OpenAPI --------------------------------------------------------------------------------


def _choice_schema(choices) -> dict[str, Any]:
    values = [value for value, _ in (choices() if callable(choices) else choices) if value not in ("", None)]
    ints = [v for v in values if isinstance(v, int)]
    strs = [v for v in values if not isinstance(v, int)]
    if ints and strs:
        return {"anyOf": [{"type": "integer", "enum": ints}, {"type": "string", "enum": strs}]}
    return {"type": "integer", "enum": ints} if ints else {"type": "string", "enum": strs}


def _schema(filter_: django_filters.Filter) -> dict[str, Any]:
    if "choices" in filter_.extra:
        return _choice_schema(filter_.extra["choices"])
    if isinstance(filter_, django_filters.DateFilter):
        return {"type": "string", "format": "date"}
    if isinstance(filter_, IntegerFilter):
        return {"type": "integer", "minimum": 1}
    if isinstance(filter_, FlagFilter):
        return {"type": "boolean", "default": False}
    if isinstance(filter_, django_filters.NumberFilter):
        return {"type": "number"}
    return {"type": "string"}


def openapi_parameters(filterset_class: type[FilterSet]) -> list[dict[str, Any]]:
    """The filters as OpenAPI query parameters, for a ninja operation's
    ``openapi_extra={"parameters": ...}`` (ninja adds them to the paging parameters).

    The description is the filter's ``help_text``, else its label.
    """
    parameters = []
    for name, filter_ in filterset_class.base_filters.items():
        parameters.append(
            {
                "in": "query",
                "name": name,
                "required": False,
                "description": str(filter_.extra.get("help_text") or filter_.label or name),
                "schema": _schema(filter_),
            }
        )
    return parameters
