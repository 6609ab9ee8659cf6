"""Rating-intake benchmark: the real stack against a bare django-ninja insert, same server, same run.

Run on demand (not in CI)::

    .venv/bin/python bench/intake.py                 # SQLite and PostgreSQL
    .venv/bin/python bench/intake.py --db sqlite --duration 12 --rounds 3   # a quicker look

For each database it:

1. migrates a fresh database (a temp SQLite file / a fresh PostgreSQL database ``haochaping_bench``),
   creates the test cast and N service records to rate;
2. serves the app with granian (WSGI, ``--workers`` x ``--threads``, the production settings);
3. drives ``POST /bench/bare`` (parse the same JSON with the same schema, insert one row of the
   same width, 201) and ``POST /api/v1/evaluations`` (HMAC-SM3 signature + nonce, lookup,
   validation, insert, audit chain, case for bad ratings) with wrk, 64 connections, for the same
   duration each, in alternating rounds (bare, real, bare, real, ...: a slow spell of a shared
   machine then falls on both), and prints both mean rates, their ratio and each round's ratio;
4. checks that every 201 of the real run is exactly one stored rating (none lost, none doubled);
5. resend phase: 64 concurrent clients send every rating twice (and some three times, each
   time freshly signed) and checks zero lost and zero duplicated ratings.

Requires ``wrk`` (Debian package; installed with apt-get when missing and running as root).
Traffic goes to 127.0.0.1 only, and every phase stops by itself.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench import pages  # noqa: E402  (after the path is set)
from haochaping.core.pool import default_pool  # noqa: E402

PY = sys.executable
TARGET = 0.55  # real intake / bare insert, each database (issue 12 kept it at or above 0.55)
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
PG_BENCH = "postgres://postgres@127.0.0.1:5432/haochaping_bench"
PG_GROWN = "haochaping_bench_grown"  # the copy of a grown database (--grown) measured on

LUA = r"""
local counter = 0
local threads = {}
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  reqs = {}
  local f = io.open(args[1] .. "." .. tid, "r")
  for line in f:lines() do
    local m, p, app, ts, nonce, sig, body = line:match("^(%S+)\t(%S+)\t(%S*)\t(%S*)\t(%S*)\t(%S*)\t(.*)$")
    local h = {["Content-Type"] = "application/json"}
    if app ~= "" then
      h["X-App-Id"] = app; h["X-Timestamp"] = ts; h["X-Nonce"] = nonce; h["X-Signature"] = sig
    end
    table.insert(reqs, wrk.format(m, p, h, body))
  end
  f:close()
  idx = 0
  statuses = {}
end
function request()
  idx = idx + 1
  if idx > #reqs then idx = 1; exhausted = true end
  return reqs[idx]
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local total = {}
  local ex = false
  for _, t in ipairs(threads) do
    for s, n in pairs(t:get("statuses")) do total[s] = (total[s] or 0) + n end
    if t:get("exhausted") then ex = true end
  end
  local parts = {}
  for s, n in pairs(total) do table.insert(parts, '"' .. s .. '":' .. n) end
  io.write("STATUSES {" .. table.concat(parts, ",") .. "}\n")
  io.write("EXHAUSTED " .. tostring(ex) .. "\n")
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_wrk() -> str:
    path = shutil.which("wrk")
    if path:
        return path
    if os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL)
        return shutil.which("wrk") or sys.exit("wrk could not be installed")
    sys.exit("wrk is required: apt-get install wrk")


def django_env(database_url: str, var_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        HAOCHAPING_DEMO="1",
        HAOCHAPING_BENCH="1",
        HAOCHAPING_VAR_DIR=str(var_dir),
        DATABASE_URL=database_url,
        HAOCHAPING_LOG_LEVEL="ERROR",
        DJANGO_SETTINGS_MODULE="haochaping.settings",
        PYTHONPATH=str(ROOT),
    )
    return env


# --- inner mode: runs inside Django to create the data --------------------------------------


