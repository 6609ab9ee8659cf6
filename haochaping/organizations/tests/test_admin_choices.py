"""The console's selects among thousands (issue 17): ``core.pages.forms.FastSelect`` renders what
Django's ``Select`` renders, with windows and staff grouped by unit; the account, staff and device
forms offer only the caller's subtree and refuse a posted choice outside it, as before."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django import forms
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils.safestring import mark_safe

from haochaping.audit.services import Actor
from haochaping.core.pages.forms import FastSelect
from haochaping.organizations.console.admin_forms import StaffChoiceField, WindowChoiceField
from haochaping.organizations.models import Device, Role, Staff, Window
from haochaping.organizations.selectors import scope_for_user
from haochaping.organizations.services import staff_create
from haochaping.testing import login

User = get_user_model()
ACCOUNT_NEW = "/console/accounts/new/"
STAFF_NEW = "/console/staff/new/"
DEVICE_NEW = reverse("console:device_new")


class Options(HTMLParser):
    """The options of one ``<select name=…>`` of a page: (optgroup label or None, value, label, selected)."""

    def __init__(self, name: str):
        super().__init__()
        self.name, self.inside, self.group = name, False, None
        self.options: list[list] = []
        self.selects = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "select" and attrs.get("name") == self.name:
            self.inside, self.selects = True, self.selects + 1
        elif self.inside and tag == "optgroup":
            self.group = attrs["label"]
        elif self.inside and tag == "option":
            self.options.append([self.group, attrs["value"], "", "selected" in attrs])

    def handle_endtag(self, tag):
        if tag == "select":
            self.inside = False
        elif tag == "optgroup":
            self.group = None

    def handle_data(self, data):
        if self.inside and self.options and not self.options[-1][2]:
            self.options[-1][2] = data


def options(response, name: str) -> list[tuple]:
    assert response.status_code in (200, 422)
    parser = Options(name)
    parser.feed(response.content.decode())
    assert parser.selects == 1, f"no select named {name}"
    return [tuple(option) for option in parser.options]


# --- the widget: Django's Select HTML, byte for byte ---------------------------------------------------


CHOICES = [("", "请选择"), ("1", "甲<乙>"), (2, "“引号”&"), (None, "空"), ("3", mark_safe("<b>安全</b>")), ("4", 1234)]
GROUPED = [("", "请选择"), ("中心<1>", [("1", "甲"), ("2", "乙")]), ("3", "丙"), ("街道", [("4", "丁")])]


@pytest.mark.parametrize("choices", [CHOICES, GROUPED, [("1", "甲"), ("1", "重复")]])
@pytest.mark.parametrize("value", [None, "", "2", 4, ["1", "4"], "missing"])
@pytest.mark.parametrize("attrs", [{}, {"id": "id_f", "required": True, "aria-invalid": "true", "off": False,
                                        "data-x": '"q"', "aria-describedby": "id_f_helptext"}])  # fmt: skip
@pytest.mark.parametrize("multiple", [False, True])
def test_fast_select_renders_djangos_select_html(choices, value, attrs, multiple):
    django_widget, fast_widget = (forms.SelectMultiple, type("M", (FastSelect,), {"allow_multiple_selected": True}))
    if not multiple:
        django_widget, fast_widget = forms.Select, FastSelect
    expected = django_widget(choices=choices).render("f", value, attrs)
    assert fast_widget(choices=choices).render("f", value, attrs) == expected


def test_flat_choices_are_grouped_by_a_function_of_their_value():
    flat = [("", "请选择"), ("1", "甲"), ("2", "乙"), ("3", "丙"), ("4", "丁"), ("5", "戊")]
    place = {"1": "中心", "2": "中心", "3": "", "4": "街道", "5": "中心"}.get  # "" : a group without a label
    fast = FastSelect(choices=flat, group_by=lambda value: place(value) or None).render("w", "4")
    by_hand = [("", "请选择"), ("中心", [("1", "甲"), ("2", "乙")]), ("3", "丙"), ("街道", [("4", "丁")]),
               ("中心", [("5", "戊")])]  # fmt: skip
    assert fast == forms.Select(choices=by_hand).render("w", "4")
    assert fast.count("<optgroup") == 3 and '<option value="4" selected>丁</option>' in fast


@pytest.mark.django_db
def test_model_choices_are_grouped_by_unit_as_grouped_choices_would_be(cast):
    """A WindowChoiceField's options: Django's Select of the same choices grouped by hand."""
    field = WindowChoiceField(queryset=Window.objects.order_by("unit__path", "code"), empty_label="无")
    windows = list(Window.objects.select_related("unit").order_by("unit__path", "code"))
    by_hand = [("", "无")]
    for window in windows:
        label = f"{window.name}（{window.code}，{window.unit.name}）"
        if len(by_hand) > 1 and by_hand[-1][0] == window.unit.name:
            by_hand[-1][1].append((str(window.pk), label))
        else:
            by_hand.append((window.unit.name, [(str(window.pk), label)]))
    assert len(by_hand) >= 2
    value = str(cast.window_b.pk)
    expected = forms.Select(choices=by_hand).render("window", value, {"id": "id_window"})
    assert field.widget.render("window", value, {"id": "id_window"}) == expected
    assert '<optgroup label="石龙区政务服务中心">' in expected


@pytest.mark.django_db
def test_model_choices_read_one_query_whatever_the_number_of_options(cast, django_assert_num_queries):
    for n in range(5):
        staff_create(
            actor=Actor.cli(), staff_no=f"Q{n:03}", name=f"人员{n}", unit=cast.unit_a if n % 2 else cast.unit_b
        )
    field = StaffChoiceField(queryset=Staff.objects.select_related("unit", "window").order_by("unit__path"))
    with django_assert_num_queries(1):
        html = field.widget.render("staff", None)
    assert html.count("<option") == Staff.objects.count() + 1
    assert "人员1（Q001，区市场监督管理局）" in html


@pytest.mark.django_db
def test_the_options_objects_behave_as_the_models_own(cast, django_assert_num_queries):
    """The options' objects are built from plain rows: their key, their labels' columns and the
    related row's are there; any other column is read on access, as after ``.only()``."""
    field = StaffChoiceField(queryset=Staff.objects.filter(pk=cast.staff_a.pk), empty_label="无")
    with django_assert_num_queries(1):
        empty, (value, label) = [choice for choice in field.choices]  # (list() would count them first)
    assert empty == ("", "无")
    staff = value.instance
    assert (value.value, staff.pk, staff.unit_id, staff.unit.pk) == (cast.staff_a.pk, cast.staff_a.pk,
                                                                     cast.unit_a.pk, cast.unit_a.pk)  # fmt: skip
    assert label == "王晓红（A001，区市场监督管理局）" and staff == cast.staff_a
    with django_assert_num_queries(1):
        assert staff.window_id == cast.window_a.pk  # not among the label's columns: read now
    assert field.clean(str(cast.staff_a.pk)) == cast.staff_a


