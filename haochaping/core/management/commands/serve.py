"""`haochaping serve`: the production-style WSGI server (granian), bound to 127.0.0.1 by default."""

import os
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "以 WSGI（granian）方式启动 Web 服务"

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HAOCHAPING_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("HAOCHAPING_PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("HAOCHAPING_WORKERS", "2")))
        parser.add_argument(
            "--threads",
            type=int,
            default=int(os.environ.get("HAOCHAPING_THREADS", "4")),
            help="每个进程的阻塞线程数（SQLite 建议 ≤4）",
        )

    def handle(self, *args, **options):
        argv = [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "wsgi",
            "--host",
            options["host"],
            "--port",
            str(options["port"]),
            "--workers",
            str(options["workers"]),
            "--blocking-threads",
            str(options["threads"]),
            "--no-ws",
            "haochaping.wsgi:application",
        ]
        self.stdout.write(f"haochaping 服务地址：http://{options['host']}:{options['port']}/", ending="\n")
        self.stdout.flush()
        os.execv(sys.executable, argv)  # noqa: S606  (fixed argv, replaces this process)
