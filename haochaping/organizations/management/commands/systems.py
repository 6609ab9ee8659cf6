"""`haochaping systems add --name NAME [--unit CODE]`, `systems list`,
`systems rotate APP_ID [--overlap-hours N]`, `systems deactivate APP_ID`, `systems activate APP_ID`."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from haochaping.audit.services import Actor
from haochaping.core.errors import ApplicationError
from haochaping.organizations.models import BusinessSystem
from haochaping.organizations.selectors import unit_get_by_code
from haochaping.organizations.services import (
    MAX_OVERLAP_HOURS,
    business_system_register,
    business_system_rotate_secret,
    business_system_set_active,
)


class Command(BaseCommand):
    help = "注册/列出/更换密钥/停用接入的业务系统（密钥仅在注册或更换时显示一次）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="注册一个业务系统，输出 app_id 和 secret")
        add.add_argument("--name", required=True, help="系统名称")
        add.add_argument("--unit", help="所属单位编码；省略则为全区通用")
        sub.add_parser("list", help="列出已注册的业务系统")
        rotate = sub.add_parser("rotate", help="更换密钥，输出新 secret；旧密钥在过渡期内仍可验签")
        rotate.add_argument("app_id", help="业务系统的 App ID")
        rotate.add_argument(
            "--overlap-hours",
            type=int,
            default=24,
            help=f"旧密钥继续有效的小时数（0–{MAX_OVERLAP_HOURS}，默认 24；0 表示旧密钥立即失效）",
        )
        deactivate = sub.add_parser("deactivate", help="停用业务系统：其请求将被拒绝，已有数据保留")
        deactivate.add_argument("app_id", help="业务系统的 App ID")
        activate = sub.add_parser("activate", help="重新启用已停用的业务系统")
        activate.add_argument("app_id", help="业务系统的 App ID")

    def handle(self, *args, **options):
        action = options["action"]
        if action == "list":
            for s in BusinessSystem.objects.select_related("unit"):
                unit = s.unit.code if s.unit else "全区"
                seen = s.last_seen_at.isoformat() if s.last_seen_at else "从未调用"
                self.stdout.write(f"{s.app_id}\t{s.name}\t{unit}\t{'启用' if s.is_active else '停用'}\t{seen}")
            return
        try:
            if action == "add":
                unit = unit_get_by_code(code=options["unit"]) if options.get("unit") else None
                system, secret = business_system_register(
                    actor=Actor.cli("systems add"), name=options["name"], unit=unit
                )
                self.stdout.write(f"app_id: {system.app_id}")
                self.stdout.write(f"secret: {secret}")
                return
            system = self._system(options["app_id"])
            if action == "rotate":
                hours = options["overlap_hours"]
                secret = business_system_rotate_secret(
                    actor=Actor.cli("systems rotate"), system=system, overlap_hours=hours
                )
                system.refresh_from_db()
                self.stdout.write(f"app_id: {system.app_id}")
                self.stdout.write(f"secret: {secret}")
                if system.previous_secret_expires_at:
                    until = timezone.localtime(system.previous_secret_expires_at).isoformat(timespec="seconds")
                    self.stdout.write(f"旧密钥有效至 {until}（过渡期 {hours} 小时）")
                else:
                    self.stdout.write("旧密钥已立即失效")
            else:
                active = action == "activate"
                business_system_set_active(actor=Actor.cli(f"systems {action}"), system=system, active=active)
                self.stdout.write(f"{system.app_id}\t{system.name}\t{'已启用' if active else '已停用'}")
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc

    def _system(self, app_id: str) -> BusinessSystem:
        system = BusinessSystem.objects.filter(app_id=app_id).first()
        if system is None:
            raise CommandError(f"App ID {app_id} 不存在（用 haochaping systems list 查看）")
        return system
