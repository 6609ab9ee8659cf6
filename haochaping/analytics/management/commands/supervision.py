"""`haochaping supervision evaluate [--month YYYY-MM]`: apply the 重点督办 rules to a month."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from haochaping.analytics.services import supervision_evaluate
from haochaping.audit.services import Actor


class Command(BaseCommand):
    help = "重点督办：evaluate 按规则评估某月（默认上月），列入重点督办对象（同一月份重复执行不会重复列入）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        evaluate = sub.add_parser("evaluate", help="按规则评估某月")
        evaluate.add_argument("--month", help="月份 YYYY-MM，默认上月")

    def handle(self, *args, **options):
        if options.get("month"):
            try:
                month = dt.datetime.strptime(options["month"], "%Y-%m").date()
            except ValueError as exc:
                raise CommandError("月份格式应为 YYYY-MM，例如 2026-11") from exc
        else:
            month = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
        marked = supervision_evaluate(month=month, actor=Actor.cli("haochaping supervision"))
        self.stdout.write(self.style.SUCCESS(f"已评估 {month:%Y年%-m月}：新列入重点督办 {len(marked)} 个"))
        for target in marked:
            self.stdout.write(f"- {target.get_kind_display()} {target.entity_name}：{target.evidence_text}")
