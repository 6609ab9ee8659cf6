"""Excel import of matters (事项) and windows (窗口, with the matters they handle).

Both register with the import registry of ``organizations.imports`` when the app is ready
(``apps.py``); the plan/apply steps, the scope rules and the audit event are there. Windows
live here rather than in organizations because their 办理事项编码 column sets
``ServiceItem.windows``.
"""

from __future__ import annotations

from django.db.models import Prefetch

from haochaping.core.xlsx_import import Change, Column
from haochaping.organizations.imports import (
    BATCH,
    Importer,
    bulk_save,
    check_unit_ref,
    diff,
    length,
    register,
    units_by_code,
    yes_no,
)
from haochaping.organizations.models import Unit, Window
from haochaping.service_records.choices import ItemType
from haochaping.service_records.models import ServiceItem
from haochaping.service_records.services import MAX_PROMISED_DAYS


class MatterImporter(Importer):
    kind = "matters"
    title = "事项"
    order = 2
    columns = (
        Column("code", "实施编码", required=True, example="11410404MB1234567X400101"),
        Column("name", "事项名称", required=True, example="食品经营许可证核发"),
        Column("item_type", "事项类型", required=True, example=ItemType.LICENSE.label),
        Column("department", "所属部门编码", required=True, example="410404-SCJG"),
        Column("online", "可网办", example="是"),
        Column("offline", "可窗口办理", example="是"),
        Column("promised_days", "承诺时限（工作日）", example="20"),
        Column("is_active", "启用", example="是"),
    )

    def plan_rows(self, rows, scope, checker):
        headers = {c.key: c.header for c in self.columns}
        seen: dict[str, int] = {}
        parsed = []
        for row in rows:
            code = checker.code(row, "code", max_length=length(ServiceItem, "code"))
            if code and not (code.isascii() and code.isalnum()):  # the rule of service_item_create
                checker.error(row, "code", f"“{code}”无效：实施编码只能由字母和数字组成")
            values = {
                "name": checker.text(row, "name", max_length=length(ServiceItem, "name")),
                "item_type": checker.choice(row, "item_type", ItemType),
                "online": checker.boolean(row, "online", default=True),
                "offline": checker.boolean(row, "offline", default=True),
                "promised_days": checker.small_int(row, "promised_days", maximum=MAX_PROMISED_DAYS),
                "is_active": checker.boolean(row, "is_active", default=True),
            }
            department = checker.code(row, "department", max_length=length(Unit, "code"))
            if values["online"] is False and values["offline"] is False:
                checker.error(row, "offline", "“可网办”和“可窗口办理”不能都为“否”")
            if checker.unique(row, "code", code, seen):
                parsed.append((row, code, department, values))
        existing = {
            i.code: i for i in ServiceItem.objects.filter(code__in=[p[1] for p in parsed]).select_related("department")
        }
        units = units_by_code(p[2] for p in parsed)
        types = dict(ItemType.choices)

        def shown(name, value):
            if name == "item_type":
                return types.get(value, value)
            if name in ("online", "offline", "is_active"):
                return yes_no(value)
            if name == "department":
                return value.code
            return "" if value is None else str(value)

        changes, creates, updates, changed = [], [], [], set()
        for row, code, department_code, values in parsed:
            department = check_unit_ref(checker, row, "department", department_code, units, scope)
            item = existing.get(code)
            if item is not None and not scope.allows_unit(item.department):
                checker.error(row, "code", f"事项“{code}”属于管辖范围以外的部门，不能修改")
                continue
            if department is None or not values["item_type"]:
                continue
            values["department"] = department
            if item is None:
                creates.append(ServiceItem(code=code, **values))
                changes.append(Change(row.number, "create", code, values["name"]))
                continue
            fields = diff(item, values, headers, shown)
            if fields:
                for key, value in values.items():
                    if getattr(item, key) != value:
                        setattr(item, key, value)
                        changed.add(key)
                updates.append(item)
            changes.append(Change(row.number, "update" if fields else "unchanged", code, values["name"], fields))

        def write() -> None:
            bulk_save(ServiceItem, creates, updates, changed)

        return changes, write


