"""`haochaping serve`: the production-style WSGI server (granian), bound to 127.0.0.1 by default."""

import os
import sys

from django.core.management.base import BaseCommand
from django.db import connection


def default_pool() -> tuple[int, int]:
    """Worker processes and threads per process, measured with bench/intake.py on 2 cores.

    SQLite rates fastest with one thread per process (writers queue on one lock; more threads
    only add GIL hand-offs), but two keep the console responsive while a slow page renders;
    PostgreSQL needs threads to overlap its network round trips.
    """
    return (2, 2) if connection.vendor == "sqlite" else (2, 4)


class Command(BaseCommand):
    help = "以 WSGI（granian）方式启动 Web 服务"

    def add_arguments(self, parser):
        workers, threads = default_pool()
        parser.add_argument("--host", default=os.environ.get("HAOCHAPING_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("HAOCHAPING_PORT", "8000")))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("HAOCHAPING_WORKERS", workers)), help="进程数"
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=int(os.environ.get("HAOCHAPING_THREADS", threads)),
            help="每个进程的线程数",
        )

    def handle(self, *args, **options):
        argv = [
            sys.executable, "-m", "granian", "--interface", "wsgi",
            "--host", options["host"], "--port", str(options["port"]),
            "--workers", str(options["workers"]), "--blocking-threads", str(options["threads"]),
            "--no-ws", "haochaping.wsgi:application",
        ]  # fmt: skip
        self.stdout.write(f"haochaping 服务地址：http://{options['host']}:{options['port']}/")
        self.stdout.flush()
        os.execv(sys.executable, argv)  # noqa: S606  (fixed argv, replaces this process)
