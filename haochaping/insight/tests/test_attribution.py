"""Attribution of bad ratings (通知 二(六)): the refresh (citizen's choice, text attributed
automatically, correction), the counting rule, the heat table, reason and term rankings, the
corrections (never over a citizen's choice, audited), the pages per role and org scoping."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from haochaping.audit.models import AuditEvent
from haochaping.audit.services import Actor
from haochaping.core.errors import Conflict, PermissionDenied, ValidationFailed
from haochaping.evaluations.models import Evaluation
from haochaping.evaluations.services import RatingInput
from haochaping.insight.attribution import selectors as sel
from haochaping.insight.attribution.services import attribution_correct, causes_refresh
from haochaping.insight.attribution.terms import mask_text, term_ranking, terms_of, tokenizer
from haochaping.insight.models import AttributionCorrection, BadRatingCause, CauseSource
from haochaping.organizations.models import Role
from haochaping.organizations.selectors import Scope
from haochaping.service_records.models import ServiceItem
from haochaping.testing import flash_messages, login, submit_rating
from haochaping.testing_world import push, push_b

PAGE = reverse("console:insight_attribution")
RATINGS = reverse("console:insight_attribution_ratings")
CENTRE = Scope(unit_path="/410404/", role=Role.SUPERVISOR)


def rate(record, level: int, *, text: str = "", reasons=(), dims=None) -> Evaluation:
    data = RatingInput(
        level=level,
        channel=6,
        reasons=list(reasons),
        text=text,
        evaluated_at=timezone.now(),
        dimensions=dims or {},
    )
    return submit_rating(actor=Actor.citizen(), record=record, data=data)


def make_ratings(cast) -> dict[str, Evaluation]:
    """Unit A: a citizen's choice (attitude 1, efficiency 2, reason XC-TD-B01), two texts only
    (queueing, with a phone number; materials), a text that says nothing, a good rating.
    Unit B: a text only (playing with the phone). Then the refresh."""
    r = {
        "citizen": rate(push(cast, "SCJG2026120001"), 1, text="态度差", reasons=["XC-TD-B01"],
                        dims={"attitude": 1, "efficiency": 2, "materials": 4}),
        "queue": rate(push(cast, "SCJG2026120002"), 2, text="排队排了两个小时，我的电话13812345678，问题没解决"),
        "materials": rate(push(cast, "SCJG2026120003"), 1, text="办理食品经营许可材料反复变，还要开证明"),
        "nothing": rate(push(cast, "SCJG2026120004"), 2, text="不好说"),
        "good": rate(push(cast, "SCJG2026120005"), 5, text="很好"),
        "b": rate(push_b(cast, "RSJ2026120001"), 1, text="工作人员一直玩手机"),
    }  # fmt: skip
    causes_refresh()
    return r


@pytest.fixture
def ratings(cast):
    return make_ratings(cast)


def cause(evaluation) -> BadRatingCause:
    return BadRatingCause.objects.get(evaluation=evaluation)


def today_slice(unit) -> sel.Slice:
    first, last = sel.period_bounds("month", timezone.localdate())
    return sel.Slice(unit=unit, first=first, last=last)


def test_refresh_records_the_citizens_choice_the_text_or_nothing(ratings):
    c = cause(ratings["citizen"])
    assert c.source == CauseSource.CITIZEN
    assert c.dimensions == ["attitude", "efficiency"]  # materials was rated 4: not a cause
    assert c.reasons == ["XC-TD-B01"]
    q = cause(ratings["queue"])
    assert (q.source, q.dimensions, q.reasons) == (CauseSource.AUTO, ["efficiency"], ["XC-XL-B01"])
    assert "排队" in q.evidence
    assert cause(ratings["materials"]).dimensions == ["materials"]
    assert cause(ratings["nothing"]).source == CauseSource.NONE
    assert not BadRatingCause.objects.filter(evaluation=ratings["good"]).exists()
    assert cause(ratings["b"]).dimensions == ["attitude"]


def test_refresh_is_idempotent_and_only_adds_new_bad_ratings(cast, ratings):
    before = list(BadRatingCause.objects.order_by("id").values_list("id", "source", "updated_at"))
    again = causes_refresh()
    assert again.created == 0
    assert list(BadRatingCause.objects.order_by("id").values_list("id", "source", "updated_at")) == before
    rate(push(cast, "SCJG2026120009"), 1, text="来回跑了三趟")
    assert causes_refresh(since=timezone.localdate()).created == 1
    assert BadRatingCause.objects.count() == len(before) + 1


def test_counting_rule_each_dimension_once_share_of_attributed(cast, ratings):
    shares = sel.dimension_shares(today_slice(cast.district))
    assert (shares["bad"], shares["attributed"]) == (5, 4)
    assert shares["sources"] == {"citizen": 1, "auto": 3, "corrected": 0, "none": 1}
    by = {r["dimension"]: r for r in shares["rows"]}
    assert (by["attitude"]["count"], by["attitude"]["share"]) == (2, 50.0)  # citizen + B's text
    assert (by["efficiency"]["count"], by["efficiency"]["share"]) == (2, 50.0)  # citizen + queue text
    assert (by["materials"]["count"], by["materials"]["share"]) == (1, 25.0)
    assert by["integrity"]["count"] == 0
    # Narrowed to unit A's item, window and staff: the same counting.
    first, last = sel.period_bounds("quarter", timezone.localdate())
    narrow = sel.Slice(unit=cast.district, first=first, last=last, item_id=cast.item_b.pk)
    assert sel.dimension_shares(narrow)["bad"] == 1
    narrow = sel.Slice(unit=cast.district, first=first, last=last, staff_id=cast.staff_a.pk)
    assert sel.dimension_shares(narrow)["bad"] == 4
    trend = sel.dimension_trend(today_slice(cast.district))["months"]
    assert len(trend) == 6 and trend[-1]["month"] == f"{timezone.localdate():%Y-%m}"
    assert trend[-1]["dimensions"]["attitude"] == 2 and trend[0]["attributed"] == 0


def test_heat_table_rows_are_the_child_units(cast, ratings):
    rows = {r["code"]: r for r in sel.heat_table(today_slice(cast.district))}
    assert set(rows) == {"CENTER", "SCJG", "RSJ", "JD01"}
    a = rows["SCJG"]
    assert (a["bad"], a["attributed"]) == (4, 3)
    cells = {c["dimension"]: c for c in a["cells"]}
    assert (cells["efficiency"]["count"], cells["efficiency"]["share"]) == (2, 66.7)
    assert cells["efficiency"]["level"] == 5 and cells["integrity"]["level"] == 0
    assert rows["RSJ"]["top"] == "服务态度"
    # Unit A has no child units: its ratings are booked on itself, one "本级" row.
    assert [(r["name"], r["bad"]) for r in sel.heat_table(today_slice(cast.unit_a))] == [
        ("区市场监督管理局（本级）", 4)
    ]


def test_reason_ranking(cast, ratings):
    ranking = sel.reason_ranking(today_slice(cast.district))
    by = {r["code"]: r for r in ranking}
    assert by["XC-TD-B01"]["count"] == 1 and by["XC-TD-B01"]["text"]
    assert by["XC-XL-B01"]["share"] == 25.0
    trend = sel.reason_trend(today_slice(cast.district), ["XC-TD-B01", "XC-XL-B01"])
    assert len(trend) == 6 and trend[0]["attributed"] == 0
    assert trend[-1]["attributed"] == 4
    assert trend[-1]["reasons"] == [
        {"code": "XC-TD-B01", "count": 1, "share": 25.0},
        {"code": "XC-XL-B01", "count": 1, "share": 25.0},
    ]


def test_a_correction_applies_is_audited_and_never_overrides_the_citizen(cast, ratings):
    actor = Actor.for_user(cast.users["supervisor"])
    with pytest.raises(Conflict):
        attribution_correct(actor=actor, scope=CENTRE, cause=cause(ratings["citizen"]), dimension="trips",
                            reason="", note="不对")  # fmt: skip
    corrected = attribution_correct(
        actor=actor, scope=CENTRE, cause=cause(ratings["queue"]), dimension="mechanism", reason="WD-JZ-B01",
        note="电话回访：打热线没人接", user=cast.users["supervisor"],
    )  # fmt: skip
    assert (corrected.source, corrected.dimensions, corrected.reasons) == ("corrected", ["mechanism"], ["WD-JZ-B01"])
    row = AttributionCorrection.objects.get()
    assert (row.from_source, row.from_dimension, row.from_reason) == ("auto", "efficiency", "XC-XL-B01")
    event = AuditEvent.objects.get(action="insight:attribution:corrected")
    assert event.data["to"] == {"dimension": "mechanism", "reason": "WD-JZ-B01"}
    # The citizen's rating itself is untouched.
    assert Evaluation.objects.get(pk=ratings["queue"].pk).efficiency is None
    # Bad input: a reason of another dimension, no note, no dimension.
    for dimension, reason, note in (("attitude", "WD-JZ-B01", "x"), ("trips", "", " "), ("", "", "x")):
        with pytest.raises(ValidationFailed):
            attribution_correct(actor=actor, scope=CENTRE, cause=cause(ratings["materials"]), dimension=dimension,
                                reason=reason, note=note)  # fmt: skip
    # A department admin corrects only their own subtree.
    admin_a = Scope(unit_path=cast.unit_a.path, role=Role.DEPT_ADMIN)
    with pytest.raises(PermissionDenied):
        attribution_correct(actor=actor, scope=admin_a, cause=cause(ratings["b"]), dimension="trips", reason="",
                            note="越权")  # fmt: skip
    # A re-built cause keeps the correction (the newest one applies over the text).
    BadRatingCause.objects.filter(evaluation=ratings["queue"]).delete()
    assert causes_refresh().corrected == 1
    assert cause(ratings["queue"]).dimensions == ["mechanism"]


def test_terms_use_the_domain_dictionary_skip_stop_words_and_mask_examples(cast, ratings):
    tk = tokenizer()
    found = terms_of("办理食品经营许可材料反复变，问题是没人管", tk)
    assert "食品经营许可" in found  # an item name (its bracketed part dropped), kept whole
    assert "问题" not in found  # a stop word
    ranking = {t["term"]: t for t in term_ranking(today_slice(cast.district))}
    assert "排队" in ranking and "问题" not in ranking
    examples = " ".join(ranking["排队"]["examples"])
    assert "138****5678" in examples and "13812345678" not in examples


def test_the_kept_terms_of_a_text_follow_a_new_item_name(cast):
    """A text's terms are kept per process; an item name added to the dictionary empties them."""
    text = "办理犬只免疫登记证明时反复跑了三趟"
    assert "犬只免疫登记证明" not in terms_of(text)
    assert terms_of(text) == terms_of(text)  # kept (the same terms)
    name = "犬只免疫登记证明（新办）"
    ServiceItem.objects.create(code="TEST-QZMY", name=name, item_type="07", department=cast.unit_a)
    assert "犬只免疫登记证明" in terms_of(text)


