"""`haochaping unlock <username>` / `haochaping unlock --ip <address>`: lift a login lock from the
command line (the platform operator's way in when every administrator is locked out). Same
service and audit event (``console:session:unlocked``) as the console's 登录锁定 page, with the
whole tree in scope."""

from django.core.management.base import BaseCommand, CommandError

from haochaping.audit.services import Actor
from haochaping.core.errors import ApplicationError
from haochaping.organizations.login_locks import login_address_unlock, login_unlock
from haochaping.organizations.models import Role
from haochaping.organizations.selectors import Scope


class Command(BaseCommand):
    help = "解除后台账号（或网络地址）因登录失败次数过多而被锁定的状态"

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?", help="被锁定的用户名")
        parser.add_argument("--ip", help="被限制登录的网络地址")

    def handle(self, *args, **options):
        username, ip = options["username"], options["ip"]
        if bool(username) == bool(ip):
            raise CommandError("请给出用户名或 --ip 地址（二者之一）")
        actor = Actor.cli("unlock")
        scope = Scope(unit_path="/", role=Role.SUPERVISOR)  # the operator of the installation: every unit
        try:
            if username:
                login_unlock(actor=actor, scope=scope, username=username)
            else:
                login_address_unlock(actor=actor, scope=scope, ip=ip)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(f"已解除{'账号 ' + username if username else '地址 ' + ip}的登录锁定"))
