"""`haochaping worker`: runs background jobs (deadline scans, notifications, upstream sync)."""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand

from haochaping.jobs.worker import run_worker


class Command(BaseCommand):
    help = "运行后台任务（整改期限扫描、通知发送、上级平台同步等）；SIGTERM 时执行完当前任务后退出"

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="执行完所有已到期任务后退出（供定时任务/测试使用）")
        parser.add_argument("--max-seconds", type=float, default=None, help="最长运行秒数")
        parser.add_argument("--sleep", type=float, default=1.0, help="无任务时的轮询间隔（秒）")
        parser.add_argument("--batch", type=int, default=10, help="每次领取的任务数")

    def handle(self, *args, **options):
        stop = threading.Event()
        previous = {}
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                previous[signum] = signal.signal(signum, lambda *_: stop.set())
        try:
            stats = run_worker(
                stop,
                once=options["once"],
                max_seconds=options["max_seconds"],
                sleep=options["sleep"],
                batch=options["batch"],
            )
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        self.stdout.write(
            f"后台任务：完成 {stats['done']} 个，失败待重试 {stats['failed']} 个，放弃 {stats['dead']} 个"
        )
