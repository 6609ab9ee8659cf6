"""`haochaping indicators list` / `haochaping indicators import FILE [--activate] [--dry-run]
[--code C --version V --name N]`: the indicator sets from the command line. Same services and
audit events as the console's 评价指标体系 page (``evaluations.indicator_sets``)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from haochaping.audit.services import Actor
from haochaping.core.errors import ApplicationError
from haochaping.evaluations.indicator_sets import (
    compare_specs,
    indicator_set_active,
    indicator_set_check,
    indicator_set_create,
    indicator_set_list,
)
from haochaping.organizations.models import Role
from haochaping.organizations.selectors import Scope

SCOPE = Scope(unit_path="/", role=Role.SUPERVISOR)  # the operator of the installation


class Command(BaseCommand):
    help = "评价指标体系：列出各版本，或从 Excel/CSV/JSON 导入新版本（可立即启用）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="列出各版本")
        imp = sub.add_parser("import", help="导入新版本（.xlsx、.csv 或 .json）")
        imp.add_argument("file")
        imp.add_argument("--activate", action="store_true", help="导入后立即启用")
        imp.add_argument("--dry-run", action="store_true", help="只预检并与当前版本对比，不写入")
        imp.add_argument("--code", default="", help="体系编码（JSON 文件可省略）")
        imp.add_argument("--version", dest="set_version", default="", help="版本（JSON 文件可省略）")
        imp.add_argument("--name", default="", help="名称（JSON 文件可省略）")
        imp.add_argument("--source", default="", help="来源")

    def handle(self, *args, **options):
        try:
            if options["action"] == "list":
                for s in indicator_set_list(scope=SCOPE):
                    state = "当前使用" if s.is_active else "未启用"
                    self.stdout.write(f"{s.pk}  {s.code}  {s.version}  {s.name}  {s.indicator_count} 项  {state}")
                return
            self._import(options)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc

    def _import(self, options) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        plan = indicator_set_check(
            scope=SCOPE,
            content=path.read_bytes(),
            filename=path.name,
            code=options["code"],
            version=options["set_version"],
            name=options["name"],
            source=options["source"],
        )
        if plan.errors:
            for error in plan.errors:
                self.stderr.write(str(error))
            raise CommandError(f"发现 {len(plan.errors)} 处错误，未写入任何数据")
        diff = compare_specs(indicator_set_active(), plan.indicators)
        summary = (
            f"{plan.name} {plan.version}：{len(plan.indicators)} 项；与当前版本相比新增 {len(diff.added)} 项，"
            f"删除 {len(diff.removed)} 项，修改 {len(diff.changed)} 项"
        )
        if options["dry_run"]:
            self.stdout.write(f"预检通过（未写入）：{summary}")
            return
        indicator_set_create(actor=Actor.cli("indicators"), scope=SCOPE, plan=plan, activate=options["activate"])
        state = "，已启用" if options["activate"] else "，未启用"
        self.stdout.write(self.style.SUCCESS(f"已导入 {summary}{state}"))