def inner_setup(count: int, out: Path, grown: bool = False) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.db import transaction

    from haochaping.core.crypto import blind_index
    from haochaping.service_records.models import ServiceRecord
    from haochaping.testing import build_cast

    with transaction.atomic():
        cast = grown_cast() if grown else build_cast()
    rows = []
    now_fp = "bench"
    for i in range(count):
        rows.append(
            ServiceRecord(
                project_no=f"BENCH{i:08d}",
                service_no=1,
                stage="2",
                item=cast.item_a,
                unit=cast.unit_a,
                window=cast.window_a,
                staff=cast.staff_a,
                mode="offline",
                applicant_kind="1",
                applicant_name="张三丰",
                applicant_id_type="111",
                applicant_id_number="410404199001011234",
                applicant_phone="13812345678",
                id_index=blind_index("id", "410404199001011234"),
                phone_index=blind_index("phone", "13812345678"),
                system=cast.system_all,
                fingerprint=now_fp,
            )
        )
    for start in range(0, count, 2000):
        ServiceRecord.objects.bulk_create(rows[start : start + 2000])
    settle_database()
    out.write_text(
        json.dumps(
            {"app_id": cast.system_all.app_id, "secret": cast.secret_all, "db": settings.DATABASES["default"]["ENGINE"]}
        )
    )


def grown_cast():
    """On a grown database (its organisation already there, ``bench/pages.py``'s): a district-wide
    business system registered for the bench, and the first window's staff member, unit, window
    and the first service item for the services to rate; as ``build_cast``'s fields."""
    from types import SimpleNamespace

    from haochaping.audit.services import Actor
    from haochaping.organizations.models import Staff
    from haochaping.organizations.services import business_system_register
    from haochaping.service_records.models import ServiceItem

    staff = Staff.objects.filter(window__isnull=False).select_related("unit", "window").order_by("pk").first()
    if staff is None:
        sys.exit("--grown: the database has no staff member at a window (is it a grown bench database?)")
    system, secret = business_system_register(actor=Actor.cli("bench"), name="评价接入压测")
    return SimpleNamespace(item_a=ServiceItem.objects.order_by("pk").first(), unit_a=staff.unit,
                           window_a=staff.window, staff_a=staff, system_all=system, secret_all=secret)  # fmt: skip