def test_mask_text():
    text = "身份证410404199001011234，电话13812345678，座机03751234567，编号12345"
    masked = mask_text(text)
    assert "410404199001011234" not in masked and "4104**********1234" in masked
    assert "13812345678" not in masked and "138****5678" in masked
    assert "03751234567" not in masked and "编号12345" in masked


# --- pages ------------------------------------------------------------------------------------


def test_the_page_per_role(cast, ratings):
    on = f"{timezone.localdate():%Y-%m-%d}"
    response = login(Client(), cast, "supervisor").get(PAGE, {"kind": "month", "on": on})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="heat-table"' in html and "区人力资源和社会保障局" in html and "排队" in html
    assert 'id="reason-trend"' in html
    assert "13812345678" not in html
    admin = login(Client(), cast, "admin_a")
    response = admin.get(PAGE, {"kind": "month", "on": on})
    assert response.status_code == 200
    assert response.context["shares"]["bad"] == 4
    assert "区人力资源和社会保障局" not in response.content.decode() and "玩手机" not in response.content.decode()
    # Another unit's data is refused.
    assert admin.get(PAGE, {"unit": cast.unit_b.code}).status_code == 404
    assert admin.get(RATINGS, {"unit": cast.unit_b.code}).status_code == 404
    for who in ("clerk_a", "operator", "auditor"):
        assert login(Client(), cast, who).get(PAGE).status_code == 403, who
        assert login(Client(), cast, who).get(RATINGS).status_code == 403, who


