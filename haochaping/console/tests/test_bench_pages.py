"""``bench/pages.py`` (``make bench-pages``) at a tiny size: the database grows over the demo
organisation, every console page is found and answers, and the table is printed."""

from __future__ import annotations

import pytest

from bench import pages as bench
from haochaping.analytics.rollups import rollup_refresh
from haochaping.evaluations.models import Evaluation
from haochaping.insight.models import BadRatingCause
from haochaping.outreach.models import CallTask, Demand
from haochaping.rectification.models import RectificationCase
from haochaping.service_records.models import ServiceRecord

pytestmark = pytest.mark.django_db

# Not pages a GET shows to a signed-in supervisor: the sign-in page sends them on, the password
# link is spent (410), and these take a POST only (405).
NOT_SHOWN = {"login": 302, "password_link": 410}


@pytest.fixture
def grown(settings):
    settings.RECTIFICATION_DAYS = 15
    before = ServiceRecord.objects.count()
    rows = bench.grow(2000, days=20, out=lambda _line: None)
    assert rows["service records"] == 2000
    assert ServiceRecord.objects.count() >= before + 2000
    return rows


def test_the_harness_grows_the_demo_and_times_every_console_page(grown, capsys, monkeypatch):
    # The grown rows are spread as a real district's: mostly good ratings, cases, callbacks, demands.
    levels = Evaluation.objects.filter(record__project_no__startswith="BA")
    assert levels.count() == grown["ratings"] > 1500
    assert levels.filter(level__gte=4).count() / levels.count() > 0.85
    assert RectificationCase.objects.filter(number__startswith="CB").count() == grown["cases"] > 0
    assert CallTask.objects.count() >= grown["call tasks"] > 0
    assert Demand.objects.filter(number__startswith="SQ").count() == grown["demands"] > 0
    # Every bad rating attributed (差评归因 measured with its rows).
    assert grown["causes"] > 0
    assert BadRatingCause.objects.count() == Evaluation.objects.filter(level__lte=2).count()
    # A refresh right after the growth (a ``--keep`` run) starts from the rebuild: nothing to redo.
    assert rollup_refresh().partitions == 0

    rows = bench.run_pages(roles=["supervisor", "dept_admin"], runs=1, out=lambda _line: None)
    assert not [r for r in rows if r.failed]
    supervisor = [r for r in rows if r.role == "supervisor"]
    discovered = {p.name for p in bench.console_pages()}
    assert {r.page for r in supervisor} == discovered  # every page found in the URLconf was requested
    for page in bench.console_pages():
        if page.arguments:
            continue
        for row in (r for r in supervisor if r.page == page.name):
            expected = NOT_SHOWN.get(page.name, 200)
            assert row.status in (expected, 405, "list export: see the export below"), (row.url, row.status)
    answered = {r.page for r in supervisor if r.status == 200}
    # Detail pages are requested with a sample the role's own pages link to.
    for name in ("evaluation_detail", "case_detail", "outreach_task_detail", "outreach_demand_detail",
                 "unit_detail", "window_detail", "staff_detail"):  # fmt: skip
        assert name in answered, name
    # A paged list is timed at its first, middle and last page.
    records = {r.variant: r for r in supervisor if r.page == "record_list"}
    assert set(records) == {"first", "middle", "last"}
    assert records["last"].url.endswith(f"?page={-(-records['first'].total // 50)}")
    assert all(r.warm_ms is not None and r.queries for r in records.values())
    # The department administrator sees fewer pages, never an error; refusals are listed.
    assert any(r.status == 403 for r in rows if r.role == "dept_admin")

    print(bench.table(rows, 2000, "tiny"))
    out = capsys.readouterr().out
    assert "| page | role | records | warm ms | cold ms | queries |" in out
    assert "| `/console/records/?page=" in out
    assert f"{sum(1 for r in rows if r.warm_ms is not None)} requests timed" in out

    # Each list export at two sizes: the latest rows (from a day on), then every row.
    exports = bench.export_timings(sizes=(500, 1_000_000))
    assert [(e["list"], e["status"]) for e in exports] == [
        ("records", 200),
        ("records", 200),
        ("evaluations", 200),
        ("evaluations", 200),
        ("cases", 200),
    ]
    records = [e for e in exports if e["list"] == "records"]
    assert "?date_from=" in records[0]["url"] and 0 < records[0]["rows"] <= 500
    assert records[1]["rows"] == ServiceRecord.objects.count()
    assert [e["rows"] for e in exports if e["list"] == "evaluations"][1] == Evaluation.objects.count()
    assert exports[-1]["rows"] == RectificationCase.objects.count()  # fewer than 500: exported once
    assert all(e["peak_rss_mib"] > 0 and e["bytes"] > 0 for e in exports)
    assert "| export (supervisor) | rows |" in bench.export_table(exports)

    # A list over the count cap is timed at the middle of its numbered pages and at its 末页; its
    # total reads "1,000+".
    from haochaping.core.pages import paging

    monkeypatch.setattr(paging, "COUNT_CAP", 1000)
    rows = bench.run_pages(roles=["supervisor"], only="records/", runs=1, out=lambda _line: None)
    capped = {r.variant: r for r in rows if r.page == "record_list"}
    assert set(capped) == {"first", "middle", "last"}
    assert all(r.total == 1000 and r.capped and r.status == 200 for r in capped.values())
    assert capped["middle"].url.endswith("?page=10") and capped["last"].url.endswith("?page=last")
    assert "(last of 1,000+)" in bench.table(rows, 2000)

    # A page that fails is an error in the results (and the bench's exit status).
    from haochaping.service_records.console import views

    def broken(*args, **kwargs):
        raise RuntimeError("broken page")

    monkeypatch.setattr(views, "render", broken)
    rows = bench.run_pages(roles=["supervisor"], only="records/", runs=1, out=lambda _line: None)
    failed = [r for r in rows if r.failed]
    assert [r.page for r in failed] == ["record_list"]
    assert "RuntimeError: broken page" in str(failed[0].status)
    assert "ERROR error: RuntimeError" in bench.table(rows, 2000)
