"""`haochaping audit verify`: walk the HMAC-SM3 chain and report the first broken link."""

from django.core.management.base import BaseCommand, CommandError

from haochaping.audit.services import audit_checkpoint, audit_verify


class Command(BaseCommand):
    help = "审计日志：verify 校验哈希链完整性"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="校验审计事件哈希链，报告第一处断裂")
        sub.add_parser("checkpoint", help="把当前各链链头追加写入检查点文件（通常由后台任务每 10 分钟执行）")

    def handle(self, *args, **options):
        if options["action"] == "checkpoint":
            line = audit_checkpoint()
            self.stdout.write(f"已写入检查点（{line['at']}，{len(line['lanes'])} 条链）")
            return
        result = audit_verify()
        basis = f"；已对照 {result.checkpoint_at} 的检查点" if result.checkpoint_at else "；尚无检查点"
        if result.ok:
            self.stdout.write(self.style.SUCCESS(f"审计链完整：共校验 {result.checked} 条事件{basis}"))
            return
        for brk in result.breaks:
            self.stdout.write(
                self.style.ERROR(f"审计链断裂：第 {brk.lane} 链自第 {brk.seq} 条起不可信（{brk.reason}）")
            )
        self.stdout.write(f"其余 {result.checked} 条事件校验通过")
        first = result.breaks[0]
        raise CommandError(f"audit chain broken: lane {first.lane} at seq {first.seq}", returncode=2)
