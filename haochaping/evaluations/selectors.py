"""Reads for ratings, always through a Scope; identity is only ever shown masked."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from django.db import connection, connections
from django.db.models import Q, QuerySet
from django.db.models.query import ModelIterable

from haochaping.core.db.hot import hot_cursor
from haochaping.core.errors import NotFound
from haochaping.evaluations.choices import BAD_LEVELS
from haochaping.evaluations.models import Evaluation, Indicator
from haochaping.organizations.models import Unit
from haochaping.organizations.selectors import Scope, lone_unit_id
from haochaping.service_records.models import ServiceRecord, encrypted_identity


class _RecordPlacement(ModelIterable):
    """Ratings whose record gets the rating's unit and staff member (loaded with the rating:
    the same rows, copied from the record at intake) as if it had loaded them itself, so that
    ``rating.record.unit`` and ``rating.record.staff`` read no more rows."""

    def __iter__(self):
        for rating in super().__iter__():
            cache = rating._state.fields_cache
            record = cache.get("record")
            if record is not None:
                for name in ("unit", "staff"):
                    if name in cache:
                        record._state.fields_cache.setdefault(name, cache[name])
            yield rating


def evaluation_list(
    *,
    scope: Scope,
    system_id: int | None = None,
    bad_only: bool = False,
    with_identity: bool = False,
    paged: bool = False,
) -> QuerySet[Evaluation]:
    """Ratings in scope (newest first). The record's encrypted identity is loaded only
    ``with_identity`` (to contact the citizen); pages and responses show the masked copies,
    decrypting nothing. The lists narrow it with ``evaluations.filters.EvaluationFilter``.

    ``paged``: read page by page or exported in order (the console list), where a scope of one
    unit also filters on its id (one query more): a deep page then reads the unit's newest
    ratings backwards through the (unit, evaluated_at) index, where the join on the unit's path
    alone had PostgreSQL walk every rating by time (see ``subtree_unit_ids``)."""
    # The unit and staff member through the rating's own copies (the scope's join on the unit
    # is reused), handed to the record too (``_RecordPlacement``): one join less than reading
    # the record's, two fewer tables for PostgreSQL to order (planning the eight-table query
    # took 20-45 ms, more than running it, on every list and page of ratings).
    qs: QuerySet[Evaluation] = Evaluation.objects.select_related(
        "record", "unit", "record__item", "staff", "record__window", "case"
    )
    qs._iterable_class = _RecordPlacement
    if not with_identity:
        qs = qs.defer(*encrypted_identity("record__"))
    # On the rating's own copies of the record's unit and staff member: a unit's or a clerk's
    # ratings are then read newest first through the rating's (unit, evaluated_at) or (staff,
    # unit, evaluated_at) index.
    qs = scope.filter(qs, unit_field="unit", staff_field="staff_id")
    if paged and (unit_id := lone_unit_id(scope)) is not None:
        qs = qs.filter(unit_id=unit_id)
    if bad_only:
        qs = qs.filter(level__lte=2)
    if system_id is not None:
        # A business system sees what it pushed or rated itself, nothing else.
        qs = qs.filter(Q(record__system_id=system_id) | Q(system_id=system_id))
    return qs


def evaluation_recent_bad(*, scope: Scope, limit: int = 10) -> list[Evaluation]:
    """The scope's ``limit`` newest bad ratings, newest first (the home page's 最近差评): the
    newest of each bad level, merged; one query per bad level. Over a unit subtree each walks
    the (level, evaluated_at) index; a clerk's walk their own ratings newest first through the
    (staff, unit, evaluated_at) index, with their unit's id (``paged``: one query more)."""
    qs = evaluation_list(scope=scope, paged=scope.staff_id is not None)
    rows = [e for level in BAD_LEVELS for e in qs.filter(level=level).order_by("-evaluated_at", "-id")[:limit]]
    return sorted(rows, key=lambda e: (e.evaluated_at, e.pk), reverse=True)[:limit]


def evaluation_get_for(
    *, scope: Scope, pk: int, system_id: int | None = None, with_identity: bool = False
) -> Evaluation:
    """One rating in scope (the record's encrypted identity loaded only ``with_identity``)."""
    qs = evaluation_list(scope=scope, system_id=system_id, with_identity=with_identity)
    evaluation = qs.filter(pk=pk).first()
    if evaluation is None:
        raise NotFound("评价不存在或无权查看", code="evaluation_not_found")
    return evaluation


def reason_texts(evaluation: Evaluation) -> list[str]:
    """The human text of each reason code the rating cites, in order."""
    by_code = dict(
        Indicator.objects.filter(indicator_set_id=evaluation.indicator_set_id, code__in=evaluation.reasons).values_list(
            "code", "text"
        )
    )
    return [by_code.get(code, code) for code in evaluation.reasons]


