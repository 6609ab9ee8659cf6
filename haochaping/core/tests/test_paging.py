"""Paging of the console lists: page-size choice, jump-to-page, numbers that never wrap."""

import html as html_module
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from django.conf import settings

from haochaping.core.pages import paging
from haochaping.evaluations.models import Evaluation
from haochaping.service_records.models import ServiceRecord
from haochaping.testing import login, push_record
from haochaping.testing_world import push, rate

ROWS = 130


class PagerForms(HTMLParser):
    """The pager's GET forms: {class: [(tag, type, name, value)]}, with the selected option."""

    def __init__(self):
        super().__init__()
        self.forms: dict[str, dict] = {}
        self._form: dict | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and "pager-form" in (a.get("class") or ""):
            key = next(c for c in a["class"].split() if c.startswith("pager-") and c != "pager-form")
            self._form = self.forms[key] = {"method": a.get("method"), "action": a.get("action"), "fields": []}
        elif self._form is not None and tag == "input":
            self._form["fields"].append((a.get("type"), a.get("name"), a.get("value")))
        elif self._form is not None and tag == "select":
            self._select = a.get("name")
            self._form["options"] = []
        elif self._form is not None and tag == "option":
            self._form["options"].append(a.get("value"))
            if "selected" in a:
                self._form["fields"].append(("select", self._select, a.get("value")))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def pager_forms(html: str) -> dict[str, dict]:
    parser = PagerForms()
    parser.feed(html)
    return parser.forms


def rows(html: str) -> int:
    return len(re.findall(r'<td class="col-code">', html))


@pytest.fixture
def many_records(cast):
    push_record(cast, project_no="SCJG2026119999")
    first = ServiceRecord.objects.get()
    ServiceRecord.objects.bulk_create(
        [
            ServiceRecord(
                **{
                    f.attname: getattr(first, f.attname)
                    for f in ServiceRecord._meta.concrete_fields
                    if f.attname not in ("id", "project_no", "service_no")
                },
                project_no=f"SCJG2026{n:06d}",
                service_no=1,
            )
            for n in range(ROWS - 1)
        ]
    )
    assert ServiceRecord.objects.count() == ROWS
    return cast


def test_the_page_size_can_be_chosen_among_the_choices(client, many_records):
    login(client, many_records, "supervisor")
    html = client.get("/console/records/", {"page_size": "100"}).content.decode()
    assert rows(html) == 100
    assert "第 1 / 2 页" in html
    size_form = pager_forms(html)["pager-size"]
    assert size_form["options"] == ["20", "50", "100"]
    assert ("select", "page_size", "100") in size_form["fields"]
    assert rows(client.get("/console/records/", {"page_size": "20"}).content.decode()) == 20


@pytest.mark.parametrize("wanted", ["5000", "7", "-1", "abc", "1e3", ""])
def test_any_other_page_size_falls_back_to_the_default(client, many_records, wanted):
    login(client, many_records, "supervisor")
    r = client.get("/console/records/", {"page_size": wanted})
    assert r.status_code == 200
    assert rows(r.content.decode()) == 50


def test_the_jump_form_keeps_the_filters_and_the_page_size(client, many_records):
    login(client, many_records, "supervisor")
    query = {"unit": many_records.unit_a.code, "date_from": "2020-01-01", "page_size": "20", "page": "3"}
    html = client.get("/console/records/", query).content.decode()
    assert rows(html) == 20
    forms = pager_forms(html)
    jump = forms["pager-jump"]
    assert jump["method"] == "get"
    hidden = {(name, value) for kind, name, value in jump["fields"] if kind == "hidden"}
    assert hidden == {("unit", many_records.unit_a.code), ("date_from", "2020-01-01"), ("page_size", "20")}
    assert ("number", "page", "3") in jump["fields"]
    # The page-size form keeps the filters too, and starts again on page 1.
    kept = {(name, value) for kind, name, value in forms["pager-size"]["fields"] if kind == "hidden"}
    assert kept == {("unit", many_records.unit_a.code), ("date_from", "2020-01-01")}
    # Submitting the jump form (as a browser would) lands on the page asked for, filters applied.
    html = client.get("/console/records/", {**dict(hidden), "page": "7"}).content.decode()
    assert "第 7 / 7 页" in html and rows(html) == ROWS - 6 * 20


def test_a_short_list_has_no_paging_forms(client, cast):
    push_record(cast)
    login(client, cast, "supervisor")
    assert pager_forms(client.get("/console/records/").content.decode()) == {}


def test_case_and_service_numbers_never_wrap_mid_number():
    css = Path(settings.BASE_DIR, "haochaping/console/static/console/console.css").read_text()
    rule = re.search(r"\.col-code \{([^}]*)\}", css)
    assert rule is not None
    assert "white-space: nowrap" in rule.group(1) and "break-all" not in rule.group(1)


