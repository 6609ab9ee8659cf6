"""`haochaping audit verify`: walk the HMAC-SM3 chain and report the first broken link."""

from django.core.management.base import BaseCommand, CommandError

from haochaping.audit.services import audit_verify


class Command(BaseCommand):
    help = "审计日志：verify 校验哈希链完整性"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="校验审计事件哈希链，报告第一处断裂")

    def handle(self, *args, **options):
        result = audit_verify()
        if result.ok:
            self.stdout.write(self.style.SUCCESS(f"审计链完整：共校验 {result.checked} 条事件"))
            return
        for brk in result.breaks:
            self.stdout.write(
                self.style.ERROR(f"审计链断裂：第 {brk.lane} 链自第 {brk.seq} 条起不可信（{brk.reason}）")
            )
        self.stdout.write(f"其余 {result.checked} 条事件校验通过")
        first = result.breaks[0]
        raise CommandError(f"audit chain broken: lane {first.lane} at seq {first.seq}", returncode=2)
