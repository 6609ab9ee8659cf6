"""`haochaping systems add --name NAME [--unit CODE]` and `haochaping systems list`."""

from django.core.management.base import BaseCommand, CommandError

from haochaping.audit.services import Actor
from haochaping.core.errors import ApplicationError
from haochaping.organizations.models import BusinessSystem
from haochaping.organizations.selectors import unit_get_by_code
from haochaping.organizations.services import business_system_register


class Command(BaseCommand):
    help = "注册/列出接入的业务系统（密钥仅在注册时显示一次）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="注册一个业务系统，输出 app_id 和 secret")
        add.add_argument("--name", required=True, help="系统名称")
        add.add_argument("--unit", help="所属单位编码；省略则为全区通用")
        sub.add_parser("list", help="列出已注册的业务系统")

    def handle(self, *args, **options):
        if options["action"] == "list":
            for s in BusinessSystem.objects.select_related("unit"):
                unit = s.unit.code if s.unit else "全区"
                seen = s.last_seen_at.isoformat() if s.last_seen_at else "从未调用"
                self.stdout.write(f"{s.app_id}\t{s.name}\t{unit}\t{'启用' if s.is_active else '停用'}\t{seen}")
            return
        try:
            unit = unit_get_by_code(code=options["unit"]) if options.get("unit") else None
            system, secret = business_system_register(actor=Actor.cli("systems add"), name=options["name"], unit=unit)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"app_id: {system.app_id}")
        self.stdout.write(f"secret: {secret}")
