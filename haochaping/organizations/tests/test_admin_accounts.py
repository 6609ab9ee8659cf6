"""账号 (issue 15): invite with a one-time link, reset with a one-time link, deactivate (no login,
no session, no assignment, nothing lost), roles never above one's own, scoped, audited."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from haochaping.audit.models import AuditEvent
from haochaping.audit.services import Actor
from haochaping.core.errors import Conflict, PermissionDenied, ValidationFailed
from haochaping.organizations.administration.accounts import (
    account_deactivate,
    account_invite,
    account_update,
    password_link_issue,
)
from haochaping.organizations.models import Membership, Role
from haochaping.organizations.selectors import caller_for_user, scope_for_user
from haochaping.outreach.models import CallTask
from haochaping.outreach.selectors import call_operators
from haochaping.outreach.services import call_task_assign, call_task_claim_next
from haochaping.testing import PASSWORD, login
from haochaping.testing_world import outreach_world

pytestmark = pytest.mark.django_db

User = get_user_model()
LIST = "/console/accounts/"
NEW = "/console/accounts/new/"
NEW_PASSWORD = "Xin-mima-2027!"
LINK = re.compile(r"(https?://[^\s<\"]+/console/password/\?[^\s<\"]+)")


def detail(user) -> str:
    return reverse("console:account_detail", kwargs={"pk": user.pk})


def link_of(response) -> str:
    """The one-time link a page shows (as the administrator copies it)."""
    match = LINK.search(response.content.decode())
    assert match, "no link on the page"
    return html.unescape(match.group(1)).split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def use_link(url: str, password: str = NEW_PASSWORD, client: Client | None = None):
    client = client or Client()
    first = client.get(url)
    assert first.status_code == 302 and first["Location"] == "/console/password/"  # the token leaves the address
    page = client.get("/console/password/")
    if page.status_code != 200:
        return page
    return client.post("/console/password/", {"new_password1": password, "new_password2": password})


def invite_clerk(client: Client, cast, username: str = "clerk_new"):
    from haochaping.organizations.services import staff_create

    person = staff_create(actor=Actor.cli(), staff_no="A010", name="孙悦", unit=cast.unit_a, window=cast.window_a)
    r = client.post(NEW, {"username": username, "display_name": "", "role": Role.WINDOW_CLERK,
                          "unit": cast.unit_a.pk, "staff": person.pk})  # fmt: skip
    user = User.objects.get(username=username)
    assert r.status_code == 302 and r["Location"] == detail(user)
    return user, client.get(detail(user))


def test_an_invited_account_is_inactive_until_its_link_sets_a_password(cast):
    admin = login(Client(), cast, "admin_a")
    user, page = invite_clerk(admin, cast)
    assert not user.is_active and not user.has_usable_password()
    assert user.membership.role == Role.WINDOW_CLERK and user.membership.staff.staff_no == "A010"
    text = page.content.decode()
    assert "一次性激活链接" in text and "待激活" in text
    # The top bar and the menu are still the viewer's (the page shows another account's role).
    assert f'<span class="user-tag">{Role.DEPT_ADMIN.label}</span>' in text and 'href="/console/accounts/"' in text
    url = link_of(page)
    assert LINK.search(admin.get(detail(user)).content.decode()) is None  # shown once only
    assert not Client().login(username="clerk_new", password=NEW_PASSWORD)
    done = use_link(url)
    assert done.status_code == 200 and "密码已设置" in done.content.decode()
    user.refresh_from_db()
    assert user.is_active and user.check_password(NEW_PASSWORD)
    assert Client().login(username="clerk_new", password=NEW_PASSWORD)
    actions = list(AuditEvent.objects.filter(target_type="auth.user", target_id=str(user.pk))
                   .order_by("id").values_list("action", flat=True))  # fmt: skip
    assert actions == ["organizations:user:invited", "organizations:user:password_link_issued",
                       "organizations:user:password_set"]  # fmt: skip
    # The link is dead now.
    again = use_link(url)
    assert again.status_code == 410 and "链接无效或已过期" in again.content.decode()


def test_a_link_expires(cast, time_machine, settings):
    time_machine.move_to(timezone.now())
    admin = login(Client(), cast, "admin_a")
    _, page = invite_clerk(admin, cast)
    url = link_of(page)
    time_machine.move_to(timezone.now() + dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60))
    r = use_link(url)
    assert r.status_code == 410
    assert not User.objects.get(username="clerk_new").is_active


def test_a_weak_password_on_the_link_page_is_refused_and_the_link_still_works(cast):
    admin = login(Client(), cast, "admin_a")
    _, page = invite_clerk(admin, cast)
    url = link_of(page)
    client = Client()
    r = use_link(url, "12345678901", client=client)
    assert r.status_code == 422 and "密码只包含数字" in r.content.decode()
    r = client.post("/console/password/", {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert r.status_code == 200 and "密码已设置" in r.content.decode()


def test_an_admin_reset_link_kills_the_old_password_the_sessions_and_earlier_links(cast):
    clerk = login(Client(), cast, "clerk_a")
    assert clerk.get("/console/").status_code == 200
    admin = login(Client(), cast, "admin_a")
    user = cast.users["clerk_a"]
    first = link_of(admin.post(detail(user), {"action": "link"}, follow=True))
    second = link_of(admin.post(detail(user), {"action": "link"}, follow=True))
    assert not Client().login(username="clerk_a", password=PASSWORD)  # the old password is gone
    assert clerk.get("/console/").status_code == 302  # and so is the open session
    assert use_link(first).status_code == 410  # only the newest link works
    assert use_link(second).status_code == 200
    assert Client().login(username="clerk_a", password=NEW_PASSWORD)
    event = AuditEvent.objects.filter(action="organizations:user:password_link_issued").last()
    assert event.data == {"username": "clerk_a", "purpose": "reset", "hours": 72}
    assert "token" not in str(event.data) and "http" not in str(event.data)


def test_a_deactivated_account_cannot_log_in_and_its_session_is_refused(cast):
    clerk = login(Client(), cast, "clerk_a")
    admin = login(Client(), cast, "admin_a")
    user = cast.users["clerk_a"]
    r = admin.post(detail(user), {"action": "deactivate"})
    assert r.status_code == 302
    user.refresh_from_db()
    assert not user.is_active and user.membership.deactivated_at is not None
    assert user.membership.staff == cast.staff_a  # nothing that referred to it is lost
    r = clerk.get("/console/")
    assert r.status_code == 302 and r["Location"].startswith("/console/login/")
    assert not Client().login(username="clerk_a", password=PASSWORD)
    page = Client().post("/console/login/", {"username": "clerk_a", "password": PASSWORD})
    assert page.status_code == 200 and "用户名或密码不正确" in page.content.decode()
    assert "已停用" in admin.get(detail(user)).content.decode()
    # No link can be issued for it; re-enabling issues one, and the account comes back through it.
    with pytest.raises(Conflict, match="已停用"):
        password_link_issue(actor=Actor.cli(), scope=scope_for_user(cast.users["admin_a"]), user=user)
    url = link_of(admin.post(detail(user), {"action": "reactivate"}, follow=True))
    assert use_link(url).status_code == 200
    assert Client().login(username="clerk_a", password=NEW_PASSWORD)


def test_a_deactivated_operator_is_no_longer_offered_or_assigned_call_tasks(cast, world):
    outreach_world(cast, world)
    supervisor = cast.users["supervisor"]
    operator = cast.users["operator"]
    scope = scope_for_user(supervisor)
    task = CallTask.objects.filter(unit__path__startswith=cast.unit_a.path).first()
    assert operator in call_operators(scope=scope)
    call_task_assign(caller=caller_for_user(supervisor), task_id=task.pk, operator_id=operator.pk)
    CallTask.objects.filter(pk=task.pk).update(due_at=timezone.now() - dt.timedelta(days=3650))  # the first due
    assert call_task_claim_next(caller=caller_for_user(supervisor), kind=task.kind).pk != task.pk  # operator's
    CallTask.objects.update(claimed_by=None, claimed_until=None)
    admin = login(Client(), cast, "supervisor")
    assert admin.post(detail(operator), {"action": "deactivate"}).status_code == 302
    assert operator not in call_operators(scope=scope)
    page = admin.get(reverse("console:outreach_task_detail", kwargs={"pk": task.pk}))
    offered = [value for value, _ in page.context["assign_form"].fields["operator"].choices]
    assert operator.pk not in offered and cast.users["supervisor"].pk in offered
    with pytest.raises(ValidationFailed):
        call_task_assign(caller=caller_for_user(supervisor), task_id=task.pk, operator_id=operator.pk)
    # The task it held is back in the pool: another caller takes it; the assignment stays recorded.
    assert call_task_claim_next(caller=caller_for_user(supervisor), kind=task.kind).pk == task.pk
    assert CallTask.objects.get(pk=task.pk).assigned_to == operator


def test_a_department_admin_cannot_grant_a_supervisor_or_place_an_account_elsewhere(cast):
    admin = login(Client(), cast, "admin_a")
    form = admin.get(NEW).context["form"]
    assert [value for value, _ in form.fields["role"].choices if value] == [Role.DEPT_ADMIN, Role.WINDOW_CLERK]
    r = admin.post(NEW, {"username": "boss", "role": Role.SUPERVISOR, "unit": cast.unit_a.pk})
    assert r.status_code == 422 and not User.objects.filter(username="boss").exists()
    r = admin.post(NEW, {"username": "elsewhere", "role": Role.DEPT_ADMIN, "unit": cast.unit_b.pk})
    assert r.status_code == 422 and not User.objects.filter(username="elsewhere").exists()
    scope = scope_for_user(cast.users["admin_a"])
    with pytest.raises(PermissionDenied) as exc:
        account_invite(actor=Actor.cli(), scope=scope, username="boss", role=Role.SUPERVISOR, unit=cast.unit_a)
    assert exc.value.code == "role_not_grantable" and "不能授予高于自己的角色" in exc.value.message
    with pytest.raises(PermissionDenied):
        account_invite(actor=Actor.cli(), scope=scope, username="x", role=Role.DEPT_ADMIN, unit=cast.unit_b)
    # Promoting a clerk of its own to supervisor: refused too.
    clerk = cast.users["clerk_a"]
    with pytest.raises(PermissionDenied):
        account_update(actor=Actor.cli(), scope=scope, user=clerk, role=Role.SUPERVISOR, unit=cast.unit_a,
                       staff=cast.staff_a, display_name="")  # fmt: skip
    assert Membership.objects.get(user=clerk).role == Role.WINDOW_CLERK


def test_a_department_admin_gets_404_on_another_departments_accounts(cast):
    admin = login(Client(), cast, "admin_a")
    html_text = admin.get(LIST).content.decode()
    assert 'data-username="clerk_a"' in html_text and 'data-username="clerk_b"' not in html_text
    other = cast.users["clerk_b"]
    assert admin.get(detail(other)).status_code == 404
    for action in ("deactivate", "link", "edit"):
        assert admin.post(detail(other), {"action": action, "role": "dept_admin"}).status_code == 404
    other.refresh_from_db()
    assert other.is_active and other.check_password(PASSWORD)
    # The district's accounts (supervisor, operator) are outside its subtree as well.
    assert admin.get(detail(cast.users["supervisor"])).status_code == 404


def test_the_centre_changes_a_role_and_scope_audited(cast):
    admin = login(Client(), cast, "supervisor")
    user = cast.users["admin_b"]
    r = admin.post(detail(user), {"action": "edit", "display_name": "", "role": Role.AUDITOR,
                                  "unit": cast.district.pk, "staff": ""})  # fmt: skip
    assert r.status_code == 302
    membership = Membership.objects.get(user=user)
    assert (membership.role, membership.unit) == (Role.AUDITOR, cast.district)
    event = AuditEvent.objects.get(action="organizations:user:updated", target_id=str(user.pk))
    assert event.data["changes"] == {"role": ["dept_admin", "auditor"], "unit": ["RSJ", "410404"]}


def test_nobody_deactivates_resets_or_demotes_themselves(cast):
    supervisor = cast.users["supervisor"]
    scope = scope_for_user(supervisor)
    actor = Actor.for_user(supervisor)
    with pytest.raises(PermissionDenied):
        account_deactivate(actor=actor, scope=scope, user=supervisor)
    with pytest.raises(PermissionDenied):
        password_link_issue(actor=actor, scope=scope, user=supervisor)
    with pytest.raises(PermissionDenied):
        account_update(actor=actor, scope=scope, user=supervisor, role=Role.AUDITOR, unit=cast.district,
                       staff=None, display_name="")  # fmt: skip
    supervisor.refresh_from_db()
    assert supervisor.is_active


def test_a_clerk_account_needs_an_active_staff_member_without_an_account(cast):
    scope = scope_for_user(cast.users["supervisor"])
    with pytest.raises(ValidationFailed) as exc:
        account_invite(actor=Actor.cli(), scope=scope, username="c2", role=Role.WINDOW_CLERK, unit=cast.unit_a)
    assert exc.value.fields == {"staff": ["请选择对应的工作人员"]}
    with pytest.raises(ValidationFailed) as exc:
        account_invite(actor=Actor.cli(), scope=scope, username="c2", role=Role.WINDOW_CLERK, unit=cast.unit_a,
                       staff=cast.staff_a)  # fmt: skip
    assert exc.value.code == "staff_has_account" and "clerk_a" in exc.value.message


def test_imported_accounts_wait_for_a_batch_of_activation_links(cast):
    """An Excel import's accounts are 待激活 (as one opened on the 账号 page); the list issues
    every link at once, shown once, each good for its own account only; scoped to the subtree."""
    from haochaping.organizations.tests.test_imports import STAFF_HEADERS, apply, xlsx

    content = xlsx(STAFF_HEADERS, [["A300", "钱一", "SCJG", "", "是", "qianyi", ""],
                                   ["A301", "钱二", "SCJG", "", "是", "qianer", ""],
                                   ["B300", "李三", "RSJ", "", "是", "lisan", ""]])  # fmt: skip
    assert apply("staff", content).counts.created == 3
    imported = User.objects.filter(username__in=["qianyi", "qianer", "lisan"])
    assert [u.is_active for u in imported] == [False] * 3
    admin = login(Client(), cast, "admin_a")
    listing = admin.get(LIST).content.decode()
    assert "为待激活账号生成激活链接（2 个）" in listing  # 钱一, 钱二; not RSJ's 李三
    page = admin.post("/console/accounts/links/", {"q": "", "role": ""})
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    text = page.content.decode()
    assert "共 2 个链接" in text and "qianyi" in text and "qianer" in text and "lisan" not in text
    urls = [html.unescape(m).split("://", 1)[1].split("/", 1)[1].join(["/", ""]) for m in LINK.findall(text)]
    assert len(urls) == 2
    assert use_link(urls[0]).status_code == 200
    assert sum(u.is_active for u in User.objects.filter(username__in=["qianyi", "qianer"])) == 1
    assert not User.objects.get(username="lisan").is_active
    issued = AuditEvent.objects.filter(action="organizations:user:password_link_issued").count()
    assert issued == 2
    # A clerk has no such page.
    assert login(Client(), cast, "clerk_a").post("/console/accounts/links/").status_code in (403, 404)
