"""`haochaping calendar show 2027` / `haochaping calendar import FILE [--dry-run]`: the working-day
calendar from the command line. Same services and audit events as the console's 工作日历 page
(``organizations.work_calendar``), with the whole tree in scope."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from haochaping.audit.services import Actor
from haochaping.core.errors import ApplicationError
from haochaping.organizations.models import Role
from haochaping.organizations.selectors import Scope
from haochaping.organizations.work_calendar import calendar_import_apply, calendar_import_check, calendar_year

SCOPE = Scope(unit_path="/", role=Role.SUPERVISOR)  # the operator of the installation


class Command(BaseCommand):
    help = "工作日历：查看某年的节假日和调休上班日，或从表格（日期、类型、说明）导入"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        show = sub.add_parser("show", help="列出某年的节假日和调休上班日")
        show.add_argument("year", type=int)
        imp = sub.add_parser("import", help="从 .xlsx 或 .csv 导入节假日安排（列：日期、类型、说明）")
        imp.add_argument("file")
        imp.add_argument("--dry-run", action="store_true", help="只预检，不写入")

    def handle(self, *args, **options):
        try:
            if options["action"] == "show":
                self._show(options["year"])
            else:
                self._import(Path(options["file"]), options["dry_run"])
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc

    def _show(self, year: int) -> None:
        data = calendar_year(scope=SCOPE, year=year)
        self.stdout.write(f"{year} 年：{data.coverage_label}")
        for e in data.entries:
            self.stdout.write(f"{e.date.isoformat()}  {e.weekday}  {e.kind}  {e.note or '—'}  [{e.source}]")
        self.stdout.write(f"共 {data.rest_days} 个休息日、{data.make_up_days} 个调休上班日")

    def _import(self, path: Path, dry_run: bool) -> None:
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        plan = calendar_import_check(scope=SCOPE, content=path.read_bytes(), filename=path.name)
        if plan.errors:
            for error in plan.errors:
                self.stderr.write(str(error))
            raise CommandError(f"发现 {len(plan.errors)} 处错误，未写入任何数据")
        summary = f"新增 {plan.created} 天，修改 {plan.updated} 天，{plan.unchanged} 天不变"
        if dry_run:
            self.stdout.write(f"预检通过（未写入）：{summary}")
            return
        counts = calendar_import_apply(actor=Actor.cli("calendar"), scope=SCOPE, rows=plan.rows)
        self.stdout.write(
            self.style.SUCCESS(
                f"已导入：新增 {counts['created']} 天，修改 {counts['updated']} 天，{counts['unchanged']} 天不变"
            )
        )