def reason_texts_bulk(evaluations: Iterable[Evaluation]) -> dict[int, list[str]]:
    """``reason_texts`` for many ratings in one query: {evaluation id: [text, ...]}."""
    return reason_texts_of([(e.pk, e.indicator_set_id, e.reasons) for e in evaluations])


def reason_texts_of(ratings: Iterable[tuple[int, int, list[str]]]) -> dict[int, list[str]]:
    """``reason_texts_bulk`` from plain values: (evaluation id, indicator set id, reason codes)."""
    ratings = list(ratings)
    set_ids = {set_id for _, set_id, reasons in ratings if reasons}
    codes = {code for _, _, reasons in ratings for code in reasons}
    by_key: dict[tuple[int, str], str] = {}
    if set_ids:
        rows = Indicator.objects.filter(indicator_set_id__in=set_ids, code__in=codes).values_list(
            "indicator_set_id", "code", "text"
        )
        by_key = {(set_id, code): text for set_id, code, text in rows}
    return {pk: [by_key.get((set_id, code), code) for code in reasons] for pk, set_id, reasons in ratings}


# Only what a rating needs; the other columns stay deferred, the encrypted identity among
# them (the response shows the applicant masked, from the masked columns: nothing decrypted).
# In the model's field order, as ``Model.from_db`` expects them.
_RATING_NEEDS = {"id", "project_no", "service_no", "unit_id", "staff_id", "mode", "accepted_at",
                 "applicant_name_masked", "applicant_phone_masked"}  # fmt: skip
_RATING_COLUMNS = tuple(f.attname for f in ServiceRecord._meta.concrete_fields if f.attname in _RATING_NEEDS)
_STAFF = _RATING_COLUMNS.index("staff_id")


@cache
def _record_for_rating_sql() -> str:
    record, unit = ServiceRecord._meta.db_table, Unit._meta.db_table
    columns = ", ".join(f"r.{c}" for c in _RATING_COLUMNS)
    return (
        f"SELECT {columns}, u.code, u.path FROM {record} r JOIN {unit} u ON u.id = r.unit_id "  # noqa: S608
        f"WHERE r.project_no = %s AND r.service_no = %s"
    )


@cache
def _rating_converters(alias: str) -> list[tuple[int, list, object]]:
    """Per column: the backend's and the field's converters, as the ORM compiler applies them."""
    conn = connections[alias]
    out: list[tuple[int, list, object]] = []
    for i, attname in enumerate(_RATING_COLUMNS):
        field = next(f for f in ServiceRecord._meta.concrete_fields if f.attname == attname)
        col = field.get_col(ServiceRecord._meta.db_table)
        # Field.get_db_converters is Django's (the compiler calls it); django-stubs does not declare it.
        funcs = conn.ops.get_db_converters(col) + field.get_db_converters(conn)  # type: ignore[attr-defined]
        if funcs:
            out.append((i, funcs, col))
    return out


@dataclass(frozen=True, slots=True)
class RatingTarget:
    """The service a rating is about, with what the rating intake already knows of it.

    ``unit_code`` / ``unit_path``: the record's unit, when the lookup brought them along (else
    read from ``record.unit``). ``rated_by_insert``: no rating lookup was made; the rating's
    INSERT decides "already rated" by the one-per-service unique key.
    """

    record: ServiceRecord
    unit_code: str | None = None
    unit_path: str | None = None
    rated_by_insert: bool = False


def record_for_rating(*, scope: Scope, project_no: str, service_no: int) -> RatingTarget:
    """The service a rating is about, by business key, with its unit's code and path.

    This is the rating-intake hot path: one hand-written statement and a model built from its
    row (what ``QuerySet.raw`` does, without its per-call machinery; see bench/intake.py).
    Out-of-scope records are reported exactly like unknown ones, before anything is decrypted.

    Whether the service is already rated is not looked up here: the target says
    ``rated_by_insert`` and the rating's INSERT decides, by the one-per-service unique key
    (``services.evaluation_prepare``). A lookup of the rating table here would make the
    statement's prepared plan depend on that table's size when it was planned (PostgreSQL
    keeps a plan made while the table was nearly empty: a sequential scan per rating).
    """
    with hot_cursor() as cursor:
        cursor.execute(_record_for_rating_sql(), [project_no, service_no])
        row = cursor.fetchone()
    if row is None or not scope.allows_path(row[-1], staff_id=row[_STAFF]):
        raise NotFound(f"办件 {project_no} 第 {service_no} 次服务不存在", code="record_not_found")
    values = list(row[: len(_RATING_COLUMNS)])
    for i, funcs, col in _rating_converters(connection.alias):
        for func in funcs:
            values[i] = func(values[i], col, connection)
    record = ServiceRecord.from_db(connection.alias, _RATING_COLUMNS, values)
    return RatingTarget(record, unit_code=row[-2], unit_path=row[-1], rated_by_insert=True)