def settle_database() -> None:
    """Leave no background work of the setup (its bulk insert) to the measured rounds."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            cursor.execute("ANALYZE")
            cursor.execute("CHECKPOINT")  # the bench's role is the database superuser


def inner_count(out: Path, warm_first: int) -> None:
    import django

    django.setup()
    from django.db.models import Count

    from bench.baseline.models import BareRating
    from haochaping.audit.services import audit_verify
    from haochaping.evaluations.models import Evaluation
    from haochaping.rectification.models import RectificationCase

    dupes = Evaluation.objects.values("record_id").annotate(n=Count("id")).filter(n__gt=1).count()
    out.write_text(
        json.dumps(
            {
                "evaluations": Evaluation.objects.count(),
                "bench_ratings": Evaluation.objects.filter(
                    record__project_no__startswith="BENCH", record__project_no__lt=f"BENCH{warm_first:08d}"
                ).count(),
                "warm_up": Evaluation.objects.filter(record__project_no__gte=f"BENCH{warm_first:08d}").count(),
                "duplicates": dupes,
                # the bench's own services (a grown database has its own ratings and cases)
                "bad": Evaluation.objects.filter(record__project_no__startswith="BENCH", level__lte=2).count(),
                "cases": RectificationCase.objects.filter(evaluation__record__project_no__startswith="BENCH").count(),
                "bare": BareRating.objects.count(),
                "audit_ok": audit_verify().ok,
            }
        )
    )


# --- outer mode ------------------------------------------------------------------------------


def rating_body(i: int) -> dict:
    level = 1 if i % 50 == 0 else (2 if i % 50 == 1 else 5 - (i % 3))
    body = {
        "project_no": f"BENCH{i:08d}",
        "service_no": 1,
        "level": level,
        "channel": 4,
        "dimensions": {"attitude": level, "efficiency": level},
        "reasons": ["XC-TD-B01"] if level <= 2 else [],
        "text": "窗口服务评价" if level > 2 else "等待时间太长",
    }
    return body


def signed_line(creds: dict, path: str, body: bytes) -> str:
    from haochaping.core.crypto import hmac_sm3_hex, sm3_hex

    ts = str(int(time.time() * 1000))
    nonce = uuid.uuid4().hex
    canonical = "\n".join(["POST", path, ts, nonce, sm3_hex(body)])
    sig = hmac_sm3_hex(creds["secret"].encode(), canonical.encode())
    return "\t".join(["POST", path, creds["app_id"], ts, nonce, sig, body.decode()])


def write_requests(prefix: Path, lines: list[str], threads: int) -> None:
    for t in range(threads):
        Path(f"{prefix}.{t}").write_text("\n".join(lines[t::threads]) + "\n", encoding="utf-8")


def run_wrk(wrk: str, url: str, prefix: Path, script: Path, args) -> dict:
    cmd = [
        wrk,
        "-t",
        str(args.wrk_threads),
        "-c",
        str(args.connections),
        "-d",
        f"{args.duration}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
        "--",
        str(prefix),
    ]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=args.duration + 60)
    out = run.stdout
    rps_lines = [line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec")]
    status_lines = [line[9:] for line in out.splitlines() if line.startswith("STATUSES ")]
    if run.returncode != 0 or not rps_lines or not status_lines:
        sys.exit(f"wrk failed (exit {run.returncode}):\n{out}\n{run.stderr}")
    rps = float(rps_lines[0])
    statuses = json.loads(status_lines[0])
    exhausted = "EXHAUSTED true" in out
    return {"rps": rps, "statuses": statuses, "exhausted": exhausted, "raw": out}


# Pause after each round: the server's background work caused by one endpoint's writes (the
# SQLite WAL checkpoint runs every second) finishes before the other endpoint is measured.
SETTLE = 2.5
WARM_RECORDS = 3000  # services rated by the warm-up, apart from the measured ones


def combine(runs: list[dict]) -> dict:
    """Rounds of one endpoint as one run: mean rate, summed statuses, per-round rates kept."""
    statuses: dict[str, int] = {}
    for run in runs:
        for status, n in run["statuses"].items():
            statuses[status] = statuses.get(status, 0) + n
    return {
        "rps": sum(run["rps"] for run in runs) / len(runs),
        "rounds": [run["rps"] for run in runs],
        "statuses": statuses,
        "exhausted": any(run["exhausted"] for run in runs),
    }


def start_server(env: dict, port: int, args) -> subprocess.Popen:
    cmd = [
        PY,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(args.workers),
        "--blocking-threads",
        str(args.threads),
        "--no-ws",
        "--log-level",
        "error",
        "haochaping.wsgi:application",
    ]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True)
    deadline = time.time() + 120  # a loaded shared machine starts four workers slowly
    while time.time() < deadline and proc.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.2)
    if proc.poll() is not None:
        sys.exit(f"server exited with status {proc.returncode}")
    os.killpg(proc.pid, signal.SIGKILL)  # its workers too
    sys.exit("server did not start")


def stop_server(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def resend_phase(port: int, creds: dict, first: int, per_client: int, clients: int) -> dict:
    """64 clients; each sends each of its ratings 2–3 times, freshly signed, interleaved."""
    results: list[tuple[int, int]] = []
    lock = threading.Lock()
    errors: list[str] = []

    def client(c: int) -> None:
        rng = random.Random(c)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        plan = []
        for k in range(per_client):
            i = first + c * per_client + k
            plan += [i] * rng.choice((2, 2, 3))
        rng.shuffle(plan)
        for i in plan:
            body = json.dumps(rating_body(i), ensure_ascii=False).encode()
            _, path, app, ts, nonce, sig, _ = signed_line(creds, "/api/v1/evaluations", body).split("\t", 6)
            headers = {
                "Content-Type": "application/json",
                "X-App-Id": app,
                "X-Timestamp": ts,
                "X-Nonce": nonce,
                "X-Signature": sig,
            }
            try:
                conn.request("POST", path, body=body, headers=headers)
                resp = conn.getresponse()
                resp.read()
                with lock:
                    results.append((i, resp.status))
            except OSError as exc:  # the client would retry: so do we, with a fresh signature
                errors.append(repr(exc))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                plan.append(i)
        conn.close()

    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    started = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    elapsed = time.time() - started
    created = {i for i, s in results if s == 201}
    statuses: dict[int, int] = {}
    for _, s in results:
        statuses[s] = statuses.get(s, 0) + 1
    expected = set(range(first, first + clients * per_client))
    return {
        "sent": len(results),
        "statuses": statuses,
        "unique_created": len(created),
        "expected": len(expected),
        "missing": len(expected - created),
        "errors": len(errors),
        "seconds": round(elapsed, 1),
    }


def grown_copy(db: str, source: str, tmp: Path) -> str:
    """A copy of a grown database (``source``: a SQLite file, a PostgreSQL database name) to
    measure on: the source itself is only read. Returns the copy's URL."""
    if db == "postgres":
        import psycopg

        # CREATE DATABASE ... TEMPLATE needs the source without other sessions while it copies.
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_GROWN}")
            conn.execute(f'CREATE DATABASE {PG_GROWN} TEMPLATE "{source}"')
        return PG_ADMIN.rsplit("/", 1)[0] + f"/{PG_GROWN}"
    import sqlite3

    if not Path(source).exists():
        sys.exit(f"--grown: no SQLite database at {source} (grow one with bench/pages.py)")
    target = tmp / "bench.sqlite3"
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, sqlite3.connect(target) as dst:
        src.backup(dst)  # a consistent copy, the write-ahead log included
    src.close()
    dst.close()
    return f"sqlite:///{target}"


