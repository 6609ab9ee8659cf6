"""`haochaping serve`: the production-style WSGI server (granian), bound to 127.0.0.1 by default.

``--with-worker`` also runs the background-job worker (`haochaping worker`) as a sibling
process and stops both together: the one-command setup of the embedded demo. Production runs
the worker as its own service.
"""

import os
import signal
import subprocess
import sys

from django.core.management.base import BaseCommand
from django.db import connection

from haochaping.core import pool


def default_pool() -> tuple[int, int]:
    """Worker processes and threads per process for this database (see ``core.pool``)."""
    return pool.default_pool(connection.vendor)


class Command(BaseCommand):
    help = "以 WSGI（granian）方式启动 Web 服务；--with-worker 同时启动后台任务进程"

    def add_arguments(self, parser):
        workers, threads = default_pool()
        parser.add_argument("--host", default=os.environ.get("HAOCHAPING_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("HAOCHAPING_PORT", "8000")))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("HAOCHAPING_WORKERS", workers)), help="进程数"
        )
        parser.add_argument(
            "--threads", type=int, default=int(os.environ.get("HAOCHAPING_THREADS", threads)), help="每个进程的线程数"
        )
        parser.add_argument("--with-worker", action="store_true", help="同时运行后台任务（演示/单机部署）")

    def handle(self, *args, **options):
        server = [
            sys.executable, "-m", "granian", "--interface", "wsgi",
            "--host", options["host"], "--port", str(options["port"]),
            "--workers", str(options["workers"]), "--blocking-threads", str(options["threads"]),
            "--no-ws", "haochaping.wsgi:application",
        ]  # fmt: skip
        self.stdout.write(f"haochaping 服务地址：http://{options['host']}:{options['port']}/")
        self.stdout.flush()
        if not options["with_worker"]:
            os.execv(sys.executable, server)  # noqa: S606  (fixed argv, replaces this process)
        manage = [sys.executable, "-m", "haochaping.cli", "worker"]
        children = [subprocess.Popen(manage), subprocess.Popen(server)]  # noqa: S603  (fixed argv)
        self.stdout.write("后台任务进程已启动（整改期限检查、短信发送等）")

        def stop(*_):
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while all(child.poll() is None for child in children):
                try:
                    children[1].wait(timeout=1)
                except subprocess.TimeoutExpired:
                    continue
        finally:
            stop()
            for child in children:
                try:
                    child.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    child.kill()
