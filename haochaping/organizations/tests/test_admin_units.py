"""单位 (issue 15): the unit tree page, adding, editing, moving and deactivating units — the
centre's supervisors only, audited, paths of every descendant kept consistent, nothing deleted."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from haochaping.audit.models import AuditEvent
from haochaping.audit.services import Actor
from haochaping.core.errors import ValidationFailed
from haochaping.demo.fake import credit_code
from haochaping.organizations.administration.checks import credit_code_clean, division_code_clean
from haochaping.organizations.administration.rules import PLATFORM
from haochaping.organizations.administration.units import unit_move, unit_update
from haochaping.organizations.models import Unit, UnitKind
from haochaping.organizations.selectors import Scope, scope_for_user
from haochaping.organizations.services import unit_create
from haochaping.testing import login

pytestmark = pytest.mark.django_db

LIST = "/console/units/"
NEW = "/console/units/new/"


def detail(unit) -> str:
    return reverse("console:unit_detail", kwargs={"pk": unit.pk})


def events(action: str, target) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, target_type="organizations.unit", target_id=str(target.pk)))


def test_the_tree_lists_units_in_order_with_kind_division_code_and_parent(cast):
    html = login(Client(), cast, "supervisor").get(LIST).content.decode()
    assert html.index('data-unit="410404"') < html.index('data-unit="JD01"') < html.index('data-unit="JD01-SQ01"')
    assert "街道便民服务中心" in html and "社区便民服务点" in html and "410404" in html
    assert 'class="tree-name indent-2"' in html  # the community point, two levels below the district
    assert "新建单位" in html


def test_a_department_admin_reads_only_their_own_subtree_and_cannot_change_it(cast):
    client = login(Client(), cast, "admin_a")
    html = client.get(LIST).content.decode()
    assert cast.unit_a.name in html and cast.unit_b.name not in html and "新建单位" not in html
    assert client.get(detail(cast.unit_a)).status_code == 200
    assert client.get(detail(cast.unit_b)).status_code == 404
    assert client.get(NEW).status_code == 403
    r = client.post(detail(cast.unit_a), {"action": "edit", "name": "改名", "kind": "department"})
    assert r.status_code == 403 and "只有区政务服务中心督查" in r.content.decode()
    assert Unit.objects.get(pk=cast.unit_a.pk).name == "区市场监督管理局"
    assert login(Client(), cast, "clerk_a").get(LIST).status_code == 403


def test_the_centre_adds_a_community_point_under_a_street_centre(cast):
    client = login(Client(), cast, "supervisor")
    data = {"parent": cast.street.pk, "code": "JD01-SQ02", "name": "新华社区便民服务点",
            "kind": UnitKind.COMMUNITY_POINT, "division_code": "410404001002", "credit_code": ""}  # fmt: skip
    r = client.post(NEW, data)
    unit = Unit.objects.get(code="JD01-SQ02")
    assert r.status_code == 302 and r["Location"] == detail(unit)
    assert unit.path == "/410404/JD01/JD01-SQ02/" and unit.parent == cast.street
    assert events("organizations:unit:created", unit)[0].actor_label == "supervisor"
    assert "新华社区便民服务点" in client.get(LIST).content.decode()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("41040400100", "应为 12 位数字"),
        ("4104040010O1", "只能由数字组成"),
        ("990404001001", "不是有效的省级代码"),
        ("410000000000", "只到省级"),
    ],
)
def test_a_bad_division_code_is_refused_in_chinese(cast, value, message):
    client = login(Client(), cast, "supervisor")
    r = client.post(NEW, {"parent": cast.street.pk, "code": "JD01-SQ09", "name": "某点", "kind": "community_point",
                          "division_code": value})  # fmt: skip
    assert r.status_code == 422
    assert message in r.content.decode()
    assert not Unit.objects.filter(code="JD01-SQ09").exists()


def test_division_and_credit_codes_accept_the_real_forms():
    assert division_code_clean(" 410404001000 ") == "410404001000"
    assert division_code_clean("410404") == "410404"  # a county-level body's GB/T 2260 code
    assert division_code_clean("") == ""
    valid = credit_code("11410404", "MB105290")  # GB 32100, with its check character
    assert credit_code_clean(valid.lower()) == valid
    wrong = valid[:-1] + ("0" if valid[-1] != "0" else "1")
    with pytest.raises(ValidationFailed) as exc:
        credit_code_clean(wrong)
    assert "校验位不正确" in exc.value.message
    with pytest.raises(ValidationFailed) as exc:
        credit_code_clean("11410404MB10529")
    assert "应为 18 位" in exc.value.message


def test_a_rename_is_audited_and_an_unchanged_save_writes_nothing(cast):
    client = login(Client(), cast, "supervisor")
    data = {
        "action": "edit",
        "name": "区市场监管局",
        "kind": "department",
        "division_code": "410404",
        "credit_code": "",
    }
    assert client.post(detail(cast.unit_a), data).status_code == 302
    assert Unit.objects.get(pk=cast.unit_a.pk).name == "区市场监管局"
    [event] = events("organizations:unit:updated", cast.unit_a)
    assert event.data["changes"]["name"] == ["区市场监督管理局", "区市场监管局"]
    client.post(detail(cast.unit_a), data)  # the same values again: nothing to write
    assert len(events("organizations:unit:updated", cast.unit_a)) == 1
    assert "修改单位信息" in client.get(detail(cast.unit_a)).content.decode()  # the history shows it


def test_moving_a_unit_moves_its_whole_subtree_and_scopes_follow(cast):
    client = login(Client(), cast, "supervisor")
    deep = unit_create(actor=Actor.cli(), code="JD01-SQ01-G1", name="网格站", kind="community_point",
                       parent=cast.community)  # fmt: skip
    r = client.post(detail(cast.street), {"action": "move", "parent": cast.center.pk})
    assert r.status_code == 302
    paths = dict(Unit.objects.filter(code__startswith="JD01").values_list("code", "path"))
    assert paths == {
        "JD01": "/410404/CENTER/JD01/",
        "JD01-SQ01": "/410404/CENTER/JD01/JD01-SQ01/",
        "JD01-SQ01-G1": "/410404/CENTER/JD01/JD01-SQ01/JD01-SQ01-G1/",
    }
    assert Unit.objects.get(code="JD01").parent_id == cast.center.pk
    [event] = events("organizations:unit:moved", cast.street)
    assert event.data["from"] == "410404" and event.data["to"] == "CENTER" and event.data["units"] == 3
    # The subtree query of a scope at the centre now finds the moved units.
    centre = Scope(unit_path=Unit.objects.get(code="CENTER").path)
    assert set(Unit.objects.filter(path__startswith=centre.unit_path).values_list("code", flat=True)) >= {
        "JD01", "JD01-SQ01", deep.code
    }  # fmt: skip


def test_a_unit_cannot_move_below_itself_or_its_descendants(cast):
    client = login(Client(), cast, "supervisor")
    r = client.post(detail(cast.street), {"action": "move", "parent": cast.community.pk})
    assert r.status_code == 422  # not even offered: the form's choices leave the subtree out
    assert Unit.objects.get(pk=cast.street.pk).path == "/410404/JD01/"
    with pytest.raises(ValidationFailed) as exc:
        unit_move(actor=Actor.cli(), scope=PLATFORM, unit=cast.street, parent=cast.community)
    assert exc.value.code == "unit_move_into_itself" and "下级单位" in exc.value.message
    with pytest.raises(ValidationFailed):
        unit_move(actor=Actor.cli(), scope=PLATFORM, unit=cast.street, parent=cast.street)
    assert Unit.objects.get(pk=cast.community.pk).path == "/410404/JD01/JD01-SQ01/"


def test_the_supervisor_cannot_move_or_deactivate_their_own_root(cast):
    scope = scope_for_user(cast.users["supervisor"])
    with pytest.raises(ValidationFailed):
        unit_move(actor=Actor.cli(), scope=scope, unit=cast.district, parent=cast.center)


def test_deactivating_a_unit_in_use_is_refused_with_what_hangs_on_it(cast):
    client = login(Client(), cast, "supervisor")
    page = client.get(detail(cast.unit_a)).content.decode()
    assert "1 个启用的窗口" in page and "名在岗工作人员" in page and "个启用的账号" in page
    r = client.post(detail(cast.unit_a), {"action": "deactivate"}, follow=True)
    assert "请先停用或调整后再停用该单位" in r.content.decode()
    assert Unit.objects.get(pk=cast.unit_a.pk).is_active


def test_deactivating_an_unused_unit_keeps_it_and_its_history(cast):
    client = login(Client(), cast, "supervisor")
    r = client.post(detail(cast.community), {"action": "deactivate"})
    assert r.status_code == 302
    unit = Unit.objects.get(pk=cast.community.pk)  # still there
    assert not unit.is_active
    assert len(events("organizations:unit:deactivated", unit)) == 1
    html = client.get(LIST).content.decode()
    assert 'data-unit="JD01-SQ01" class="row-inactive"' in html
    # Nothing can be added below it any more; it comes back on request.
    r = client.post(NEW, {"parent": unit.pk, "code": "X1", "name": "某", "kind": "community_point"})
    assert r.status_code == 422 and not Unit.objects.filter(code="X1").exists()
    assert client.post(detail(unit), {"action": "reactivate"}).status_code == 302
    assert Unit.objects.get(pk=unit.pk).is_active


def test_unit_update_is_the_one_check_for_the_importer_too(cast):
    with pytest.raises(ValidationFailed) as exc:
        unit_update(actor=Actor.cli(), scope=PLATFORM, unit=cast.unit_a, name="  ", kind="department",
                    division_code="", credit_code="")  # fmt: skip
    assert exc.value.fields == {"name": ["单位名称不能为空"]}