def bench_one(db: str, args, wrk: str, grown_from: str | None = None) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix=f"hcp-bench-{db}-"))
    started = time.perf_counter()
    if grown_from:
        url = grown_copy(db, grown_from, tmp)
        print(f"  copied the grown database {grown_from} in {time.perf_counter() - started:.0f} s", flush=True)
    elif db == "postgres":
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS haochaping_bench")
            conn.execute("CREATE DATABASE haochaping_bench")
        url = PG_BENCH
    else:
        url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    env = django_env(url, tmp)
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v", "0"], env=env, cwd=ROOT, check=True)
    warm_first = args.records + args.clients * args.per_client  # warm-up ratings come after these
    total = warm_first + WARM_RECORDS
    creds_file = tmp / "creds.json"
    setup = [PY, __file__, "_setup", str(total), str(creds_file)] + (["grown"] if grown_from else [])
    subprocess.run(setup, env=env, cwd=ROOT, check=True)
    creds = json.loads(creds_file.read_text())

    script = tmp / "bench.lua"
    script.write_text(LUA)
    bare_lines = [
        "\t".join(["POST", "/bench/bare", "", "", "", "", json.dumps(rating_body(i), ensure_ascii=False)])
        for i in range(5000)
    ]
    write_requests(tmp / "bare", bare_lines, args.wrk_threads)

    port = free_port()
    server = start_server(env, port, args)
    try:
        base = f"http://127.0.0.1:{port}"
        # Warm up both paths (imports, connections, every worker) under the measured load.
        warm_args = argparse.Namespace(**vars(args))
        warm_args.duration = 2
        run_wrk(wrk, f"{base}/bench/bare", tmp / "bare", script, warm_args)
        warm_lines = [
            signed_line(creds, "/api/v1/evaluations", json.dumps(rating_body(i), ensure_ascii=False).encode())
            for i in range(warm_first, warm_first + WARM_RECORDS)
        ]
        write_requests(tmp / "warm", warm_lines, args.wrk_threads)
        run_wrk(wrk, f"{base}/api/v1/evaluations", tmp / "warm", script, warm_args)
        time.sleep(SETTLE)
        # Alternating rounds (bare, real, bare, real, ...): a slower or faster spell of the
        # machine falls on both endpoints instead of on one of them.
        per_round = args.records // args.rounds
        bare_runs, real_runs = [], []
        round_args = argparse.Namespace(**vars(args))
        round_args.duration = max(1, round(args.duration / args.rounds))
        for r in range(args.rounds):
            bare_runs.append(run_wrk(wrk, f"{base}/bench/bare", tmp / "bare", script, round_args))
            time.sleep(SETTLE)
            # Signed right before each round: timestamps stay inside the 300 s window.
            real_lines = [
                signed_line(creds, "/api/v1/evaluations", json.dumps(rating_body(i), ensure_ascii=False).encode())
                for i in range(r * per_round, (r + 1) * per_round)
            ]
            write_requests(tmp / "real", real_lines, args.wrk_threads)
            real_runs.append(run_wrk(wrk, f"{base}/api/v1/evaluations", tmp / "real", script, round_args))
            time.sleep(SETTLE)
        bare, real = combine(bare_runs), combine(real_runs)
        resend = resend_phase(port, creds, args.records, args.per_client, args.clients)
    finally:
        stop_server(server)
    counts_file = tmp / "counts.json"
    subprocess.run([PY, __file__, "_count", str(counts_file), str(warm_first)], env=env, cwd=ROOT, check=True)
    counts = json.loads(counts_file.read_text())
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
        if grown_from and db == "postgres":  # the copy of a grown database is large
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {PG_GROWN}")
    label = f"{db}, grown ({grown_from})" if grown_from else db
    return {"db": label, "bare": bare, "real": real, "resend": resend, "counts": counts,
            "connections": args.connections}  # fmt: skip


