"""`haochaping problems detect [--at YYYY-MM-DD]`: detect concentrations of bad ratings now (or
as of the end of a day) and propose them as 共性问题 (制度第十一条)."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from haochaping.audit.services import Actor
from haochaping.insight.problems.detection import problems_detect


class Command(BaseCommand):
    help = "共性问题：detect 检测滚动窗口内集中的差评，生成共性问题线索（同一集中不会重复生成）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        detect = sub.add_parser("detect", help="立即检测")
        detect.add_argument("--at", help="检测截至日期 YYYY-MM-DD（当日结束），默认现在")

    def handle(self, *args, **options):
        now = timezone.now()
        if options.get("at"):
            try:
                day = dt.date.fromisoformat(options["at"])
            except ValueError as exc:
                raise CommandError("日期格式应为 YYYY-MM-DD，例如 2026-11-30") from exc
            now = min(now, timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min)))
        result = problems_detect(now=now, actor=Actor.cli("haochaping problems"))
        self.stdout.write(self.style.SUCCESS(f"检测完成：{result.summary()}"))
        for proposal in result.proposed:
            self.stdout.write(
                f"- {proposal.unit.name} {proposal.get_kind_display()}“{proposal.label}”：{proposal.count} 件"
            )