# --- the pages: what is offered, what is refused ----------------------------------------------------


@pytest.mark.django_db
def test_the_account_form_offers_free_staff_grouped_by_unit_and_preselects_one(cast):
    a = staff_create(actor=Actor.cli(), staff_no="A010", name="孙悦", unit=cast.unit_a, window=cast.window_a)
    b = staff_create(actor=Actor.cli(), staff_no="B010", name="周强", unit=cast.unit_b)
    client = login(Client(), cast, "supervisor")
    page = client.get(ACCOUNT_NEW, {"staff": a.pk})
    staff = options(page, "staff")
    assert staff[0] == (None, "", "无", False)
    assert (cast.unit_a.name, str(a.pk), "孙悦（A010，区市场监督管理局）", True) in staff
    assert (cast.unit_b.name, str(b.pk), f"周强（B010，{cast.unit_b.name}）", False) in staff
    assert str(cast.staff_a.pk) not in {value for _, value, _, _ in staff}  # A001 has an account already
    units = options(page, "unit")
    assert (None, str(cast.unit_a.pk), f"{'　' * cast.unit_a.depth}区市场监督管理局（SCJG）", True) in units
    assert sum(selected for *_, selected in units) == 1


@pytest.mark.django_db
def test_a_department_admin_is_offered_and_may_post_only_its_subtree(cast):
    a = staff_create(actor=Actor.cli(), staff_no="A010", name="孙悦", unit=cast.unit_a)
    b = staff_create(actor=Actor.cli(), staff_no="B010", name="周强", unit=cast.unit_b)
    client = login(Client(), cast, "admin_a")
    page = client.get(ACCOUNT_NEW)
    assert [value for _, value, _, _ in options(page, "staff")] == ["", str(a.pk)]
    assert [value for _, value, _, _ in options(page, "unit")] == ["", str(cast.unit_a.pk)]
    foreign = {"username": "x1", "display_name": "", "role": Role.WINDOW_CLERK, "unit": cast.unit_a.pk, "staff": b.pk}
    refused = client.post(ACCOUNT_NEW, foreign)
    assert refused.status_code == 422 and not User.objects.filter(username="x1").exists()
    assert "选择一个有效的选项" in refused.content.decode()
    refused = client.post(ACCOUNT_NEW, {**foreign, "unit": cast.unit_b.pk, "staff": a.pk})
    assert refused.status_code == 422 and not User.objects.filter(username="x1").exists()
    accepted = client.post(ACCOUNT_NEW, {**foreign, "staff": a.pk})
    assert accepted.status_code == 302 and User.objects.get(username="x1").membership.staff == a

    staff_page = client.get(STAFF_NEW, {"window": cast.window_a.pk})
    assert [(group, value, selected) for group, value, _, selected in options(staff_page, "window")] == [
        (None, "", False), (cast.center.name, str(cast.window_a.pk), True)]  # fmt: skip
    refused = client.post(STAFF_NEW, {"staff_no": "A011", "name": "错窗", "unit": cast.unit_a.pk,
                                      "window": cast.window_b.pk})  # fmt: skip
    assert refused.status_code == 422 and not Staff.objects.filter(staff_no="A011").exists()