# --- bounded counts: over COUNT_CAP rows ------------------------------------------------------


def project_nos(response) -> list[str]:
    return [r.project_no for r in response.context["page_obj"]]


def newest_first() -> list[str]:
    """The records list's order: the newest service first, the primary key breaking ties (the
    fixture's records share one 起始日期)."""
    return list(ServiceRecord.objects.order_by("-created_at", "-pk").values_list("project_no", flat=True))


def test_under_the_cap_the_last_page_is_the_last_numbered_page(client, many_records, monkeypatch):
    monkeypatch.setattr(paging, "COUNT_CAP", ROWS)  # exactly at the cap: still exact
    login(client, many_records, "supervisor")
    html = client.get("/console/records/", {"page_size": "20"}).content.decode()
    assert f"共 <strong>{ROWS}</strong> 条，第 1 / 7 页" in html
    assert "以上" not in html and "page=last" not in html and "末页" not in html
    last = client.get("/console/records/", {"page_size": "20", "page": "last"})
    assert "第 7 / 7 页" in last.content.decode()
    assert project_nos(last) == newest_first()[120:]


@pytest.fixture
def capped(monkeypatch):
    """A cap of 100 rows: the 130 records are over it."""
    monkeypatch.setattr(paging, "COUNT_CAP", 100)


def test_over_the_cap_the_total_is_bounded_and_the_numbers_run_to_the_cap(client, many_records, capped):
    login(client, many_records, "supervisor")
    response = client.get("/console/records/", {"page_size": "20", "unit": many_records.unit_a.code})
    html = response.content.decode()
    assert response.context["page_obj"].paginator.count == 100
    assert "共 <strong>100</strong> 条以上，第 1 / 5+ 页" in html
    assert "请用筛选条件（如日期）缩小范围" in html
    links = re.findall(r'<a href="\?([^"]*)"[^>]*>([^<]+)</a>', html)
    assert [text for _query, text in links] == ["2", "3", "4", "5", "末页", "下一页"]
    last = parse_qs(html_module.unescape(dict((text, query) for query, text in links)["末页"]))
    assert last == {"unit": [many_records.unit_a.code], "page_size": ["20"], "page": ["last"]}  # filters kept
    jump = pager_forms(html)["pager-jump"]
    assert ("number", "page", "1") in jump["fields"]
    assert 'max="5"' in html
    assert project_nos(response) == newest_first()[:20]
    # The last numbered page: no 下一页 (the rest is the 末页's).
    html = client.get("/console/records/", {"page_size": "20", "page": "5"}).content.decode()
    assert "第 5 / 5+ 页" in html and '<span class="disabled">下一页</span>' in html


def test_the_last_page_of_a_capped_list_is_its_oldest_rows_in_the_lists_order(client, many_records, capped):
    login(client, many_records, "supervisor")
    for size in ("20", "50"):
        response = client.get("/console/records/", {"page_size": size, "page": "last"})
        html = response.content.decode()
        assert response.status_code == 200
        assert project_nos(response) == newest_first()[-int(size) :]
        assert rows(html) == int(size)
        assert "共 <strong>100</strong> 条以上，末页" in html
        assert '<span class="current" aria-current="page">末页</span>' in html
        assert '<span class="disabled">上一页</span>' in html and '<span class="disabled">下一页</span>' in html


@pytest.fixture
def many_ratings(cast):
    for n in range(45):
        rate(push(cast, f"SCJG2026120{n:03d}"), 4 + n % 2)
    return cast


def test_the_ratings_list_pages_back_from_its_oldest_rating_too(client, many_ratings, monkeypatch):
    monkeypatch.setattr(paging, "COUNT_CAP", 40)
    login(client, many_ratings, "supervisor")
    response = client.get("/console/evaluations/", {"page_size": "20", "page": "last"})
    assert "共 <strong>40</strong> 条以上，末页" in response.content.decode()
    oldest = list(Evaluation.objects.order_by("-evaluated_at", "-pk").values_list("pk", flat=True))[-20:]
    assert [e.pk for e in response.context["page_obj"]] == oldest


@pytest.mark.parametrize("wanted", ["6", "99999", "0", "-1", "abc", "1e3", "", "Last", "last ", "9" * 40])
def test_a_page_out_of_range_or_not_a_number_is_never_an_error(client, many_records, capped, wanted):
    login(client, many_records, "supervisor")
    response = client.get("/console/records/", {"page_size": "20", "page": wanted})
    assert response.status_code == 200
    number = response.context["page_obj"].number
    assert number in (1, 5)  # the nearest page within the cap
    assert project_nos(response) == newest_first()[(number - 1) * 20 : number * 20]