class WindowImporter(Importer):
    kind = "windows"
    title = "窗口"
    order = 3
    columns = (
        Column("code", "窗口编码", required=True, example="410404-SCJG-W01"),
        Column("name", "窗口名称", required=True, example="市场监管综合窗口"),
        Column("unit", "所在场所编码", required=True, example="410404-SCJG"),
        Column("department", "所属部门编码", example="410404-SCJG"),
        Column("items", "办理事项编码（多个用、分隔）", example="11410404MB1234567X400101"),
        Column("is_active", "启用", example="是"),
    )

    def plan_rows(self, rows, scope, checker):
        headers = {"name": "窗口名称", "unit": "所在场所编码", "department": "所属部门编码", "is_active": "启用"}
        seen: dict[str, int] = {}
        parsed = []
        for row in rows:
            code = checker.code(row, "code", max_length=length(Window, "code"))
            name = checker.text(row, "name", max_length=length(Window, "name"))
            unit = checker.code(row, "unit", max_length=length(Unit, "code"))
            department = checker.code(row, "department", max_length=length(Unit, "code"))
            items = checker.code_list(row, "items")
            active = checker.boolean(row, "is_active", default=True)
            if checker.unique(row, "code", code, seen):
                parsed.append((row, code, name, unit, department, items, active))
        existing = {
            w.code: w
            for w in Window.objects.filter(code__in=[p[1] for p in parsed])
            .select_related("unit", "department")
            .prefetch_related(Prefetch("items", queryset=ServiceItem.objects.only("id", "code")))
        }
        units = units_by_code([*(p[3] for p in parsed), *(p[4] for p in parsed)])
        item_codes = {code for p in parsed for code in p[5]}
        items = {i.code: i for i in ServiceItem.objects.filter(code__in=item_codes)} if item_codes else {}

        def shown(name, value):
            if name == "is_active":
                return yes_no(value)
            if name in ("unit", "department"):
                return value.code if value is not None else ""
            return str(value)

        changes, creates, updates, changed = [], [], [], set()
        links: list[tuple[Window, set[int], set[int]]] = []  # window, item ids to add, to remove
        for row, code, name, unit_code, department_code, item_list, active in parsed:
            unit = check_unit_ref(checker, row, "unit", unit_code, units, scope)
            department = check_unit_ref(checker, row, "department", department_code, units, scope)
            wanted: set[int] = set()
            for item_code in item_list:
                item = items.get(item_code)
                if item is None:
                    checker.error(row, "items", f"事项实施编码“{item_code}”不存在")
                elif not item.is_active:
                    checker.error(row, "items", f"事项“{item_code}”已停用")
                else:
                    wanted.add(item.pk)
            window = existing.get(code)
            if window is not None and not scope.allows_unit(window.unit):
                checker.error(row, "code", f"窗口“{code}”不在您的管辖范围内，不能修改")
                continue
            if unit is None or (department_code and department is None) or len(wanted) != len(item_list):
                continue
            values = {"name": name, "unit": unit, "department": department, "is_active": active}
            if window is None:
                window = Window(code=code, **values)
                creates.append(window)
                links.append((window, wanted, set()))
                changes.append(Change(row.number, "create", code, name))
                continue
            fields = diff(window, values, headers, shown)
            if fields:
                for key, value in values.items():
                    if getattr(window, key) != value:
                        setattr(window, key, value)
                        changed.add(key)
                updates.append(window)
            if item_list:
                current = {i.pk: i.code for i in window.items.all()}
                if set(current) != wanted:
                    codes = {i.pk: i.code for i in items.values()}
                    fields[self.columns[4].header] = (
                        "、".join(sorted(current.values())),
                        "、".join(sorted(codes[pk] for pk in wanted)),
                    )
                    links.append((window, wanted - set(current), set(current) - wanted))
            changes.append(Change(row.number, "update" if fields else "unchanged", code, name, fields))

        def write() -> None:
            bulk_save(Window, creates, updates, changed)
            through = ServiceItem.windows.through
            remove = [(w.pk, pk) for w, _, gone in links for pk in gone]
            for window_id in {w for w, _ in remove}:
                through.objects.filter(
                    window_id=window_id, serviceitem_id__in=[pk for w, pk in remove if w == window_id]
                ).delete()
            through.objects.bulk_create(
                [through(window_id=w.pk, serviceitem_id=pk) for w, added, _ in links for pk in added],
                batch_size=BATCH,
            )

        return changes, write


register(MatterImporter())
register(WindowImporter())