@pytest.mark.django_db
def test_the_device_form_groups_windows_by_place_and_refuses_another_departments(cast):
    supervisor = login(Client(), cast, "supervisor")
    windows = options(supervisor.get(DEVICE_NEW), "window")
    assert windows[0] == (None, "", "请选择窗口", True)  # nothing chosen yet
    assert (cast.center.name, str(cast.window_b.pk), f"社保综合窗口（W-B1，{cast.center.name}）", False) in windows
    admin = login(Client(), cast, "admin_a")
    assert [value for _, value, _, _ in options(admin.get(DEVICE_NEW), "window")] == ["", str(cast.window_a.pk)]
    refused = admin.post(DEVICE_NEW, {"kind": "tablet", "window": cast.window_b.pk, "name": ""})
    assert refused.status_code == 422 and not Device.objects.filter(window=cast.window_b).exists()
    assert "请选择窗口评价器所在的窗口" in refused.content.decode()


@pytest.mark.django_db
def test_a_windows_items_page_ticks_what_it_takes_in_among_its_departments_items(cast):
    from haochaping.service_records.services import service_item_create, window_items_set

    extra = service_item_create(actor=Actor.cli(), code="11410404MB0000003C", name="食品经营许可<变更>",
                                item_type="01", department=cast.unit_a)  # fmt: skip
    window_items_set(actor=Actor.cli(), scope=scope_for_user(cast.users["supervisor"]), window=cast.window_a,
                     items=[cast.item_a])  # fmt: skip
    page = login(Client(), cast, "admin_a").get(reverse("console:window_items", kwargs={"pk": cast.window_a.pk}))
    boxes = re.findall(r'<li><label><input type="checkbox" name="items" value="(\d+)"( checked)?> (.*?) '
                       r'<span class="muted small">(.*?)</span></label></li>', page.content.decode())  # fmt: skip
    assert sorted(boxes) == sorted([(str(cast.item_a.pk), " checked", cast.item_a.name, cast.item_a.code),
                                    (str(extra.pk), "", "食品经营许可&lt;变更&gt;", extra.code)])  # fmt: skip


@pytest.mark.django_db
def test_the_poster_page_lists_each_place_with_where_it_is_and_its_code(cast):
    html = login(Client(), cast, "admin_a").get("/console/qr/posters/").content.decode()
    ref = f"w{cast.window_a.pk}"
    row = (f'<tr><td><input type="checkbox" name="place" value="{ref}" id="place-{ref}" checked></td>'
           f'<td class="nowrap">窗口</td><td><label for="place-{ref}">市场监管综合窗口</label></td>'
           f"<td>{cast.center.name} · 区市场监督管理局</td>"
           '<td><span class="state state-open">打印时生成</span></td></tr>')  # fmt: skip
    assert row in html and html.count('name="place"') == len(re.findall(r"<tr><td><input", html))
