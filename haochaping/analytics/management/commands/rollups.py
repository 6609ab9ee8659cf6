"""haochaping rollups refresh | rebuild [--from YYYY-MM-DD --to YYYY-MM-DD]: bring the analytics
rollups up to date (what the job does every minute), or recompute them from the raw rows."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from haochaping.analytics.rollups import rollup_rebuild, rollup_refresh
from haochaping.audit.services import Actor, audit_record


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"日期格式应为 YYYY-MM-DD：{value}") from exc


class Command(BaseCommand):
    help = "统计汇总：refresh 增量刷新；rebuild 从原始数据重新生成（可限定日期范围）"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["refresh", "rebuild"])
        parser.add_argument("--from", dest="date_from", help="rebuild 的起始日期（含）")
        parser.add_argument("--to", dest="date_to", help="rebuild 的截止日期（含）")

    def handle(self, *args, action: str, date_from: str | None, date_to: str | None, **options):
        if action == "refresh":
            if date_from or date_to:
                raise CommandError("--from/--to 只用于 rebuild")
            result = rollup_refresh()
        else:
            days = None
            if date_from or date_to:
                if not (date_from and date_to):
                    raise CommandError("--from 和 --to 须同时给出")
                first, last = _date(date_from), _date(date_to)
                if last < first:
                    raise CommandError("截止日期不能早于起始日期")
                days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
            result = rollup_rebuild(days=days)
            audit_record(actor=Actor.cli("rollups"), action="analytics:rollups:rebuilt",
                         data={"days": result.days, "from": date_from, "to": date_to})  # fmt: skip
        kind = "全部重建" if result.full else "增量刷新"
        self.stdout.write(f"{kind}完成：{result.days} 天，{result.partitions} 个分区，{result.rows} 行汇总。")
