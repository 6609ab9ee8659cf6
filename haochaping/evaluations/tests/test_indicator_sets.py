"""评价指标体系: the centre imports a province's set as a new version (预检 with Chinese errors,
then 确认), compares it with the one in use and activates it; stored ratings keep their set."""

from __future__ import annotations

import copy
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from haochaping.audit.models import AuditEvent
from haochaping.evaluations.models import Indicator, IndicatorSet
from haochaping.evaluations.selectors import reason_texts
from haochaping.evaluations.services import DEFAULT_SET, indicator_set_active_id
from haochaping.testing import login
from haochaping.testing_world import push, rate

IMPORT = reverse("console:indicator_set_import")
HEADER = ["编码", "指标", "评价维度", "适用渠道", "评价理由", "适用等级"]


def upload(content: bytes, name: str) -> io.BytesIO:
    handle = io.BytesIO(content)
    handle.name = name
    return handle


def xlsx(rows: list[list]) -> io.BytesIO:
    book = Workbook()
    for row in [HEADER, *rows]:
        book.active.append(row)
    data = io.BytesIO()
    book.save(data)
    return upload(data.getvalue(), "henan.xlsx")


def province_json(version: str = "2027.1") -> bytes:
    """The shipped set as a province's new version: one reason removed, one changed, one added."""
    spec = json.loads(DEFAULT_SET.read_text(encoding="utf-8"))
    spec = copy.deepcopy(spec) | {"code": "henan", "version": version, "name": "河南省政务服务评价指标体系"}
    removed = spec["indicators"].pop(1)
    spec["indicators"][0]["text"] = "办事过程顺利，体验很好（省版）"
    spec["indicators"].append(
        {"code": "HN-NEW-01", "group": "整体满意度", "dimension": "", "mode": "", "text": "新增理由", "levels": [2, 1]}
    )
    assert removed["code"] == "XC-ZT-G02"
    return json.dumps(spec, ensure_ascii=False).encode("utf-8")


def import_json(client: Client, *, activate: bool = False):
    r = client.post(IMPORT, {"file": upload(province_json(), "henan.json")})
    assert r.status_code == 200 and not r.context["plan"].errors
    return client.post(IMPORT, {"plan": r.context["token"], "activate": "1" if activate else ""})


def test_broken_excel_rows_are_listed_in_chinese_and_nothing_is_imported(cast):
    client = login(Client(), cast, "supervisor")
    table = xlsx(
        [
            ["HN-01", "服务态度", "服务态度", "线下", "态度热情", "5、4"],
            ["HN-02", "服务态度", "态度", "线下", "态度生硬", "2、1"],  # unknown dimension
            ["HN-01", "服务效率", "", "", "等候太久", "2"],  # duplicate code
            ["HN-03", "服务效率", "", "线上", "", "6"],  # empty reason, bad level
        ]
    )
    r = client.post(IMPORT, {"file": table, "code": "henan", "version": "2027.1", "name": "河南省指标"})
    html = r.content.decode()
    errors = [str(e) for e in r.context["plan"].errors]
    assert errors == [
        "第 3 行「评价维度」：“态度”无法识别，应为空或以下之一："
        "承诺履行、服务态度、申请材料、办事效率、跑趟次数、服务机制、勤政廉洁",
        "第 4 行「编码」：“HN-01”与第 2 行重复",
        "第 5 行「评价理由」：不能为空",
        "第 5 行「适用等级」：“6”无效，应为 1–5 的等级，多个用顿号分隔，如“2、1”",
    ]
    assert "发现 4 处错误，未写入任何数据" in html and "确认导入" not in html
    assert not IndicatorSet.objects.filter(code="henan").exists()
    r = client.post(IMPORT, {"file": xlsx([["HN-01", "服务态度", "", "", "态度热情", "5"]])})
    assert [str(e) for e in r.context["plan"].errors][:3] == [
        "体系信息「体系编码」：不能为空（在表单中填写，JSON 文件可在文件中给出）",
        "体系信息「版本」：不能为空（在表单中填写，JSON 文件可在文件中给出）",
        "体系信息「名称」：不能为空（在表单中填写，JSON 文件可在文件中给出）",
    ]


def test_a_good_excel_table_imports_as_a_new_inactive_version(cast):
    client = login(Client(), cast, "supervisor")
    table = xlsx(
        [["HN-01", "服务态度", "服务态度", "线下", "态度热情", "5、4"], ["HN-02", "服务态度", "", "", "态度生硬", 1]]
    )
    r = client.post(IMPORT, {"file": table, "code": "henan", "version": "2027.1", "name": "河南省指标"})
    assert not r.context["plan"].errors
    assert len(r.context["comparison"].added) == 2  # and every shipped reason would be removed
    r = client.post(IMPORT, {"plan": r.context["token"]})
    new = IndicatorSet.objects.get(code="henan")
    assert r.status_code == 302 and not new.is_active
    assert list(new.indicators.values_list("code", "dimension", "mode", "levels")) == [
        ("HN-01", "attitude", "offline", [5, 4]),
        ("HN-02", "", "", [1]),
    ]
    # The same version again: refused at the dry run, and a replayed confirmation changes nothing.
    r2 = client.post(IMPORT, {"file": upload(b"{not json", "x.json")})
    assert "JSON 文件格式有误" in r2.content.decode()
    table = xlsx([["HN-01", "服务态度", "", "", "态度热情", "5"]])
    r3 = client.post(IMPORT, {"file": table, "code": "henan", "version": "2027.1", "name": "河南省指标"})
    assert "“henan”的版本“2027.1”已存在" in r3.content.decode()
    r4 = client.post(IMPORT, {"plan": r.wsgi_request.POST["plan"]}, follow=True)
    assert "已存在，未重复导入" in r4.content.decode()
    assert IndicatorSet.objects.filter(code="henan").count() == 1