def _rates(run: dict) -> str:
    return "/".join(f"{rps:.0f}" for rps in run["rounds"])


def report(result: dict) -> bool:
    bare, real, resend, counts = result["bare"], result["real"], result["resend"], result["counts"]
    ratio = real["rps"] / bare["rps"] if bare["rps"] else 0.0
    real_201 = int(real["statuses"].get("201", 0))
    ok_real = (not real["exhausted"]) and set(real["statuses"]) == {"201"}
    stored_from_wrk = counts["bench_ratings"] - resend["unique_created"]
    # wrk stops counting at the deadline while the server finishes requests already sent:
    # those are stored without a counted 201 ("in flight"); a 201 without a row would be lost.
    lost = max(0, real_201 - stored_from_wrk)
    in_flight = max(0, stored_from_wrk - real_201)
    print(f"\n=== {result['db']} ===")
    print(f"bare ninja insert      : {bare['rps']:8.1f} req/s  statuses {bare['statuses']}  rounds {_rates(bare)}")
    print(
        f"real rating intake     : {real['rps']:8.1f} req/s  statuses {real['statuses']}  rounds {_rates(real)}"
        + ("  (request list exhausted: raise --records)" if real["exhausted"] else "")
    )
    rounds = ", ".join(f"{r / b:.2f}" for b, r in zip(bare["rounds"], real["rounds"], strict=True) if b)
    print(f"ratio real / bare      : {ratio:8.2f}   (target >= {TARGET:.2f}; per round {rounds})")
    print(
        f"wrk 201s vs rows stored: {real_201} vs {stored_from_wrk}  (lost {lost}; in flight at wrk's stops "
        f"{in_flight}, at most {len(real['rounds'])} x {result['connections']})"
    )
    print(
        f"resend, 64 clients     : sent {resend['sent']} in {resend['seconds']} s, statuses {resend['statuses']}, "
        f"ratings expected {resend['expected']}, created once {resend['unique_created']}, "
        f"missing {resend['missing']}, transport errors {resend['errors']}"
    )
    print(
        f"database               : {counts['evaluations']} ratings, duplicates per service "
        f"{counts['duplicates']}, bad {counts['bad']} = cases {counts['cases']}, audit chain "
        f"{'ok' if counts['audit_ok'] else 'BROKEN'}"
    )
    return (
        ok_real
        and lost == 0
        and resend["missing"] == 0
        and counts["duplicates"] == 0
        and counts["bad"] == counts["cases"]
        and counts["audit_ok"]
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_setup":
        return inner_setup(int(sys.argv[2]), Path(sys.argv[3]), grown=sys.argv[4:] == ["grown"])
    if len(sys.argv) > 1 and sys.argv[1] == "_count":
        return inner_count(Path(sys.argv[2]), int(sys.argv[3]))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--duration", type=int, default=30, help="seconds of load per endpoint (split into rounds)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating bare/real rounds")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--workers", type=int, help="granian worker processes (default: as `haochaping serve`)")
    parser.add_argument("--threads", type=int, help="threads per worker (default: as `haochaping serve`)")
    parser.add_argument(
        "--records", type=int, help="services to rate in the timed run (default: 2,500 per second of --duration)"
    )
    parser.add_argument("--clients", type=int, default=64, help="resend phase: concurrent clients")
    parser.add_argument("--per-client", type=int, default=20, help="resend phase: ratings per client")
    parser.add_argument("--keep", action="store_true", help="keep the temp directory")
    parser.add_argument(
        "--grown",
        action="store_true",
        help="also measure on a copy of the grown database of bench/pages.py, in the same run (small, then grown)",
    )
    parser.add_argument(
        "--grown-sqlite", default=str(pages.SQLITE_PATH), help="--grown: the SQLite file to copy (default: %(default)s)"
    )
    parser.add_argument(
        "--grown-pg", default=pages.PG_NAME, help="--grown: the PostgreSQL database to copy (default: %(default)s)"
    )
    args = parser.parse_args()
    if args.records is None:
        args.records = max(30000, 2500 * args.duration)
    wrk = ensure_wrk()
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    print(
        f"load: wrk {args.wrk_threads} threads, {args.connections} connections, {args.duration} s per endpoint "
        f"in {args.rounds} alternating rounds"
    )
    ok = True
    ratios: dict[str, float] = {}
    for db in dbs:
        run_args = argparse.Namespace(**vars(args))
        # Unless told otherwise, the production pool of `haochaping serve` for this database.
        default_workers, default_threads = default_pool("sqlite" if db == "sqlite" else "postgresql")
        run_args.workers = args.workers or default_workers
        run_args.threads = args.threads or default_threads
        print(f"\nserver ({db}): granian WSGI, {run_args.workers} workers x {run_args.threads} threads")
        sources = [None] + ([args.grown_pg if db == "postgres" else args.grown_sqlite] if args.grown else [])
        for source in sources:
            result = bench_one(db, run_args, wrk, grown_from=source)
            ok = report(result) and ok
            label = result["db"]
            ratios[label] = result["real"]["rps"] / result["bare"]["rps"] if result["bare"]["rps"] else 0.0
            if result["real"]["exhausted"]:  # replayed requests (401) were counted: no valid figure
                ratios[label] = float("nan")
    if args.grown:
        print("\nRESULT: ratio real / bare, small vs grown database: "
              + "; ".join(f"{label} {ratio:.2f}" for label, ratio in ratios.items()))  # fmt: skip
    print("\nRESULT: ratings", "PASS (none lost or duplicated)" if ok else "FAIL")
    invalid = [db for db, ratio in ratios.items() if ratio != ratio]
    missed = [f"{db} {ratio:.2f}" for db, ratio in ratios.items() if ratio < TARGET]
    if invalid:
        print(f"RESULT: ratio not measured for {', '.join(invalid)}: the request list ran out (raise --records)")
    if len(invalid) < len(ratios):
        target = f"the {TARGET:.2f} target"
        print("RESULT: ratio", f"meets {target}" if not missed else f"below {target}: {', '.join(missed)}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
