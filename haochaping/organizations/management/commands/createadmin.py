"""`haochaping createadmin`: a supervisor superuser at the root unit (for a new deployment)."""

import getpass

from django.core.management.base import BaseCommand, CommandError

from haochaping.audit.services import Actor
from haochaping.core.errors import ApplicationError
from haochaping.organizations.models import Role, Unit, UnitKind
from haochaping.organizations.services import console_user_create, unit_create


class Command(BaseCommand):
    help = "创建平台管理员（督查角色，可见全部单位）；若尚无单位则同时创建根单位"

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--password", help="省略则交互输入（推荐）")
        parser.add_argument("--root-code", default="410404", help="尚无单位时创建的根单位编码")
        parser.add_argument("--root-name", default="平顶山市石龙区", help="尚无单位时创建的根单位名称")

    def handle(self, *args, **options):
        actor = Actor.cli("createadmin")
        password = options["password"] or getpass.getpass("密码：")
        try:
            root = Unit.objects.filter(parent__isnull=True).order_by("id").first()
            if root is None:
                code = options["root_code"]
                root = unit_create(
                    actor=actor,
                    code=code,
                    name=options["root_name"],
                    kind=UnitKind.DISTRICT,
                    # A numeric root code (410404) is the district's division code too.
                    division_code=code if code.isdigit() and len(code) in (6, 12) else "",
                )
            console_user_create(
                actor=actor,
                username=options["username"],
                password=password,
                unit=root,
                role=Role.SUPERVISOR,
                is_superuser=True,
                display_name="平台管理员",
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(f"已创建管理员 {options['username']}（{root.name}，督查）"))
