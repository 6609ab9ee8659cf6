"""The public demand form end to end (plain client): submit, confirmation, tracking, the reply,
the citizen's satisfaction; honeypot and rate limits."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from haochaping.audit.models import AuditEvent
from haochaping.notifications.models import Notification
from haochaping.organizations.selectors import caller_for_user
from haochaping.outreach.choices import DemandState, DemandStep
from haochaping.outreach.models import Demand, DemandCategory, PortalAttempt
from haochaping.outreach.services import DemandStepInput, demand_transition
from haochaping.outreach.services.demands import category_ensure_default
from haochaping.testing import login

FORM = {
    "category_code": "",
    "content": "在区政务服务中心办理营业执照变更，排队等了三个多小时，效率太低了，希望增加窗口。",
    "contact_name": "冯宝宝",
    "contact_phone": "139 0000 7777",
    "project_no": "",
    "consent": "on",
    "website": "",
}
IDENTITY = ["冯宝宝", "13900007777", "冯**", "139****7777"]


@pytest.fixture(autouse=True)
def _categories(db):
    category_ensure_default()


def submit(client: Client, **overrides):
    return client.post(reverse("portal:demand"), {**FORM, **overrides})


def test_a_citizen_submits_follows_reads_the_reply_and_rates_the_handling(cast):
    client = Client()
    page = client.get(reverse("portal:demand"))
    assert page.status_code == 200 and "我要反映问题" in page.content.decode()

    response = submit(client)
    assert response.status_code == 302 and response["Location"] == reverse("portal:demand_done")
    demand = Demand.objects.get()
    assert demand.source == "portal" and demand.category.code == "timeliness"
    assert demand.contact_phone == "13900007777" and demand.unit == cast.district
    done = client.get(response["Location"]).content.decode()
    code = re.search(r'id="query-code">(\d{6})<', done).group(1)
    assert demand.number in done and "个工作日" in done
    assert not any(value in done for value in IDENTITY)
    assert not Notification.objects.filter(channel="sms").exists()  # no SMS on submission

    # Another browser follows it with the 受理编号 and 查询码.
    other = Client()
    response = other.post(reverse("portal:demand_track"), {"number": demand.number, "code": code})
    assert response.status_code == 302 and response["Location"].startswith("/demand/t/")
    status_url = response["Location"]
    html = other.get(status_url).content.decode()
    assert "已受理，待分派" in html and "排队等了三个多小时" in html
    assert not any(value in html for value in IDENTITY)

    # The centre assigns it, the unit answers: an SMS with the link, the reply on the page.
    supervisor = caller_for_user(cast.users["supervisor"])
    demand_transition(
        caller=supervisor, demand_id=demand.pk, action=DemandStep.ASSIGNED, data=DemandStepInput(unit=cast.center)
    )
    demand_transition(
        caller=supervisor,
        demand_id=demand.pk,
        action=DemandStep.REPLIED,
        data=DemandStepInput(text="已增设两个商事登记窗口，并推行网上预约。"),
    )
    sms = Notification.objects.get(template_code="demand_reply")
    assert sms.phone == "13900007777"
    sms_path = re.search(r"http://[^/]+(/demand/t/\S+)", sms.body).group(1)
    html = other.get(sms_path).content.decode()
    assert "已增设两个商事登记窗口" in html and "请评价办理结果" in html

    response = other.post(sms_path, {"satisfaction": "basic", "comment": "希望尽快落实"})
    assert response.status_code == 302
    html = other.get(response["Location"]).content.decode()
    assert "感谢您的评价" in html and "基本满意" in html and "请评价办理结果" not in html
    demand.refresh_from_db()
    assert (demand.state, demand.satisfaction) == (DemandState.CLOSED, "basic")
    assert AuditEvent.objects.filter(action="outreach:demand:closed", actor_type="citizen").count() == 1


def test_missing_fields_are_explained_and_the_input_kept(cast):
    response = submit(Client(), content="差", contact_phone="123", consent="")
    html = response.content.decode()
    assert response.status_code == 422
    assert "还有内容需要修改" in html and "请勾选同意" in html and "至少 5 个字" in html
    assert "冯宝宝" in html  # what the citizen typed stays in the form
    assert not Demand.objects.exists()


def test_the_honeypot_stops_robots_without_storing_anything(cast):
    response = submit(Client(), website="http://spam.example")
    assert response.status_code == 400 and "提交未成功" in response.content.decode()
    assert not Demand.objects.exists()
    assert PortalAttempt.objects.filter(kind="honeypot").count() == 1


def test_submissions_are_limited_per_client_address(cast, settings):
    settings.DEMAND_SUBMISSIONS_PER_HOUR = 3
    client = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(3):
        assert submit(client, content=f"第{n}次反映：窗口排队时间太长").status_code == 302
    response = submit(client, content="第四次反映：窗口排队时间太长")
    assert response.status_code == 429 and "提交过于频繁" in response.content.decode()
    assert Demand.objects.count() == 3
    assert submit(Client(REMOTE_ADDR="198.51.100.7")).status_code == 302  # another address is not affected
    assert not PortalAttempt.objects.filter(key__contains="203.0.113.9").exists()  # stored hashed only


def test_honeypot_hits_count_towards_the_limit(cast, settings):
    settings.DEMAND_SUBMISSIONS_PER_HOUR = 2
    client = Client(REMOTE_ADDR="203.0.113.10")
    submit(client, website="x")
    submit(client, website="x")
    assert submit(client).status_code == 429


def test_wrong_tracking_codes_are_refused_and_limited(cast, settings):
    settings.DEMAND_TRACK_FAILURES_PER_HOUR = 2
    client = Client()
    submit(client)
    demand = Demand.objects.get()
    track = reverse("portal:demand_track")
    for _ in range(2):
        response = client.post(track, {"number": demand.number, "code": "000000"})
        assert response.status_code == 422 and "受理编号或查询码不正确" in response.content.decode()
    assert client.post(track, {"number": demand.number, "code": "000000"}).status_code == 429


def test_forged_links_and_staff_sessions(cast):
    client = Client()
    submit(client)
    demand = Demand.objects.get()
    assert client.get("/demand/t/forged.token").status_code == 404
    supervisor = caller_for_user(cast.users["supervisor"])
    demand_transition(
        caller=supervisor, demand_id=demand.pk, action=DemandStep.REPLIED, data=DemandStepInput(text="已答复")
    )
    from haochaping.outreach.notify import demand_link

    path = demand_link(demand.pk).removeprefix("http://127.0.0.1:8000")
    staff = login(Client(), cast, "operator")
    html = staff.get(path).content.decode()
    assert "工作人员不能代替群众评价办理结果" in html
    assert staff.post(path, {"satisfaction": "satisfied"}).status_code == 403
    demand.refresh_from_db()
    assert demand.state == DemandState.REPLIED


def test_the_confirmation_page_needs_the_submitting_browser(cast):
    response = Client().get(reverse("portal:demand_done"))
    assert response.status_code == 302 and response["Location"] == reverse("portal:demand")


def test_an_expired_link_asks_for_the_number_and_code(cast, time_machine):
    client = Client()
    submit(client)
    demand = Demand.objects.get()
    from haochaping.outreach.notify import demand_link

    path = demand_link(demand.pk, now=0).removeprefix("http://127.0.0.1:8000")  # expired long ago
    response = client.get(path)
    assert response.status_code == 410 and "链接已失效" in response.content.decode()


def test_every_page_states_the_time_limit_from_the_category(cast, settings):
    """Issue 13 item 2: the form, the receipt and the status page state the limits the
    categories (and HAOCHAPING_DEMAND_DEFAULT_DAYS) set; none hard-codes a number."""
    settings.DEMAND_DEFAULT_DAYS = 4
    DemandCategory.objects.update(days=6)
    DemandCategory.objects.filter(code="timeliness").update(days=9)
    client = Client()
    form = client.get(reverse("portal:demand")).content.decode()
    assert "按问题类别在 4–9 个工作日内答复" in form and "以受理回执为准" in form
    assert "办理时限（9 个工作日）" in form and "场所设施（6 个工作日）" in form
    assert "5 个工作日" not in form and "10 个工作日" not in form

    response = submit(client)  # a complaint about waiting: 办理时限
    demand = Demand.objects.get()
    assert (demand.category.code, demand.days) == ("timeliness", 9)
    done = client.get(response["Location"]).content.decode()
    assert "（9 个工作日，节假日顺延）" in done
    response = client.post(reverse("portal:demand_track"), {"number": demand.number, "code": _code(done)})
    status = client.get(response["Location"]).content.decode()
    assert "（9 个工作日，节假日顺延）" in status and f"{demand.due_at:%Y}年" in status

    # One limit everywhere: the form promises that one figure.
    DemandCategory.objects.update(days=7)
    settings.DEMAND_DEFAULT_DAYS = 7
    assert "一般在 7 个工作日内答复" in client.get(reverse("portal:demand")).content.decode()


def _code(done: str) -> str:
    return re.search(r'id="query-code">(\d{6})<', done).group(1)
