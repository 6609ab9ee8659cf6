"""`haochaping import units|windows|staff|matters FILE.xlsx [--dry-run]`: the console's Excel import.

The command acts as the system (the whole tree, like the centre) and is audited as
``Actor.cli("import <kind>")``. Row errors are printed as on the console page (第 N 行「列」：说明)
and the exit status is 1; with ``--dry-run`` nothing is written.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from haochaping.audit.services import Actor
from haochaping.core.errors import ApplicationError
from haochaping.organizations.imports import IMPORTERS, import_apply, import_plan
from haochaping.organizations.models import Role
from haochaping.organizations.selectors import Scope

# The CLI runs with the operating system account's authority: the whole tree.
SYSTEM_SCOPE = Scope(unit_path="/", role=Role.SUPERVISOR)


class Command(BaseCommand):
    help = "从 Excel 模板导入单位、窗口、工作人员或事项（先校验全部行，有错误则不导入任何数据）"

    def add_arguments(self, parser):
        parser.add_argument(
            "kind", choices=sorted(IMPORTERS), help="units 单位 | windows 窗口 | staff 工作人员 | matters 事项"
        )
        parser.add_argument("file", help="Excel 文件（.xlsx，使用控制台“批量导入”页面下载的模板）")
        parser.add_argument("--dry-run", action="store_true", help="只校验并显示将要进行的变更，不写入")
        parser.add_argument("--template", action="store_true", help="不导入，把该类数据的模板写到 FILE")

    def handle(self, *args, **options):
        kind, path = options["kind"], Path(options["file"])
        if options["template"]:
            path.write_bytes(IMPORTERS[kind].template())
            self.stdout.write(f"已生成模板：{path}")
            return
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"无法读取文件 {path}：{exc.strerror}") from exc
        try:
            plan = import_plan(kind=kind, content=content, scope=SYSTEM_SCOPE, file_name=path.name)
            if plan.errors:
                for error in plan.errors:
                    self.stderr.write(str(error))
                raise CommandError(f"共 {len(plan.errors)} 处错误，未导入任何数据")
            for change in plan.pending:
                detail = f"（{change.fields_display}）" if change.fields else ""
                self.stdout.write(f"第 {change.row} 行 {change.action_display} {change.key} {change.label}{detail}")
            if options["dry_run"]:
                self.stdout.write(f"校验通过（未写入）：将{plan.counts}")
                return
            plan = import_apply(
                actor=Actor.cli(f"import {kind}"),
                kind=kind,
                content=content,
                scope=SYSTEM_SCOPE,
                file_name=path.name,
                expected_digest=plan.digest(),
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(f"导入{plan.title}完成：{plan.counts}"))
