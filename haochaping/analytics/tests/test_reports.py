"""月度通报: the Word document read back against the page and the snapshot, 文号 per year,
versions, the template upload, who may do what, the Excel appendix, the scheduled run."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl
import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from docx import Document

from haochaping.analytics.models import Report, ReportTemplate
from haochaping.analytics.periods import Period
from haochaping.analytics.reports import charts
from haochaping.analytics.reports.documents import TEMPLATE_PATH
from haochaping.analytics.rollups import rollup_refresh
from haochaping.analytics.services import report_generate, report_generate_due, report_publish
from haochaping.audit.models import AuditEvent
from haochaping.audit.services import Actor
from haochaping.core.errors import Conflict
from haochaping.testing import login

pytestmark = pytest.mark.django_db

HEADINGS = [
    "一、总体情况",
    "二、各单位评价情况（排名）",
    "三、差评整改情况",
    "四、诉求办理和回访情况",
    "五、重点督办对象",
    "六、存在问题",
    "七、下一步工作",
]
ACTOR = Actor.cli("tests")


@pytest.fixture
def refreshed(cast, world):
    rollup_refresh()
    return world


def window() -> dict[str, str]:
    """A range holding every rating of the world (given today and 20 days ago)."""
    today = timezone.localdate()
    return {"kind": "range", "date_from": f"{today - dt.timedelta(days=40):%Y-%m-%d}", "date_to": f"{today:%Y-%m-%d}"}


def month(offset: int = 0) -> Period:
    period = Period.of("month", timezone.localdate())
    for _ in range(offset):
        period = period.previous()
    return period


def docx_of(response) -> Document:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessingml")
    return Document(io.BytesIO(b"".join(response.streaming_content)))


def table_row(document: Document, first_cell: str) -> list[str]:
    for table in document.tables:
        for row in table.rows:
            cells = [c.text for c in row.cells]
            if cells[0] == first_cell:
                return cells
    raise AssertionError(first_cell)


def test_the_word_document_has_the_sections_and_the_same_numbers_as_the_page(client, cast, refreshed):
    login(client, cast, "supervisor")
    response = client.post(reverse("console:analytics_reports"), {**window(), "unit": "410404"})
    assert response.status_code == 302
    report = Report.objects.get()
    assert response["Location"] == reverse("console:analytics_report_detail", args=[report.pk])
    page = client.get(response["Location"])
    html = page.content.decode()
    tiles = {t["code"]: t for t in report.snapshot["overall"]["tiles"]}
    assert (tiles["ratings"]["display"], tiles["good_rate"]["display"]) == ("3", "33.33%")
    assert report.snapshot["overall"]["bad"] == 2

    document = docx_of(client.get(reverse("console:analytics_report_docx", args=[report.pk])))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == HEADINGS
    for heading in HEADINGS:
        assert f"<h3>{heading}</h3>" in html
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "平顶山市石龙区政务服务中心" and texts[1] == "（草稿，印发时编号）"
    assert report.title in texts and report.title in html
    # 表1: 评价数 and 好评率 as the snapshot and the page print them.
    for code, name in (("ratings", "评价数"), ("good_rate", "好评率"), ("bad_rate", "差评率")):
        row = table_row(document, name)
        assert row[1] == tiles[code]["display"]
        assert (
            f'<tr data-code="{code}"><td title="{tiles[code]["definition"]}">{name}</td><td class="num">{row[1]}</td>'
            in html
        )
    # 差评数: in the overall sentence (docx and page alike) and per unit in 表2.
    summary = report.snapshot["overall"]["summary"]
    assert "差评2条" in summary and summary in texts and summary in html
    assert table_row(document, "名次")  # 表2's header
    units = {r["name"]: r for r in report.snapshot["units"]["rows"]}
    assert units["区市场监督管理局"]["bad"] == "1" and units["区人力资源和社会保障局"]["bad"] == "1"
    a_row = next(r for t in document.tables for r in t.rows if r.cells[1].text == "区市场监督管理局")
    assert [c.text for c in a_row.cells][2:5] == ["2", "50.00%", "1"]
    # 六、存在问题: the rule-based sentences; 五: no supervision module on this branch.
    assert any("差评率偏高" in p for p in report.snapshot["problems"])
    # The section's paragraph ends with the supervision records' sentence (insight, 制度第十条)
    # and the rating-integrity one (评价质量, 通知 二(四)).
    supervision = report.snapshot["supervision"]["summary"]
    assert supervision == "本期无重点督办对象。本期未开展督查检查。本期未发现评价质量异常线索。本期未发现共性问题。"
    assert supervision in texts and supervision in html
    # 七、下一步工作 comes from the template, on the page too.
    assert report.snapshot["next_steps"] and report.snapshot["next_steps"][0] in html
    # The charts are images in the document and on the page.
    with zipfile.ZipFile(io.BytesIO(report.docx.open("rb").read())) as archive:
        assert len([n for n in archive.namelist() if n.startswith("word/media/")]) == 2
    chart = client.get(reverse("console:analytics_report_chart", args=[report.pk]), {"name": "levels"})
    assert chart.status_code == 200 and chart.content.startswith(b"\x89PNG")
    assert AuditEvent.objects.filter(action="analytics:report:generated").count() == 1


def test_the_snapshot_keeps_the_figures_when_the_data_change(client, cast, refreshed):
    first, last = timezone.localdate() - dt.timedelta(days=40), timezone.localdate()
    report = report_generate(unit=cast.district, period=Period.between(first, last), actor=ACTOR)
    from haochaping.analytics.models import RatingDay

    RatingDay.objects.all().delete()  # the data change (here: vanish) after generation
    login(client, cast, "supervisor")
    page = client.get(reverse("console:analytics_report_detail", args=[report.pk]))
    assert page.context["s"]["overall"]["tiles"][1]["display"] == "3"


def test_publishing_numbers_per_year_and_the_number_is_unique(cast, refreshed, time_machine):
    one = report_generate(unit=cast.district, period=month(0), actor=ACTOR)
    two = report_generate(unit=cast.district, period=month(1), actor=ACTOR)
    one, two = report_publish(report_id=one.pk, actor=ACTOR), report_publish(report_id=two.pk, actor=ACTOR)
    year = timezone.localdate().year
    assert [(one.number_year, one.number), (two.number_year, two.number)] == [(year, 1), (year, 2)]
    texts = [p.text for p in Document(two.docx.open("rb")).paragraphs]
    assert texts[1] == f"石政服〔{year}〕2号"
    with pytest.raises(Conflict):
        report_publish(report_id=one.pk, actor=ACTOR)
    with pytest.raises(IntegrityError), transaction.atomic():
        Report.objects.filter(pk=two.pk).update(number=1)
    # A new year starts again at 1.
    time_machine.move_to(dt.datetime(year + 1, 1, 5, 9, 0, tzinfo=timezone.get_current_timezone()))
    three = report_generate(unit=cast.unit_a, period=month(0), actor=ACTOR)
    three = report_publish(report_id=three.pk, actor=ACTOR)
    assert (three.number_year, three.number) == (year + 1, 1)
    assert f"石政服〔{year + 1}〕1号" in [p.text for p in Document(three.docx.open("rb")).paragraphs]
    assert AuditEvent.objects.filter(action="analytics:report:published").count() == 3


def test_regenerating_a_draft_replaces_it_and_a_published_one_makes_a_new_version(client, cast, refreshed):
    period = month(0)
    first = report_generate(unit=cast.district, period=period, actor=ACTOR)
    again = report_generate(unit=cast.district, period=period, actor=ACTOR)
    assert again.pk == first.pk and again.version == 1 and Report.objects.count() == 1
    published = report_publish(report_id=first.pk, actor=ACTOR)
    login(client, cast, "supervisor")
    response = client.post(reverse("console:analytics_report_detail", args=[published.pk]), {"action": "regenerate"})
    assert response.status_code == 302
    versions = list(Report.objects.order_by("version"))
    assert [(r.version, r.state, r.number) for r in versions] == [(1, "published", 1), (2, "draft", None)]
    assert versions[0].docx_sm3 == published.docx_sm3  # version 1 untouched, file and all
    assert versions[0].docx.storage.exists(versions[0].docx.name)
    page = client.get(reverse("console:analytics_report_detail", args=[versions[1].pk]))
    assert [v.version for v in page.context["versions"]] == [2, 1]
    # The old version cannot be published or replaced; the new one takes the next number.
    with pytest.raises(Conflict):
        report_publish(report_id=versions[0].pk, actor=ACTOR)
    client.post(reverse("console:analytics_report_detail", args=[versions[1].pk]), {"action": "publish"})
    assert Report.objects.get(version=2).number == 2
    assert AuditEvent.objects.filter(action="analytics:report:new_version").count() == 1


def _docx_with(text: str) -> bytes:
    document = Document(str(TEMPLATE_PATH))
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def upload(client, content: bytes, name: str = "通报模板.docx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(reverse("console:analytics_report_template"), {"file": SimpleUploadedFile(name, content)})


def test_a_broken_template_is_refused_in_chinese_and_a_good_one_is_used(client, cast, refreshed):
    login(client, cast, "supervisor")
    assert client.get(reverse("console:analytics_report_template")).status_code == 200
    download = client.get(reverse("console:analytics_report_template_download"))
    assert download.content == TEMPLATE_PATH.read_bytes()
    assert "filename*=UTF-8''" in download["Content-Disposition"]

    page = upload(client, b"not a word file")
    assert page.status_code == 200
    assert "不是有效的 Word 文档" in page.content.decode()
    page = upload(client, _docx_with("{{ no_such_field }}"))
    assert "模板中使用了不存在的字段" in page.content.decode() and "原模板未改变" in page.content.decode()
    page = upload(client, _docx_with("{% for x in %}"))
    assert "模板标记有语法错误" in page.content.decode()
    page = upload(client, _docx_with("{{ ''.__class__.__mro__ }}"))  # the sandbox refuses it
    assert "模板无法生成通报" in page.content.decode()
    assert upload(client, b"x", name="template.doc").status_code == 200
    assert ReportTemplate.objects.count() == 0

    good = _docx_with("（五）本模板已由中心修改。")
    assert upload(client, good).status_code == 302
    template = ReportTemplate.objects.get()
    assert template.version == 1
    report = report_generate(unit=cast.district, period=month(0), actor=ACTOR)
    assert report.template == template
    texts = [p.text for p in Document(report.docx.open("rb")).paragraphs]
    assert "（五）本模板已由中心修改。" in texts
    assert AuditEvent.objects.filter(action="analytics:report_template:uploaded").count() == 1
    client.post(reverse("console:analytics_report_template"), {"action": "reset"})
    assert ReportTemplate.objects.order_by("-version").first().sm3 != template.sm3


def test_who_may_do_what(client, cast, refreshed):
    district = report_generate(unit=cast.district, period=month(0), actor=ACTOR)
    report_a = report_generate(unit=cast.unit_a, period=month(0), actor=ACTOR)
    report_b = report_generate(unit=cast.unit_b, period=month(0), actor=ACTOR)
    login(client, cast, "admin_a")
    listing = client.get(reverse("console:analytics_reports"))
    assert listing.status_code == 200
    assert [r.pk for r in listing.context["page_obj"]] == [report_a.pk]  # the district's draft: not yet
    assert listing.context["form"] is None and "生成通报" not in listing.content.decode()
    assert client.post(reverse("console:analytics_reports"), {**window(), "unit": "SCJG"}).status_code == 403
    detail = reverse("console:analytics_report_detail", args=[report_a.pk])
    assert client.get(detail).status_code == 200
    assert client.post(detail, {"action": "publish"}).status_code == 403
    assert client.post(detail, {"action": "regenerate"}).status_code == 403
    assert client.get(reverse("console:analytics_report_detail", args=[report_b.pk])).status_code == 404
    assert client.get(reverse("console:analytics_report_docx", args=[report_b.pk])).status_code == 404
    assert client.get(reverse("console:analytics_report_detail", args=[district.pk])).status_code == 404
    assert client.get(reverse("console:analytics_report_template")).status_code == 403
    assert Report.objects.filter(state="published").count() == 0
    # Once published, the district's 通报 reaches the units it is addressed to.
    report_publish(report_id=district.pk, actor=ACTOR)
    assert client.get(reverse("console:analytics_report_detail", args=[district.pk])).status_code == 200
    assert client.get(reverse("console:analytics_report_docx", args=[district.pk])).status_code == 200
    # Window clerks read none.
    login(client, cast, "clerk_a")
    assert client.get(reverse("console:analytics_reports")).status_code == 403
    assert client.get(detail).status_code == 403
    assert "月度通报" not in client.get(reverse("console:home")).content.decode()


def test_the_excel_appendix_has_every_table(client, cast, refreshed):
    report = report_generate(unit=cast.district, period=Period.between(*_range()), actor=ACTOR)
    login(client, cast, "supervisor")
    response = client.get(reverse("console:analytics_report_xlsx", args=[report.pk]))
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames == [
        "表1 主要指标",
        "表2 各单位评价",
        "表3 差评整改",
        "表4 诉求和回访",
        "表5 重点督办对象",
        "表6 差评归因",
        "评价等级构成",
        "每日趋势",
    ]
    rows = list(book["表1 主要指标"].iter_rows(values_only=True))
    assert next(row for row in rows if row[0] == "评价数")[:2] == ("评价数", "3")
    units = [row[0] for row in book["表2 各单位评价"].iter_rows(values_only=True)]
    assert "区市场监督管理局" in units and "区人力资源和社会保障局" in units


def _range():
    today = timezone.localdate()
    return today - dt.timedelta(days=40), today


def test_the_scheduled_run_generates_last_month_once(cast, refreshed, time_machine):
    today = timezone.localdate()
    first_of_next = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    tz = timezone.get_current_timezone()
    time_machine.move_to(dt.datetime(first_of_next.year, first_of_next.month, 1, 0, 30, tzinfo=tz))
    assert report_generate_due() == []  # before ANALYTICS_REPORT_HOUR on the 1st
    time_machine.move_to(dt.datetime(first_of_next.year, first_of_next.month, 1, 3, 0, tzinfo=tz))
    made = report_generate_due()
    assert [(r.unit.code, r.period_first, r.version, r.state) for r in made] == [
        ("410404", today.replace(day=1), 1, "draft")
    ]
    assert made[0].generated_by == "analytics.monthly_report"
    assert report_generate_due() == []
    assert Report.objects.count() == 1


def test_the_period_s_supervision_targets_are_listed_with_their_evidence(cast, refreshed):
    from haochaping.analytics.models import SupervisionTarget

    SupervisionTarget.objects.create(
        kind="window", entity_id=cast.window_b.pk, entity_name="社保综合窗口", unit=cast.unit_b, rule="bad_rate",
        month=month(0).first, evidence={"text": "差评率连续两月高于 5%"}, marked_at=dt.datetime.now(dt.UTC),
        deadline=dt.date(2026, 12, 31),
    )  # fmt: skip
    report = report_generate(unit=cast.district, period=month(0), actor=ACTOR)
    (row,) = report.snapshot["supervision"]["rows"]
    assert row["name"] == "社保综合窗口" and row["kind"] == "窗口" and row["unit"] == "区人力资源和社会保障局"
    assert "差评率连续两月高于 5%" in row["reason"] and row["deadline"] == "2026年12月31日"
    document = Document(report.docx.open("rb"))
    assert "差评率连续两月高于 5%" in table_row(document, "社保综合窗口")[3]


def test_charts_render_without_a_cjk_font_and_say_so(settings, monkeypatch, caplog):
    from matplotlib import font_manager

    settings.ANALYTICS_CHART_FONTS = ["/nonexistent/font.ttc"]
    monkeypatch.setattr(charts, "_font", [])
    monkeypatch.setattr(font_manager.fontManager, "ttflist", [])
    snapshot = {"overall": {"levels": [{"label": "非常满意", "count": 2, "share": "100.0%"}]}}
    png = charts.level_chart(snapshot)
    assert png is not None and png.startswith(b"\x89PNG")
    assert "no CJK font" in caplog.text


def _reads_raw(sql: str, raw: tuple[str, ...], reference: tuple[str, ...]) -> bool:
    for name in reference:
        sql = sql.replace(name, "")
    return any(f'"{prefix}' in sql for prefix in raw)


def test_the_report_reads_the_rollups_not_the_raw_tables(cast, refreshed):
    """A 1-million-rating month costs what a 3-rating one does: no query touches the raw rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from haochaping.analytics.reports.snapshot import build_snapshot

    raw = ("evaluations_", "service_records_", "rectification_", "outreach_", "intake_")
    # The indicators' texts (the attribution section's reason names) are reference data, not rows.
    reference = ('"evaluations_indicator"', '"evaluations_indicatorset"')
    with CaptureQueriesContext(connection) as queries:
        build_snapshot(cast.district, month(0), generated_at=timezone.now())
    touched = [q["sql"] for q in queries if _reads_raw(q["sql"], raw, reference)]
    assert touched == []
    # 21: the supervision records' one grouped count (insight, 制度第十条); 22: the integrity
    # flags' one grouped count (评价质量); 24: the common problems' proposals count and problems
    # (制度第十一条; their cases' states only when there are problems); 29: the attribution
    # section's five (insight.report: shares, sources, reasons' count and codes, reason texts).
    assert len(queries) <= 29


def test_each_download_of_a_report_is_audited_with_who_and_which_file(client, cast, refreshed):
    report = report_generate(unit=cast.district, period=Period.between(*_range()), actor=ACTOR)
    login(client, cast, "supervisor")
    for name in ("docx", "xlsx"):
        response = client.get(reverse(f"console:analytics_report_{name}", args=[report.pk]))
        assert response.status_code == 200
    events = list(AuditEvent.objects.filter(action="analytics:report:downloaded").order_by("seq"))
    assert [e.data["file"] for e in events] == ["docx", "xlsx"]
    assert {e.target_id for e in events} == {str(report.pk)}
    assert {e.actor_label for e in events} == {cast.users["supervisor"].username}
    assert events[0].data == {"file": "docx", "version": 1, "published": False}
