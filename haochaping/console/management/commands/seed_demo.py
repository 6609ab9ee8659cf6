"""`haochaping seed-demo`: the demo district 平顶山市石龙区 with a year of services and ratings."""

from __future__ import annotations

import unicodedata

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from haochaping.demo.seed import DemoSeedError, login_rows, seed_demo, systems_text, write_systems_file


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return [line.rstrip() for line in lines]


class Command(BaseCommand):
    help = "导入演示数据：平顶山市石龙区的单位、窗口、人员、事项、业务系统、后台账号和一年的办件与评价"

    def add_arguments(self, parser):
        parser.add_argument("--months", type=int, default=12, help="生成最近几个月的办件（默认 12）")
        parser.add_argument("--scale", type=float, default=1.0, help="办件量倍数（默认 1.0，约每工作日 50–60 件）")

    def handle(self, *args, **options):
        if not settings.DEMO_MODE:
            raise CommandError("演示数据只能在演示模式下导入（HAOCHAPING_DEMO=1），以免固定密码进入生产环境。")
        if options["months"] < 1 or options["scale"] <= 0:
            raise CommandError("--months 须 ≥ 1，--scale 须 > 0")
        systems_file = settings.VAR_DIR / "demo-systems.txt"
        try:
            result = seed_demo(months=options["months"], scale=options["scale"], out=self.stdout.write)
        except DemoSeedError as exc:
            raise CommandError(str(exc)) from exc
        if not result.created:
            self.stdout.write(self.style.WARNING("演示区县已导入，本次未做任何修改。"))
            if systems_file.exists():
                self.stdout.write(f"\n业务系统接入凭据见 {systems_file}")
        else:
            write_systems_file(result, systems_file)
            self.stdout.write(
                self.style.SUCCESS(
                    f"\n演示数据导入完成，用时 {result.seconds:.1f} 秒：办件 {result.records} 条，"
                    f"评价 {result.ratings} 条，其中差评 {result.bad_ratings} 条，差评整改工单 {result.cases} 件。"
                )
            )
            states = "，".join(f"{label} {n}" for label, n in result.case_states.items() if n)
            self.stdout.write(f"差评工单处理情况：{states}。")
            for place, url in result.qr_urls:
                self.stdout.write(f"静态评价二维码（{place}）：{url}")
            self.stdout.write("\n业务系统接入凭据（仅供演示；已写入 " + str(systems_file) + "）：")
            self.stdout.write(systems_text(result))
        self.stdout.write("演示账号（密码相同）：")
        rows = [("用户名", "密码", "角色", "单位", "姓名"), *login_rows()]
        for line in _table(rows):
            self.stdout.write("  " + line)
