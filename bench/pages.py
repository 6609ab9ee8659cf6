"""Console pages at a city's scale (issue 17): every page, as every role, on a grown database.

Run on demand (not in CI)::

    .venv/bin/python bench/pages.py                              # SQLite, 1 million records
    .venv/bin/python bench/pages.py --db postgres                # PostgreSQL, 5 million records
    .venv/bin/python bench/pages.py --records 100000             # a quick look
    .venv/bin/python bench/pages.py --keep --pages outreach      # reuse the grown database, some pages
    .venv/bin/python bench/pages.py --roles supervisor --json var/pages.json

It

1. grows a database: the demo district's organisation and users (``seed_demo`` at a small scale,
   through the real services), then two years of service records over the demo's units, items,
   windows, staff and business systems (0.83 rated: about 91 % 满意 or better, 2 % bad; channels by
   mode), a case for every bad rating in realistic states, callbacks with their calls, and demands,
   written in bulk into the real tables by ``bench/analytics.py``'s generator (PostgreSQL COPY,
   SQLite executemany, the encrypted identity columns from a few identities encrypted once);
   then ``rollup_rebuild()`` and ``causes_refresh()`` (差评归因). The database is kept for ``--keep``;
2. finds every console page from the URLconf (the ``console`` namespace): a page without
   arguments is requested as is; a page with arguments (``<int:pk>``, ``<slug:code>`` …) with the
   first link to it found on the role's other pages (so the sample is one the role can see);
3. requests each page as each role (``force_login``; Django's test client, in-process, after the
   app has warmed up as a server worker does): "cold" is the first request after the database
   connection was closed and the caches cleared, "warm" the median of ``--runs`` requests after a
   warm-up, "queries" the warm request's query count. A paged list is also requested at its
   middle and last page (``?page=``). Pages at or over 300 ms warm are marked;
4. times the Excel export of the largest list (service records, at most ``EXPORT_ROWS`` of the
   latest) with the growth of resident memory while it runs.

Requests that answer 403/404 (the role may not see the page), 405 (POST only) or a redirect are
listed, not timed; an exception or a 5xx answer is an error (exit status 1).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import html
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import analytics  # noqa: E402 (after the path)

PG_NAME = "bench_pages"
SQLITE_PATH = ROOT / "var" / "bench-pages.sqlite3"
GENERATOR_VERSION = "2"  # 2: the bad ratings' causes (差评归因) filled
TARGET_MS = 300
YEARS_OF_DAYS = 730
DEMO_MONTHS, DEMO_SCALE = 1, 0.05  # the demo's own traffic: a few dozen services (its organisation is the point)
ROLES = ("supervisor", "dept_admin", "window_clerk", "operator", "auditor")
EXPORT_ROWS = 100_000
SKIPPED = {"logout"}  # a GET would end the session the next pages need
PAGER = re.compile(r"共 <strong>([\d,]+)</strong> 条(?:，第 (\d+) / (\d+) 页)?")
HREF = re.compile(r'href="([^"#?]+)')
CONVERTER = {"int": r"\d+", "slug": r"[-a-zA-Z0-9_]+", "str": r"[^/]+", "path": r".+", "uuid": r"[-0-9a-f]{36}"}


def log(message: str) -> None:
    print(message, flush=True)


# --- growing the database -------------------------------------------------------------------


def grow(
    records: int, *, days: int = YEARS_OF_DAYS, seed: int = 20261207, out: Callable[[str], None] = log
) -> dict[str, int]:
    """Into the current (migrated) database: the demo organisation unless it is there, then about
    ``records`` service records of the ``days`` before today (two years) over it; the rollups rebuilt
    and the bad ratings attributed (``causes_refresh``, as its ten-minute job does: the attribution pages
    are measured with their rows)."""
    from django.utils import timezone

    from haochaping.analytics.rollups import rollup_rebuild
    from haochaping.demo import data
    from haochaping.demo.seed import demo_is_seeded, seed_demo
    from haochaping.insight.attribution.services import causes_refresh
    from haochaping.organizations.models import Membership, Role, Unit

    started = time.perf_counter()
    if not demo_is_seeded():
        seed_demo(months=DEMO_MONTHS, scale=DEMO_SCALE, out=lambda _line: None)
    out(f"  demo organisation: {time.perf_counter() - started:.0f} s")
    root = Unit.objects.get(code=data.DISTRICT_CODE).path
    members = Membership.objects.filter(role=Role.OPERATOR, unit__path__startswith=root).order_by("pk")
    operator = members.values_list("user__username", flat=True)[0]
    today = timezone.localdate()
    ratings = max(1, round(records / analytics.RECORDS_PER_RATING))
    rows = analytics.generate(
        ratings,
        seed,
        existing=lambda rng: analytics.District.read(root, operator, rng),
        first=today - dt.timedelta(days=days),
        last=today - dt.timedelta(days=1),
        uniform=True,
    )
    started = time.perf_counter()
    rollup_rebuild()
    out(f"  rollup_rebuild(): {time.perf_counter() - started:.0f} s")
    causes = causes_refresh()
    out(f"  causes_refresh(): {causes.created:,} bad ratings attributed in {causes.seconds:.0f} s")
    return {**rows, "causes": causes.created}


# --- the console's pages --------------------------------------------------------------------


@dataclasses.dataclass
class Page:
    name: str  # the URL name in the ``console`` namespace
    route: str  # e.g. "outreach/demands/<int:pk>/"
    arguments: bool

    @property
    def path(self) -> str:
        return f"/console/{self.route}"

    def matcher(self) -> re.Pattern[str]:
        """The page's own paths (its arguments filled with anything they accept)."""
        parts = re.split(r"<(?:(\w+):)?\w+>", self.route)
        pattern = re.escape(parts[0])
        for index in range(1, len(parts), 2):
            pattern += CONVERTER.get(parts[index] or "str", r"[^/]+") + re.escape(parts[index + 1])
        return re.compile(f"^/console/{pattern}$")


