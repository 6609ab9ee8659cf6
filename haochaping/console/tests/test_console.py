"""Console pages: login/logout, each page in Chinese, filters, pagination, masking, query counts."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from haochaping.analytics.rollups import rollup_refresh
from haochaping.testing import PASSWORD, login, record_payload
from haochaping.testing_world import PLAINTEXT, push, rate

LISTS = ["console:home", "console:record_list", "console:evaluation_list", "console:case_list"]


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- login / logout ------------------------------------------------------------------------


def test_the_login_page_is_in_chinese(db):
    html = html_of(Client().get(reverse("console:login")))
    assert "政务服务好差评平台" in html and "管理后台登录" in html and "用户名" in html and "密码" in html
    assert 'lang="zh-CN"' in html
    assert "http://" not in html.replace('href="/', "") and "https://" not in html  # no CDN assets


def test_a_user_logs_in_and_lands_on_the_home_page(cast):
    client = Client()
    response = client.post(reverse("console:login"), {"username": "admin_a", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("console:home")
    assert "工作台" in html_of(client.get(reverse("console:home")))


@pytest.mark.parametrize(
    ("who", "page"),
    [
        ("operator", "console:outreach_workbench"),
        ("supervisor", "console:home"),
        ("admin_a", "console:home"),
        ("clerk_a", "console:home"),
        ("auditor", "console:home"),
    ],
)
def test_each_role_lands_on_its_own_work_page(cast, who, page):
    """Issue 13 item 8: the operator lands on the workbench, also from a visit to /console/."""
    response = Client().post(reverse("console:login"), {"username": who, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse(page)
    home = reverse("console:home")
    response = Client().post(
        f"{reverse('console:login')}?next={home}", {"username": who, "password": PASSWORD, "next": home}
    )
    assert response["Location"] == reverse(page)


def test_a_login_returns_to_the_page_first_asked_for(cast):
    client = Client()
    target = reverse("console:evaluation_list")
    response = client.post(
        f"{reverse('console:login')}?next={target}", {"username": "admin_a", "password": PASSWORD, "next": target}
    )
    assert response["Location"] == target


def test_a_wrong_password_gets_a_chinese_error(cast):
    response = Client().post(reverse("console:login"), {"username": "admin_a", "password": "wrong-password"})
    assert "用户名或密码不正确" in html_of(response)


def test_logout_is_a_post_that_ends_the_session(cast):
    client = login(Client(), cast, "admin_a")
    assert client.get(reverse("console:logout")).status_code == 405
    response = client.post(reverse("console:logout"))
    assert response.status_code == 302 and response["Location"] == reverse("console:login")
    assert client.get(reverse("console:home")).status_code == 302


# --- every page, header, identity ---------------------------------------------------------


def test_every_page_renders_in_chinese_for_the_supervisor(cast, world):
    client = login(Client(), cast, "supervisor")
    pages = {
        reverse("console:home"): ["工作台", "评价率", "好评率", "最近差评"],
        reverse("console:record_list"): ["办件服务", "办件编号 / 服务次数", "是否已评价", "共 <strong>5</strong> 条"],
        reverse("console:evaluation_list"): ["评价记录", "总体评价", "评价人", "态度生硬、冷漠"],
        reverse("console:case_list"): ["差评工单", "整改期限", "待核实", "已逾期"],
        reverse("console:evaluation_detail", args=[world.eval_a.pk]): ["评价详情", "分项评价", "服务态度"],
        reverse("console:case_detail", args=[world.case_a.pk]): ["处理记录", "生成差评工单", "提交评价", "接收办件"],
    }
    for url, texts in pages.items():
        html = html_of(client.get(url))
        assert "政务服务好差评平台" in html and "退出登录" in html, url
        for text in texts:
            assert text in html, (url, text)


def test_the_header_shows_the_users_name_role_and_unit(cast):
    html = html_of(login(Client(), cast, "admin_a").get(reverse("console:home")))
    assert "admin_a" in html and "部门/街道/社区管理员" in html and "区市场监督管理局" in html
    html = html_of(login(Client(), cast, "clerk_a").get(reverse("console:home")))
    assert "王晓红（A001）" in html and "窗口工作人员" in html


def test_staff_see_identity_masked_and_never_in_plaintext(cast, api_all):
    """Through the real API, as a business system would push and rate."""
    assert api_all.post("/api/v1/service-records", record_payload(cast)).status_code == 201
    rating = {"project_no": "SCJG2026110001", "level": 2, "reasons": ["XC-TD-B01"], "channel": 4}
    response = api_all.post("/api/v1/evaluations", rating)
    assert response.status_code == 201, response.content
    evaluation_id = response.json()["id"]
    client = login(Client(), cast, "admin_a")
    records = html_of(client.get(reverse("console:record_list")))
    assert "张**" in records and "138****5678" in records
    evaluations = html_of(client.get(reverse("console:evaluation_list")))
    assert "张**" in evaluations and "138****5678" in evaluations
    detail = html_of(client.get(reverse("console:evaluation_detail", args=[evaluation_id])))
    assert "张**" in detail and "已脱敏" in detail
    for html in (records, evaluations, detail):
        for value in PLAINTEXT:
            assert value not in html


@pytest.mark.parametrize("name", LISTS)
def test_list_pages_decrypt_no_applicant(cast, many, record_decryptions, name):
    """Lists show the masked copies; the encrypted identity columns are not even read."""
    html = html_of(login(Client(), cast, "supervisor").get(reverse(name)))
    assert record_decryptions == []
    if name in ("console:record_list", "console:evaluation_list"):
        assert html.count("张**") >= 50 and html.count("138****5678") >= 50


def test_the_rating_page_decrypts_no_applicant(cast, world, record_decryptions):
    client = login(Client(), cast, "supervisor")
    html = html_of(client.get(reverse("console:evaluation_detail", args=[world.case_a.evaluation_id])))
    assert "张**" in html and record_decryptions == []


def test_a_window_clerk_has_no_evaluator_or_applicant_column(cast, world):
    client = login(Client(), cast, "clerk_a")
    evaluations = html_of(client.get(reverse("console:evaluation_list")))
    assert "评价人</th>" not in evaluations and "窗口工作人员不可查看" in evaluations
    assert "申请人</th>" not in html_of(client.get(reverse("console:record_list")))
    assert "<dt>评价人</dt>" not in html_of(client.get(reverse("console:case_detail", args=[world.case_a.pk])))


# --- home ------------------------------------------------------------------------------------


def test_the_home_page_shows_the_scopes_figures_and_recent_bad_ratings(cast, world):
    rollup_refresh()  # the minute job: A's bad rating is 20 days old, read from the rollups
    response = login(Client(), cast, "supervisor").get(reverse("console:home"))
    html = html_of(response)
    assert response.context["total"].services == 5
    assert response.context["rating_rate"] == pytest.approx(3 / 5)
    assert response.context["good_rate"] == pytest.approx(1 / 3)
    assert "60.0%" in html and "33.3%" in html
    assert [e.pk for e in response.context["recent_bad"]] == [world.eval_b.pk, world.eval_a.pk]
    assert "态度生硬、冷漠" in html and "排队等候时间过长" in html


def test_the_home_page_of_an_empty_unit_has_no_rates_and_a_chinese_empty_state(cast):
    response = login(Client(), cast, "admin_b").get(reverse("console:home"))
    html = html_of(response)
    assert response.context["rating_rate"] is None and "—" in html
    assert "暂无差评" in html


# --- filters ---------------------------------------------------------------------------------


def rows(response) -> list:
    return list(response.context["page_obj"])


def test_the_record_list_filters_by_unit_project_number_and_date(cast, world):
    client = login(Client(), cast, "supervisor")
    url = reverse("console:record_list")
    assert {r.unit_id for r in rows(client.get(url, {"unit": "RSJ"}))} == {cast.unit_b.pk}
    assert [r.pk for r in rows(client.get(url, {"project_no": " SCJG2026110002 "}))] == [world.record_a_nostaff.pk]
    today = timezone.localdate().isoformat()
    assert len(rows(client.get(url, {"date_from": today, "date_to": today}))) == 5
    response = client.get(url, {"date_from": "2001-01-01", "date_to": "2001-01-31"})
    assert rows(response) == [] and "没有符合筛选条件的办件" in html_of(response)


def test_an_inverted_date_range_is_reported_and_not_applied(cast, world):
    response = login(Client(), cast, "supervisor").get(
        reverse("console:record_list"), {"date_from": "2030-01-01", "date_to": "2020-01-01"}
    )
    assert "截止日期不能早于起始日期" in html_of(response)
    assert rows(response) == []  # the valid lower bound still applies


def test_the_evaluation_list_filters_by_level_channel_unit_and_date(cast, world):
    client = login(Client(), cast, "supervisor")
    url = reverse("console:evaluation_list")
    assert {e.pk for e in rows(client.get(url, {"level": "bad"}))} == {world.eval_a.pk, world.eval_b.pk}
    assert [e.pk for e in rows(client.get(url, {"level": "5"}))] == [world.eval_a_nostaff.pk]
    assert [e.pk for e in rows(client.get(url, {"level": "2", "unit": "RSJ"}))] == [world.eval_b.pk]
    assert rows(client.get(url, {"channel": "1"})) == []
    assert len(rows(client.get(url, {"channel": "4"}))) == 3
    today = timezone.localdate().isoformat()
    assert {e.pk for e in rows(client.get(url, {"date_from": today}))} == {world.eval_b.pk, world.eval_a_nostaff.pk}
    html = html_of(client.get(url, {"level": "bad"}))
    assert 'class="level level-1"' in html and 'class="row-bad"' in html


def test_the_case_list_shows_open_cases_with_deadlines_and_filters_by_state_unit_and_overdue(cast, world):
    client = login(Client(), cast, "supervisor")
    url = reverse("console:case_list")
    response = client.get(url)
    assert [c.pk for c in rows(response)] == [world.case_a.pk, world.case_b.pk]  # earliest deadline first
    html = html_of(response)
    assert 'class="deadline overdue"' in html and "已逾期 5 天" in html
    assert "剩余 15 天" in html
    assert [c.pk for c in rows(client.get(url, {"tab": "overdue"}))] == [world.case_a.pk]
    assert [c.pk for c in rows(client.get(url, {"unit": "RSJ"}))] == [world.case_b.pk]
    assert len(rows(client.get(url, {"state": "pending_verify"}))) == 2
    response = client.get(url, {"tab": "all", "state": "closed"})
    assert rows(response) == [] and "没有符合筛选条件的工单" in html_of(response)


# --- details ---------------------------------------------------------------------------------


def test_the_evaluation_detail_shows_dimensions_reasons_and_its_case(cast, world):
    response = login(Client(), cast, "admin_a").get(reverse("console:evaluation_detail", args=[world.eval_a.pk]))
    html = html_of(response)
    assert "态度生硬、冷漠" in html and "窗口人员态度生硬" in html
    assert dict(response.context["dimensions"])["服务态度"] == 1
    assert reverse("console:case_detail", args=[world.case_a.pk]) in html
    html = html_of(
        login(Client(), cast, "admin_a").get(reverse("console:evaluation_detail", args=[world.eval_a_nostaff.pk]))
    )
    assert "非差评，无需整改" in html


def test_the_case_detail_shows_the_audit_trail_of_case_rating_and_service(cast, world):
    response = login(Client(), cast, "admin_a").get(reverse("console:case_detail", args=[world.case_a.pk]))
    html = html_of(response)
    assert [row["action"] for row in response.context["audit_trail"]] == ["接收办件", "提交评价", "生成差评工单"]
    assert response.context["audit_trail"][2]["actor"] == "系统自动"
    assert world.case_a.number in html and "张**" in html


def test_a_non_numeric_or_unknown_id_is_a_404(cast, world):
    client = login(Client(), cast, "supervisor")
    assert client.get("/console/cases/abc/").status_code == 404
    response = client.get(reverse("console:evaluation_detail", args=[999999]))
    assert response.status_code == 404 and "评价不存在或无权查看" in response.content.decode()


# --- pagination and query counts ------------------------------------------------------------


@pytest.fixture
def many(cast):
    """60 bad ratings in unit A, so every list has more than one page."""
    for n in range(60):
        record = push(cast, f"SCJG2026120{n:03d}")
        rate(record, 1 + n % 2, reasons=["XC-TD-B01", "XC-XL-B01"], text=f"第 {n} 条")


def test_lists_are_paginated_by_fifty_with_totals(cast, many):
    client = login(Client(), cast, "supervisor")
    for name in ("console:record_list", "console:evaluation_list", "console:case_list"):
        response = client.get(reverse(name))
        assert len(rows(response)) == 50, name
        html = html_of(response)
        assert "共 <strong>60</strong> 条，第 1 / 2 页" in html, name
        assert "page=2" in html
        second = client.get(reverse(name), {"page": "2"})
        assert len(rows(second)) == 10
        assert "下一页</span>" in html_of(second)  # disabled on the last page


def test_the_page_links_keep_the_filters(cast, many):
    html = html_of(login(Client(), cast, "supervisor").get(reverse("console:evaluation_list"), {"level": "bad"}))
    assert "?level=bad&amp;page=2" in html


# Every list paged by core.pages.paging.page_of.
PAGED = [
    "/console/records/", "/console/evaluations/", "/console/cases/", "/console/inbox/", "/console/outreach/",
    "/console/outreach/tasks/", "/console/outreach/demands/", "/console/outreach/suggestions/",
    "/console/attribution/ratings/", "/console/integrity/", "/console/problems/", "/console/problems/proposals/",
    "/console/supervision/", "/console/analytics/supervision/", "/console/analytics/reports/", "/console/items/",
    "/console/accounts/", "/console/windows/", "/console/staff/", "/console/devices/", "/console/systems/",
]  # fmt: skip


def test_the_last_page_of_every_capped_list_is_its_tail_in_its_order(cast, many, monkeypatch):
    """Over the count cap, 末页 runs each list's ordering reversed: the rows must be exactly the
    list's last ones, in the list's order (so every ordering is total)."""
    from haochaping.core.pages import paging

    client = login(Client(), cast, "supervisor")

    def shown(response) -> list:
        return [getattr(row, "pk", row) for row in response.context["page_obj"]]

    tails = 0
    for path in PAGED:
        whole = client.get(path, {"page_size": "100"})
        assert whole.status_code == 200, path
        assert not whole.context["page_obj"].paginator.capped and whole.context["page_obj"].paginator.count <= 100
        with monkeypatch.context() as patch:
            patch.setattr(paging, "COUNT_CAP", 1)
            last = client.get(path, {"page": "last"})
        assert last.status_code == 200, path
        page = last.context["page_obj"]
        if len(shown(whole)) > 1:
            assert page.paginator.capped and page.is_tail, path
            assert shown(last) == shown(whole)[-page.paginator.per_page :], path
            assert '<span class="current" aria-current="page">末页</span>' in last.content.decode(), path
            tails += 1
    assert tails >= 8  # records, ratings, cases and the organisation lists at least


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize("who", ["supervisor", "admin_a"])
def test_list_pages_use_a_fixed_number_of_queries(cast, many, django_assert_max_num_queries, name, who):
    client = login(Client(), cast, who)
    # The centre's home page: + one count of the next year's entered rest days in the last 30
    # days of the known working-day calendar (the expiry warning, organizations.work_calendar).
    # The home page: + 3 since issue 17 (this year's figures from two rollup tables up to
    # yesterday and two raw queries for today, the trend from the rating rollups: 5 queries, were 3;
    # the newest bad ratings one query per bad level). The records as a supervisor: + the ids of
    # the scope's units (a lone unit's list reads its (unit, created_at) index); so do the
    # ratings (their (unit, evaluated_at) index).
    limits = {
        ("console:home", "supervisor"): 16,
        ("console:home", "admin_a"): 15,
        ("console:record_list", "supervisor"): 13,
        ("console:evaluation_list", "supervisor"): 13,
    }
    limit = limits.get((name, who), 12)
    with django_assert_max_num_queries(limit):
        response = client.get(reverse(name))
    assert response.status_code == 200
    if name != "console:home":
        assert len(rows(response)) == 50