def test_the_comparison_lists_added_removed_and_changed_reasons(cast):
    client = login(Client(), cast, "supervisor")
    r = client.post(IMPORT, {"file": upload(province_json(), "henan.json")})
    diff = r.context["comparison"]
    assert [s.code for s in diff.added] == ["HN-NEW-01"]
    assert [s.code for s in diff.removed] == ["XC-ZT-G02"]
    assert [c.code for c in diff.changed] == ["XC-ZT-G01"]
    assert diff.changed[0].fields == [("评价理由", "办事过程顺利，体验很好", "办事过程顺利，体验很好（省版）")]
    import_json(client)
    new = IndicatorSet.objects.get(code="henan")
    html = client.get(reverse("console:indicator_set_detail", kwargs={"pk": new.pk})).content.decode()
    assert 'data-change="added"' in html and "HN-NEW-01" in html and "XC-ZT-G02" in html
    assert "评价理由：办事过程顺利，体验很好 → 办事过程顺利，体验很好（省版）" in html
    assert AuditEvent.objects.get(action="evaluations:indicator_set:imported", target_id=str(new.pk)).data[
        "indicators"
    ] == len(json.loads(province_json())["indicators"])


def test_activation_is_audited_and_stored_ratings_keep_their_set(cast):
    reason = Indicator.objects.filter(indicator_set__is_active=True, code="XC-ZT-G01").get()
    old_set = reason.indicator_set
    before = rate(push(cast, "SCJG-IND-1"), 5, reasons=["XC-ZT-G01"])
    assert before.indicator_set_id == old_set.pk

    client = login(Client(), cast, "supervisor")
    import_json(client)
    new = IndicatorSet.objects.get(code="henan")
    assert indicator_set_active_id() == old_set.pk  # imported, not yet in use
    r = client.post(reverse("console:indicator_set_activate", kwargs={"pk": new.pk}))
    assert r.status_code == 302
    assert list(IndicatorSet.objects.filter(is_active=True)) == [new]
    assert indicator_set_active_id() == new.pk  # at once in this process
    event = AuditEvent.objects.get(action="evaluations:indicator_set:activated")
    assert event.data["previous"]["id"] == old_set.pk and event.data["version"] == "2027.1"

    before.refresh_from_db()
    assert before.indicator_set_id == old_set.pk and reason_texts(before) == ["办事过程顺利，体验很好"]
    after = rate(push(cast, "SCJG-IND-2"), 5, reasons=["XC-ZT-G01"])
    assert after.indicator_set_id == new.pk and reason_texts(after) == ["办事过程顺利，体验很好（省版）"]
    # Activating the active version again is refused politely.
    r = client.post(reverse("console:indicator_set_activate", kwargs={"pk": new.pk}), follow=True)
    assert "已是当前使用的版本" in r.content.decode()
    assert AuditEvent.objects.filter(action="evaluations:indicator_set:activated").count() == 1


def test_the_list_shows_every_version(cast):
    client = login(Client(), cast, "supervisor")
    import_json(client, activate=True)
    html = client.get(reverse("console:indicator_sets")).content.decode()
    assert "河南省政务服务评价指标体系" in html and "默认评价指标体系" in html and "当前使用" in html
    assert IndicatorSet.objects.get(code="henan").is_active


@pytest.mark.parametrize("who", ["admin_a", "clerk_a", "operator", "auditor"])
def test_only_the_centre_may_see_import_or_activate_indicator_sets(cast, who):
    supervisor = login(Client(), cast, "supervisor")
    import_json(supervisor)
    new = IndicatorSet.objects.get(code="henan")
    client = login(Client(), cast, who)
    assert client.get(reverse("console:indicator_sets")).status_code == 403
    assert client.get(reverse("console:indicator_set_detail", kwargs={"pk": new.pk})).status_code == 403
    assert client.post(IMPORT, {"file": upload(province_json("2027.2"), "x.json")}).status_code == 403
    assert client.post(reverse("console:indicator_set_activate", kwargs={"pk": new.pk})).status_code == 403
    assert not IndicatorSet.objects.get(pk=new.pk).is_active
    assert not IndicatorSet.objects.filter(version="2027.2").exists()
    assert "评价指标体系" not in client.get(reverse("console:home")).content.decode()


def test_the_command_line_imports_and_activates(cast, tmp_path):
    path = tmp_path / "henan.json"
    path.write_bytes(province_json())
    out = io.StringIO()
    call_command("indicators", "import", str(path), "--dry-run", stdout=out)
    assert "新增 1 项，删除 1 项，修改 1 项" in out.getvalue() and not IndicatorSet.objects.filter(code="henan")
    call_command("indicators", "import", str(path), "--activate", stdout=out)
    assert IndicatorSet.objects.get(is_active=True).code == "henan"
    with pytest.raises(CommandError, match="发现 1 处错误"):
        call_command("indicators", "import", str(path), stderr=io.StringIO())  # the version exists
    out = io.StringIO()
    call_command("indicators", "list", stdout=out)
    assert "henan  2027.1" in out.getvalue() and "当前使用" in out.getvalue()
