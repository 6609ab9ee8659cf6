"""The 考核 and 重点督办 pages as each role uses them: workings, scope, lifting, Excel."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from haochaping.analytics.models import CaseDay, RatingDay, SupervisionTarget
from haochaping.analytics.rollups import unit_totals_rebuild
from haochaping.analytics.services import supervision_evaluate
from haochaping.audit.models import AuditEvent
from haochaping.audit.services import Actor
from haochaping.testing import login

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 10)
MONTH = {"period": "month", "on": "2026-11-10"}


@pytest.fixture
def data(cast):
    common = {"day": DAY, "item_id": 1, "channel": 4}
    RatingDay.objects.create(unit_id=cast.unit_a.pk, staff_id=cast.staff_a.pk, level=5, ratings=8, **common)
    RatingDay.objects.create(unit_id=cast.unit_a.pk, staff_id=cast.staff_a.pk, level=1, ratings=2, **common)
    RatingDay.objects.create(unit_id=cast.unit_b.pk, staff_id=cast.staff_b.pk, level=4, ratings=10, **common)
    unit_totals_rebuild()  # the unit totals the pages read, from these rows
    return cast


def test_the_assessment_ranks_units_with_workings_and_weights(client, data):
    login(client, data, "supervisor")
    page = client.get(reverse("console:analytics_assessment"), MONTH)
    assert page.status_code == 200
    html = page.content.decode()
    assert "<details" in html and "计算过程" in html and "按比例分给其他有数据的指标" in html
    assert "<script" not in html.split("<main", 1)[-1] and ' style="' not in html
    # B: score 75, 好评率 100 % → (40 × 75 + 20 × 100) ÷ 60 = 83.33; A: 80 and 80 % → 80.00
    rows = page.context["rows"]
    assert [(r.name, r.rank) for r in rows][:2] == [("区人力资源和社会保障局", 1), ("区市场监督管理局", 2)]
    assert rows[0].total == pytest.approx(83.333, abs=0.001) and rows[1].total == pytest.approx(80.0)
    assert [kpi.code for kpi, _ in page.context["weights"]] == [
        "score",
        "good_rate",
        "rating_rate",
        "rectify_rate",
        "on_time_rate",
    ]


def test_the_staff_export_has_one_row_per_person_and_the_workings(client, data):
    login(client, data, "supervisor")
    response = client.get(reverse("console:analytics_assessment_export"), {**MONTH, "entity": "staff"})
    assert response.status_code == 200
    book = load_workbook(BytesIO(response.content))
    sheet = book["考核得分"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    header = rows[3]
    assert header[:3] == ["姓名", "工号", "所属单位"] and header[-2:] == ["考核得分", "名次"]
    people = {row[1]: row for row in rows[4:6]}
    assert set(people) == {"A001", "B001"}
    assert people["A001"][2] == "区市场监督管理局" and people["A001"][-1] in (1, 2)
    workings = [[c.value for c in row] for row in book["计算过程"].iter_rows()]
    assert any(row[0] == "王晓红" and row[2] == "满意度得分" for row in workings)
    assert AuditEvent.objects.filter(action="analytics:assessment:exported").count() == 1


def test_scope_of_the_assessment(client, data):
    login(client, data, "admin_a")
    units = client.get(reverse("console:analytics_assessment"), MONTH)
    assert "区人力资源和社会保障局" not in units.content.decode()
    staff = client.get(reverse("console:analytics_assessment"), {**MONTH, "entity": "staff"})
    assert [r.staff_no for r in staff.context["rows"]] == ["A001"]
    client.logout()
    login(client, data, "clerk_b")
    own = client.get(reverse("console:analytics_assessment"), {**MONTH, "entity": "unit"})
    assert own.status_code == 200 and own.context["entity"] == "staff"
    assert [r.staff_no for r in own.context["rows"]] == ["B001"]
    assert "王晓红" not in own.content.decode()


@pytest.fixture
def marks(cast, settings):
    settings.ANALYTICS_SUPERVISION_RULES = {
        "bottom_score": {"enabled": False},
        "bad_rate": {"enabled": False},
        "overdue_cases": {"above": 0},
        "staff_notice": {"enabled": False},
    }
    for unit in (cast.unit_a, cast.unit_b):
        CaseDay.objects.create(day=DAY, unit_id=unit.pk, item_id=1, channel=4, cases=1, overdue_open=1)
        unit_totals_rebuild()  # the unit totals the pages read, from these rows
    return {t.entity_id: t for t in supervision_evaluate(month=DAY, actor=Actor.cli())}


def test_a_supervisor_lifts_a_mark_with_a_reason(client, cast, marks):
    login(client, cast, "supervisor")
    url = reverse("console:analytics_supervision")
    page = client.get(url)
    html = page.content.decode()
    assert (
        page.status_code == 200 and "逾期未整改 1 件" in html and "解除督办" in html and "csrfmiddlewaretoken" in html
    )
    target = marks[cast.unit_a.pk]
    refused = client.post(url, {"action": "lift", "target": target.pk, "reason": ""}, follow=True)
    assert "请填写解除理由" in refused.content.decode()
    client.post(url, {"action": "lift", "target": target.pk, "reason": "已整改到位"})
    target.refresh_from_db()
    assert target.state == "lifted" and target.lifted_by == cast.users["supervisor"]
    assert client.get(url, {"state": "lifted"}).context["page_obj"].object_list == [target]
    export = client.get(reverse("console:analytics_supervision_export"))
    assert "已整改到位" in " ".join(
        str(c.value) for row in load_workbook(BytesIO(export.getvalue())).active.iter_rows() for c in row
    )


def test_a_department_admin_sees_its_marks_and_cannot_lift(client, cast, marks):
    login(client, cast, "admin_a")
    url = reverse("console:analytics_supervision")
    page = client.get(url)
    assert [t.entity_id for t in page.context["page_obj"]] == [cast.unit_a.pk]
    html = page.content.decode()
    assert "区人力资源和社会保障局" not in html and "解除督办" not in html
    for target in marks.values():
        response = client.post(url, {"action": "lift", "target": target.pk, "reason": "越权"})
        assert response.status_code == 403
    assert client.post(url, {"action": "evaluate", "month": "2026-11"}).status_code == 403
    assert SupervisionTarget.objects.filter(state="lifted").count() == 0


def test_window_clerks_get_a_403(client, cast, marks):
    login(client, cast, "clerk_a")
    assert client.get(reverse("console:analytics_supervision")).status_code == 403
    assert client.get(reverse("console:analytics_supervision_export")).status_code == 403


def test_a_supervisor_evaluates_a_month_on_demand(client, cast, marks):
    login(client, cast, "supervisor")
    page = client.post(
        reverse("console:analytics_supervision"), {"action": "evaluate", "month": "2026-11"}, follow=True
    )
    assert "新列入重点督办 0 个" in page.content.decode()  # already marked: never twice
    assert SupervisionTarget.objects.count() == 2
