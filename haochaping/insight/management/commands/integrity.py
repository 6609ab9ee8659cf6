"""`haochaping integrity detect [--days N]`: run the rating-integrity detectors now."""

from django.core.management.base import BaseCommand

from haochaping.audit.services import Actor
from haochaping.insight.integrity import integrity_detect
from haochaping.insight.integrity_models import IntegrityKind


class Command(BaseCommand):
    help = "评价质量线索：detect 检测近期评价中的异常模式（重复执行只更新已有线索，不改变评价）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        detect = sub.add_parser("detect", help="检测评价质量线索")
        detect.add_argument("--days", type=int, help="回溯天数，默认 INSIGHT_INTEGRITY_WINDOW_DAYS")

    def handle(self, *args, **options):
        result = integrity_detect(actor=Actor.cli("haochaping integrity"), days=options.get("days"))
        labels = dict(IntegrityKind.choices)
        self.stdout.write(
            self.style.SUCCESS(
                f"检测完成：发现 {result.found} 条，新增 {result.created_total} 条，更新 {result.updated} 条"
            )
        )
        for kind, n in result.created.items():
            self.stdout.write(f"- {labels[kind]}：新增 {n} 条")