def console_pages() -> list[Page]:
    """Every page of the ``console`` namespace, from the URLconf (new pages are found by themselves)."""
    from django.urls import URLPattern, URLResolver, get_resolver

    _prefix, console = get_resolver().namespace_dict["console"]
    pages: list[Page] = []

    def walk(patterns: Iterable[Any], prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and pattern.name and pattern.name not in SKIPPED:
                pages.append(Page(pattern.name, route, "<" in route))

    walk(console.url_patterns, "")
    return pages


def role_accounts(roles: Iterable[str]) -> dict[str, Any]:
    """The first console user of each role (the demo's: 中心督查, 部门管理员, 窗口, 回访员)."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(is_active=True, membership__isnull=False).order_by("pk")
    accounts = {}
    for role in roles:
        user = users.filter(membership__role=role).first()
        if user is not None:
            accounts[role] = user
    return accounts


@dataclasses.dataclass
class Row:
    page: str  # URL name
    url: str
    variant: str  # "", "first", "middle", "last"
    role: str
    status: int | str  # HTTP status, or "error: …", "no sample"
    cold_ms: float | None = None
    warm_ms: float | None = None
    queries: int | None = None
    total: int | None = None  # a list's row count

    @property
    def slow(self) -> bool:
        return self.warm_ms is not None and self.warm_ms >= TARGET_MS

    @property
    def failed(self) -> bool:
        return str(self.status).startswith("error") or (isinstance(self.status, int) and self.status >= 500)


def _request(client, url: str) -> tuple[int | str, bytes, float]:
    started = time.perf_counter()
    try:
        response = client.get(url)
        # (the client closes the response; once more would send request_finished and close the
        # database connection, a test's transaction with it)
        body = b"".join(response.streaming_content) if response.streaming else response.content
    except Exception as exc:  # a page's failure is a result
        return f"error: {type(exc).__name__}: {exc}"[:200], b"", time.perf_counter() - started
    return response.status_code, body, time.perf_counter() - started


def _go_cold() -> None:
    """A new database connection (not inside a transaction: a test's) and empty caches (the
    sessions are in the database)."""
    from django.conf import settings
    from django.core.cache import caches
    from django.db import connection, connections

    if not connection.in_atomic_block:
        connections.close_all()
    if "cache" not in settings.SESSION_ENGINE:
        for cache in caches.all():
            cache.clear()


def measure(client, page: str, url: str, role: str, variant: str, runs: int) -> tuple[Row, str]:
    """One URL as one role: cold, then warm (median of ``runs`` after one warm-up), queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _go_cold()
    status, body, cold = _request(client, url)
    row = Row(page, url, variant, role, status, cold_ms=cold * 1000)
    if status != 200:
        return row, ""
    _request(client, url)
    times = []
    for _ in range(runs):
        times.append(_request(client, url)[2])
    with CaptureQueriesContext(connection) as queries:
        _request(client, url)
    row.warm_ms, row.queries = statistics.median(times) * 1000, len(queries)
    text = body.decode("utf-8", "replace")
    pager = PAGER.search(text)
    if pager:
        row.total = int(pager.group(1).replace(",", ""))
    return row, text


def run_pages(
    *, roles: Iterable[str] = ROLES, only: str = "", runs: int = 3, out: Callable[[str], None] = log
) -> list[Row]:
    """Every console page (``only``: whose name or route contains it) as each role."""
    from django.test import Client

    pages = [p for p in console_pages() if only in p.name or only in p.route]
    rows: list[Row] = []
    for role, user in role_accounts(roles).items():
        client = Client()
        client.force_login(user)
        hrefs: list[str] = []
        started = time.perf_counter()
        paged: set[str] = set()
        # Exports after the pages: the export of a paged list is left to ``export_largest``.
        for page in sorted((p for p in pages if not p.arguments), key=lambda p: p.name.endswith("_export")):
            if page.name.endswith("_export") and page.name.removesuffix("_export") in paged:
                rows.append(Row(page.name, page.path, "", role, "list export: see the export below"))
                continue
            row, text = measure(client, page.name, page.path, role, "", runs)
            rows.append(row)
            hrefs += [html.unescape(h) for h in HREF.findall(text)]
            pager = PAGER.search(text)
            last = int(pager.group(3)) if pager and pager.group(3) else 1
            if pager:
                paged.add(page.name)
            if last > 1:
                row.variant = "first"
                for variant, number in (("middle", (last + 1) // 2), ("last", last)):
                    if variant == "middle" and number in (1, last):
                        continue
                    rows.append(measure(client, page.name, f"{page.path}?page={number}", role, variant, runs)[0])
        for page in (p for p in pages if p.arguments):
            matcher = page.matcher()
            sample = next((h for h in hrefs if matcher.match(h)), None)
            if sample is None:
                rows.append(Row(page.name, page.path, "", role, "no sample"))
                continue
            rows.append(measure(client, page.name, sample, role, "", runs)[0])
        out(f"  {role} ({user.get_username()}): {time.perf_counter() - started:.0f} s")
    return rows


def export_largest() -> dict[str, Any]:
    """The service records' Excel export as the supervisor, the latest ``EXPORT_ROWS`` (by 起始日期):
    seconds, rows written (the export's audit event), resident memory growth."""
    from django.db.models import F
    from django.test import Client
    from django.utils import timezone

    from haochaping.audit.models import AuditEvent
    from haochaping.service_records.models import ServiceRecord

    user = role_accounts(["supervisor"])["supervisor"]
    client = Client()
    client.force_login(user)
    url = "/console/records/export/"
    if ServiceRecord.objects.count() > EXPORT_ROWS:  # from the day after the EXPORT_ROWS-th latest record's
        latest = ServiceRecord.objects.order_by(F("created_at").desc()).values_list("created_at", flat=True)
        since = timezone.localtime(latest[EXPORT_ROWS - 1]).date() + dt.timedelta(days=1)
        url += f"?date_from={since:%Y-%m-%d}"
    _go_cold()
    (status, body, _seconds), seconds, growth = analytics.with_peak_memory(lambda: _request(client, url))
    event = AuditEvent.objects.filter(action="service_records:service_record:exported").order_by("-pk").first()
    rows = (event.data or {}).get("rows") if event else None
    return {"url": url, "status": status, "seconds": seconds, "bytes": len(body), "rows": rows,
            "rss_growth_mib": growth / 2**20}  # fmt: skip


# --- the table ------------------------------------------------------------------------------


def table(rows: list[Row], records: int, title: str = "") -> str:
    """The markdown table of the timed pages, then the pages not timed (by why)."""
    lines = [title] if title else []
    lines += [
        "| page | role | records | warm ms | cold ms | queries |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        if row.warm_ms is None:
            continue
        label = f"`{row.url}`" + (f" ({row.variant} of {row.total:,})" if row.variant and row.total else "")
        warm = f"{row.warm_ms:,.0f}" + (" **≥ 300**" if row.slow else "")
        lines.append(f"| {label} | {row.role} | {records:,} | {warm} | {row.cold_ms:,.0f} | {row.queries} |")
    untimed: dict[tuple[str, str], list[str]] = {}
    for row in rows:
        if row.warm_ms is None:
            why = str(row.status) if not row.failed else f"ERROR {row.status}"
            untimed.setdefault((why, row.role), []).append(row.url)
    if untimed:
        lines.append("")
        lines.append("Not timed (302: redirect, 403/404: not the role's, 405: POST only, no sample: no link to one):")
        for (why, role), where in sorted(untimed.items()):
            lines.append(f"- {why} ({role}): " + ", ".join(where))
    slow = sum(1 for r in rows if r.slow)
    timed = sum(1 for r in rows if r.warm_ms is not None)
    lines.append("")
    lines.append(f"{timed} requests timed, {slow} at or over {TARGET_MS} ms warm, "
                 f"{sum(1 for r in rows if r.failed)} errors")  # fmt: skip
    return "\n".join(lines)


# --- main -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default=os.environ.get("BENCH_DB", "sqlite"))
    parser.add_argument("--records", type=int, help="service records (default: SQLite 1 million, PostgreSQL 5 million)")
    parser.add_argument("--keep", action="store_true", help="reuse the database a previous run grew to this size")
    parser.add_argument("--roles", default=",".join(ROLES), help="comma-separated roles (default: all)")
    parser.add_argument("--pages", default="", help="only pages whose URL name or route contains this text")
    parser.add_argument("--runs", type=int, default=3, help="warm requests per page (median)")
    parser.add_argument("--no-export", action="store_true", help="do not time the Excel export")
    parser.add_argument("--json", type=Path, help="write the rows here as JSON")
    parser.add_argument("--drop", action="store_true", help="drop the grown database at the end")
    options = parser.parse_args()
    records = options.records or (5_000_000 if options.db == "postgres" else 1_000_000)
    where = {"pg_name": PG_NAME, "sqlite_path": SQLITE_PATH}

    os.environ.update(
        DATABASE_URL=analytics.database_url(options.db, **where), HAOCHAPING_DEMO="1",
        HAOCHAPING_LOG_LEVEL="ERROR", DJANGO_SETTINGS_MODULE="haochaping.settings",
    )  # fmt: skip
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    log(f"console pages benchmark: {options.db}, {records:,} records, {os.cpu_count()} cores")
    meta = analytics.meta_get() if options.keep and analytics.database_exists(options.db, **where) else {}
    if meta.get("records") != str(records) or meta.get("pages_version") != GENERATOR_VERSION:
        if options.keep:
            log("--keep: no grown database of this size: growing one")
        analytics.check_disk(options.db, round(records / analytics.RECORDS_PER_RATING))
        connections.close_all()  # before the file or database it reads is removed
        analytics.database_create(options.db, **where)
        call_command("migrate", verbosity=0, interactive=False)
        started = time.perf_counter()
        rows = grow(records)
        growth = time.perf_counter() - started
        analytics.meta_set(records=records, pages_version=GENERATOR_VERSION, growth=f"{growth:.0f}",
                           rows=";".join(f"{k}={v}" for k, v in rows.items()))  # fmt: skip
    else:
        call_command("migrate", verbosity=0, interactive=False)
        growth = float(meta["growth"])
        rows = {k: int(v) for k, v in (part.split("=") for part in meta["rows"].split(";"))}
    log(f"growth: {growth:.0f} s; " + ", ".join(f"{k} {v:,}" for k, v in rows.items()))
    log(f"database size: {analytics.database_size(SQLITE_PATH)}")

    import haochaping.wsgi  # noqa: F401  (the app warmed up as a server worker starts)

    log("timing the console pages ...")
    roles = [r.strip() for r in options.roles.split(",") if r.strip()]
    results = run_pages(roles=roles, only=options.pages, runs=options.runs)
    export = None if options.no_export else export_largest()
    print()
    title = f"{options.db}, {records:,} records ({rows.get('ratings', 0):,} ratings), {dt.date.today():%Y-%m-%d}"
    print(table(results, records, title))
    if export:
        print(f"\nExcel export {export['url']} (supervisor): {export['status']}, {export['rows']} rows, "
              f"{export['seconds']:.1f} s, {export['bytes'] / 2**20:.1f} MiB, "
              f"resident memory +{export['rss_growth_mib']:.0f} MiB")  # fmt: skip
    if options.json:
        options.json.write_text(json.dumps(
            {"db": options.db, "records": records, "rows": rows, "export": export,
             "pages": [dataclasses.asdict(r) for r in results]}, ensure_ascii=False, indent=1))  # fmt: skip
    if options.drop:
        analytics.database_drop(options.db, **where)
        print("database dropped (--drop)")
    else:
        print(f"database kept: rerun with --keep (--drop to remove it); {analytics.database_size(SQLITE_PATH)}")
    if any(r.failed for r in results) or (export and export["status"] != 200):
        sys.exit(1)


if __name__ == "__main__":
    main()
