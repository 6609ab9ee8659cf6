"""The rating list's filter bar: the same filters as GET /api/v1/evaluations (EvaluationFilter)."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from haochaping.audit.services import Actor
from haochaping.evaluations.services import RatingInput
from haochaping.testing import login, push_record, submit_rating


def rows(response) -> list:
    return list(response.context["page_obj"])


def test_the_unit_choices_are_the_callers_units(cast, world):
    url = reverse("console:evaluation_list")
    admin_form = login(Client(), cast, "admin_a").get(url).context["form"]
    assert [code for code, _ in admin_form.fields["unit_code"].choices] == ["", "SCJG"]
    supervisor_form = login(Client(), cast, "supervisor").get(url).context["form"]
    assert {"SCJG", "RSJ", "CENTER"} <= {code for code, _ in supervisor_form.fields["unit_code"].choices}
    # Another unit's code is an error beside the field, and not applied (the scope applies anyway).
    response = login(Client(), cast, "admin_a").get(url, {"unit_code": "RSJ"})
    assert response.context["form"].errors["unit_code"]
    assert {e.pk for e in rows(response)} == {world.eval_a.pk, world.eval_a_nostaff.pk}


def test_the_filter_bar_offers_bad_ratings_and_the_project_number(cast, world):
    client = login(Client(), cast, "supervisor")
    url = reverse("console:evaluation_list")
    response = client.get(url, {"level": "bad", "unit_code": "RSJ"})
    assert rows(response) == [world.eval_b]
    html = response.content.decode()
    assert '<option value="bad" selected>差评（不满意及以下）</option>' in html
    assert 'name="project_no"' in html and "办件编号" in html
    assert rows(client.get(url, {"project_no": "SCJG2026110002"})) == [world.eval_a_nostaff]
    # The former ?unit= of older links still filters.
    assert rows(client.get(url, {"level": "bad", "unit": "RSJ"})) == [world.eval_b]


def test_an_invalid_date_is_shown_beside_the_field_and_not_applied(cast, world):
    client = login(Client(), cast, "supervisor")
    url = reverse("console:evaluation_list")
    response = client.get(url, {"date_from": "x", "level": "bad"})
    assert "须为日期" in response.content.decode()
    assert {e.pk for e in rows(response)} == {world.eval_a.pk, world.eval_b.pk}  # level still applies
    today = timezone.localdate().isoformat()
    response = client.get(url, {"date_from": today, "date_to": "2020-01-01"})
    assert "截止日期不能早于起始日期" in response.content.decode()
    assert {e.pk for e in rows(response)} == {world.eval_b.pk, world.eval_a_nostaff.pk}  # date_from applies


def test_only_invalid_ratings_is_a_box_to_tick(cast, world):
    client = login(Client(), cast, "supervisor")
    url = reverse("console:evaluation_list")
    html = client.get(url).content.decode()
    assert '<input type="checkbox" name="invalid"' in html and "仅无效评价" in html
    assert rows(client.get(url, {"invalid": "on"})) == []  # none has been invalidated
    ticked = client.get(url, {"invalid": "on"}).content.decode()
    box = ticked[ticked.index('<input type="checkbox" name="invalid"') :].split(">", 1)[0]
    assert " checked" in box
    assert len(rows(client.get(url))) == len(rows(client.get(url, {"invalid": ""}))) > 0


def test_the_business_system_is_picked_by_name_among_the_callers_systems(cast, world):
    url = reverse("console:evaluation_list")
    supervisor = login(Client(), cast, "supervisor")
    field = supervisor.get(url).context["form"].fields["system"]
    assert (str(cast.system_all.pk), "区一体化政务服务平台") in field.choices
    assert (str(cast.system_a.pk), "市场监管审批系统") in field.choices
    # Every record of the world was pushed by the district-wide system.
    assert len(rows(supervisor.get(url, {"system": cast.system_all.pk}))) == 3
    assert rows(supervisor.get(url, {"system": cast.system_a.pk})) == []
    # A department admin sees only the systems bound to their unit; another is an error beside
    # the field and not applied.
    admin_form = login(Client(), cast, "admin_a").get(url, {"system": cast.system_all.pk}).context["form"]
    assert [label for _, label in admin_form.fields["system"].choices] == ["全部业务系统", "市场监管审批系统"]
    assert admin_form.errors["system"]
    # A clerk has no such filter.
    assert "system" not in login(Client(), cast, "clerk_a").get(url).context["form"].fields


def test_the_dates_are_local_days_whole(cast, world):
    # The date filters bound evaluated_at by the local day's first instant (an index range), not
    # by casting each row: a rating at 23:59:59 Beijing time is on that day, one a second later not.
    day = timezone.localdate() - dt.timedelta(days=3)
    last_second = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=timezone.get_current_timezone())

    def rated_at(project_no: str, moment: dt.datetime):
        data = RatingInput(level=5, channel=4, evaluated_at=moment, dimensions={})
        return submit_rating(actor=Actor.citizen(), record=push_record(cast, project_no), data=data)

    on_day = rated_at("SCJG2026119001", last_second)
    next_day = rated_at("SCJG2026119002", last_second + dt.timedelta(seconds=1))
    client = login(Client(), cast, "supervisor")
    url = reverse("console:evaluation_list")
    listed = {e.pk for e in rows(client.get(url, {"date_from": day.isoformat(), "date_to": day.isoformat()}))}
    assert on_day.pk in listed and next_day.pk not in listed
    listed = {e.pk for e in rows(client.get(url, {"date_from": (day + dt.timedelta(days=1)).isoformat()}))}
    assert next_day.pk in listed and on_day.pk not in listed