def test_drill_down_lists_the_cell_with_evidence_and_masked_text(cast, ratings):
    client = login(Client(), cast, "supervisor")
    on = f"{timezone.localdate():%Y-%m-%d}"
    response = client.get(RATINGS, {"kind": "month", "on": on, "cell": cast.unit_a.pk, "dimension": "efficiency"})
    rows = list(response.context["page_obj"])
    assert {c.evaluation_id for c in rows} == {ratings["citizen"].pk, ratings["queue"].pk}
    html = response.content.decode()
    assert "<mark>排队</mark>" in html and "138****5678" in html and "13812345678" not in html
    response = client.get(RATINGS, {"kind": "month", "on": on, "reason": "XC-TD-B01"})
    assert [c.evaluation_id for c in response.context["page_obj"]] == [ratings["citizen"].pk]
    response = client.get(RATINGS, {"kind": "month", "on": on, "term": "玩手机"})
    assert [c.evaluation_id for c in response.context["page_obj"]] == [ratings["b"].pk]


def test_the_pages_never_join_the_causes_with_the_ratings(cast, ratings):
    """Issue 17: joined to the ratings (and their service records), the causes of a period are
    merge-joined by PostgreSQL with every rating of the city (seconds at 5 million records). The
    pages read a rating's text per cause (a subquery by primary key) and a list page's ratings,
    records, units and items by primary key after the page is cut."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(Client(), cast, "supervisor")
    on = f"{timezone.localdate():%Y-%m-%d}"
    asks = [
        (PAGE, {"kind": "month", "on": on}),
        (RATINGS, {"kind": "month", "on": on}),
        (RATINGS, {"kind": "month", "on": on, "term": "玩手机"}),
    ]
    for url, query in asks:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, query)
        assert response.status_code == 200
        causes = [q["sql"] for q in queries.captured_queries if 'FROM "insight_badratingcause"' in q["sql"]]
        assert causes, url
        for sql in causes:
            assert 'JOIN "evaluations_evaluation"' not in sql, sql
            assert 'JOIN "service_records_servicerecord"' not in sql, sql
    rows = list(response.context["page_obj"])
    assert [c.evaluation_id for c in rows] == [ratings["b"].pk]
    assert rows[0].evaluation.record.pk == ratings["b"].record_id and rows[0].item.name


def test_correction_post(cast, ratings):
    client = login(Client(), cast, "admin_a")
    target = cause(ratings["materials"])
    back = "kind=month"
    response = client.post(RATINGS, {"cause": target.pk, "dimension": "trips", "reason": "", "note": "", "back": back},
                           follow=True)  # fmt: skip
    assert any("请填写更正说明" in m for m in flash_messages(response))
    assert not AttributionCorrection.objects.exists()
    response = client.post(RATINGS, {"cause": cause(ratings["citizen"]).pk, "dimension": "trips", "note": "x"},
                           follow=True)  # fmt: skip
    assert any("评价人已自行选择" in m for m in flash_messages(response))
    response = client.post(RATINGS, {"cause": target.pk, "dimension": "trips", "reason": "WD-PT-B01",
                                     "note": "回访得知跑了三趟", "back": back})  # fmt: skip
    assert response.status_code == 302 and response["Location"] == f"{RATINGS}?{back}"
    assert cause(ratings["materials"]).source == CauseSource.CORRECTED
    assert AuditEvent.objects.filter(action="insight:attribution:corrected").count() == 1
    # Another unit's rating: not found, nothing recorded.
    response = client.post(RATINGS, {"cause": cause(ratings["b"]).pk, "dimension": "trips", "note": "越权"})
    assert response.status_code == 404
    assert cause(ratings["b"]).source == CauseSource.AUTO


def test_the_refresh_job_is_registered():
    from haochaping.jobs.registry import get_periodic

    assert get_periodic("insight.attribution_refresh") is not None


def test_period_bounds():
    assert sel.period_bounds("quarter", dt.date(2026, 11, 15)) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert sel.period_bounds("month", dt.date(2026, 2, 15)) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert sel.period_bounds("year", dt.date(2026, 2, 15)) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))


def test_the_report_section_in_the_snapshot_and_the_excel_appendix(cast, ratings):
    from io import BytesIO

    from openpyxl import load_workbook

    from haochaping.analytics.periods import Period
    from haochaping.analytics.reports.documents import render_xlsx
    from haochaping.analytics.reports.snapshot import build_snapshot
    from haochaping.insight.report import attribution_section

    first, last = sel.period_bounds("month", timezone.localdate())
    section = attribution_section(cast.unit_a, first, last)
    assert (section["bad"], section["attributed"]) == (4, 3)
    assert section["dimensions"][0]["label"] == "办事效率"
    assert "差评主要集中在办事效率（2条，占66.7%）" in section["summary"]
    snapshot = build_snapshot(cast.district, Period.of("month", timezone.localdate()), generated_at=timezone.now())
    assert snapshot["attribution"]["bad"] == 5
    assert snapshot["problems"][-1] == snapshot["attribution"]["summary"]
    book = load_workbook(BytesIO(render_xlsx(snapshot, doc_number="2026-1")))
    cells = [str(c.value) for row in book["表6 差评归因"].iter_rows() for c in row if c.value is not None]
    assert "维度：服务态度" in cells and any(c.startswith("理由：") for c in cells)
    assert attribution_section(cast.unit_a, dt.date(2020, 1, 1), dt.date(2020, 1, 31))["summary"] == (
        "本期无差评，无差评原因分析。"
    )


def test_the_refresh_command(cast, ratings):
    from io import StringIO

    from django.core.management import CommandError, call_command

    rate(push(cast, "SCJG2026120010"), 2, text="系统老是闪退")
    out = StringIO()
    call_command("attribution", "refresh", stdout=out)
    assert out.getvalue().startswith("新归因差评 1 条（评价人选择 0，文字自动归因 1，")
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("attribution", "refresh", "--since", "2026-13-01")
