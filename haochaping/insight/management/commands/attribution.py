"""`haochaping attribution refresh [--since YYYY-MM-DD]`: attribute the bad ratings that have no
cause yet (``insight.attribution.services.causes_refresh``; the ``insight.attribution_refresh``
job does the same every 10 minutes) and print how many, by source, and the rate."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from haochaping.insight.attribution.services import causes_refresh


class Command(BaseCommand):
    help = "差评归因：为尚未归因的差评确定原因（评价人选择、文字自动归因或人工更正）"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["refresh"], help="refresh：补齐尚未归因的差评")
        parser.add_argument("--since", help="只处理该日期（含）以后的差评，格式 YYYY-MM-DD")

    def handle(self, *args, **options):
        since = None
        if options["since"]:
            try:
                since = dt.date.fromisoformat(options["since"])
            except ValueError:
                raise CommandError("--since 日期格式应为 YYYY-MM-DD", returncode=2) from None
        r = causes_refresh(since)
        rate = f"，{r.created / r.seconds:,.0f} 条/秒" if r.seconds and r.created else ""
        self.stdout.write(
            f"新归因差评 {r.created} 条（评价人选择 {r.citizen}，文字自动归因 {r.auto}，"
            f"人工更正 {r.corrected}，未能归因 {r.none}），新认定无效 {r.invalidated} 条，"
            f"用时 {r.seconds:.1f} 秒{rate}"
        )
