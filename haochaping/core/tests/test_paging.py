"""Paging of the console lists: page-size choice, jump-to-page, numbers that never wrap."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings

from haochaping.service_records.models import ServiceRecord
from haochaping.testing import login, push_record

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
