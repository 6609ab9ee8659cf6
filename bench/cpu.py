"""CPU time per request, in-process: the app's and the local PostgreSQL backend's, real vs bare.

Run on demand (not in CI)::

    .venv/bin/python bench/cpu.py                      # SQLite and PostgreSQL
    .venv/bin/python bench/cpu.py --db postgres --count 3000

No HTTP server and no concurrency: Django's WSGI handler is called directly, one request after
the other, with the same requests as ``bench/intake.py`` (``POST /bench/bare`` and a signed
``POST /api/v1/evaluations``). For each it prints the app's CPU time per request (this
process) and, on PostgreSQL, the CPU time of the connection's server process (read from
``/proc/<backend pid>/stat``, so the server must run on this machine); on SQLite the WAL
pages written per request (checkpointing is paused during the run) and the checkpoint's
time per request afterwards. This splits where the
time of ``bench/intake.py``'s figures goes, without its noise; on PostgreSQL it also runs the
real path with ``HAOCHAPING_PG_PREPARED_STATEMENTS=0`` (Django's cursor) for comparison.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.intake import PG_ADMIN, PG_GROWN, PY, django_env, grown_copy, rating_body, signed_line  # noqa: E402
from bench.pages import PG_NAME, SQLITE_PATH  # noqa: E402

PG_DB = "haochaping_bench_cpu"


def _backend_seconds(pid: int | None) -> float:
    if pid is None:
        return 0.0
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return float("nan")  # the server is not on this machine
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def inner_measure(creds_file: Path, first: int, count: int, label: str) -> None:
    """Inside Django: ``count`` bare requests, then ``count`` ratings from service ``first``."""
    import django

    django.setup()
    from django.db import connection

    from haochaping.wsgi import application

    creds = json.loads(creds_file.read_text())

    def call(line: str) -> str:
        method, path, app, ts, nonce, sig, body = line.split("\t", 6)
        raw = body.encode()
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(raw),
            "CONTENT_LENGTH": str(len(raw)),
            "CONTENT_TYPE": "application/json",
        }
        if app:
            environ.update(HTTP_X_APP_ID=app, HTTP_X_TIMESTAMP=ts, HTTP_X_NONCE=nonce, HTTP_X_SIGNATURE=sig)
        status = []
        body_iter = application(environ, lambda s, h: status.append(s))
        b"".join(body_iter)
        body_iter.close()
        return status[0].split()[0]

    sqlite = connection.vendor == "sqlite"
    wal = Path(f"{connection.settings_dict['NAME']}-wal")

    def pragma(sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)

    def run(lines: list[str], name: str) -> None:
        call(lines[0])  # connects, warms caches
        pid = connection.connection.info.backend_pid if connection.vendor == "postgresql" else None
        if sqlite:  # no checkpoint during the run: the WAL's growth counts the pages written
            pragma("PRAGMA wal_checkpoint(TRUNCATE)")
            pragma("PRAGMA wal_autocheckpoint=0")
        statuses: dict[str, int] = {}
        app0, db0, wal0 = time.process_time(), _backend_seconds(pid), wal.stat().st_size if sqlite else 0
        for line in lines[1:]:
            code = call(line)
            statuses[code] = statuses.get(code, 0) + 1
        n = len(lines) - 1
        app_us = (time.process_time() - app0) / n * 1e6
        db_us = (_backend_seconds(pid) - db0) / n * 1e6
        db_text = f"   database {db_us:6.0f} µs   total {app_us + db_us:6.0f} µs" if pid else ""
        if sqlite:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA page_size")
                page_size = cursor.fetchone()[0]
            frames = (wal.stat().st_size - wal0) / (page_size + 24) / n  # page + frame header
            started = time.perf_counter()
            pragma("PRAGMA wal_checkpoint(TRUNCATE)")
            checkpoint_us = (time.perf_counter() - started) / n * 1e6
            pragma("PRAGMA wal_autocheckpoint=1000")
            db_text = f"   WAL pages {frames:4.1f}   checkpoint {checkpoint_us:4.0f} µs"
        print(f"{name:<34} app {app_us:6.0f} µs{db_text}   statuses {statuses}", flush=True)

    bare = [
        "\t".join(["POST", "/bench/bare", "", "", "", "", json.dumps(rating_body(i), ensure_ascii=False)])
        for i in range(count + 1)
    ]
    real = [
        signed_line(creds, "/api/v1/evaluations", json.dumps(rating_body(i), ensure_ascii=False).encode())
        for i in range(first, first + count + 1)
    ]
    run(bare, "bare ninja insert")
    run(real, f"real rating intake{label}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_measure":
        return inner_measure(Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--count", type=int, default=2000, help="requests per endpoint and run")
    parser.add_argument(
        "--grown",
        action="store_true",
        help="also on a copy of bench/pages.py's grown database (as bench/intake.py --grown), in the same run",
    )
    args = parser.parse_args()
    for db in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        for grown in [False, True] if args.grown else [False]:
            measure_one(db, args.count, str(PG_NAME if db == "postgres" else SQLITE_PATH) if grown else None)


def measure_one(db: str, count: int, grown_from: str | None) -> None:
    """One database: fresh, or a copy of the grown one ``grown_from``."""
    tmp = Path(tempfile.mkdtemp(prefix=f"hcp-cpu-{db}-"))
    try:
        if grown_from:
            url = grown_copy(db, grown_from, tmp)
        elif db == "postgres":
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {PG_DB}")
                conn.execute(f"CREATE DATABASE {PG_DB}")
            url = PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_DB
        else:
            url = f"sqlite:///{tmp / 'cpu.sqlite3'}"
        env = django_env(url, tmp)
        runs = [("", {})]
        if db == "postgres":
            runs = [
                (", prepared", {"HAOCHAPING_PG_PREPARED_STATEMENTS": "1"}),
                (", Django cursor", {"HAOCHAPING_PG_PREPARED_STATEMENTS": "0"}),
            ]
        subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v", "0"], env=env, cwd=ROOT, check=True)
        creds = tmp / "creds.json"
        total = (count + 1) * len(runs)
        script = str(ROOT / "bench" / "intake.py")
        setup = [PY, script, "_setup", str(total), str(creds)] + (["grown"] if grown_from else [])
        subprocess.run(setup, env=env, cwd=ROOT, check=True)
        where = f"{db}, grown ({grown_from})" if grown_from else db
        print(f"\n=== {where}: {count} requests each, one after the other, in-process ===")
        for i, (label, extra) in enumerate(runs):
            first = i * (count + 1)
            measure = [PY, __file__, "_measure", str(creds), str(first), str(count), label]
            subprocess.run(measure, env={**env, **extra}, cwd=ROOT, check=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if grown_from and db == "postgres":
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {PG_GROWN}")


if __name__ == "__main__":
    main()
