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
4. times the Excel exports of the largest lists (service records, ratings, cases: the latest
   10,000 and ``EXPORT_ROWS``) with the peak resident memory of the process while each runs
   (``export_timings``; ``--exports-only`` skips the pages).

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

PG_NAME = os.environ.get("BENCH_PAGES_PG_NAME", "bench_pages")  # another name: a second grown database beside it
SQLITE_PATH = ROOT / "var" / "bench-pages.sqlite3"
GENERATOR_VERSION = "2"  # 2: the bad ratings' causes (差评归因) filled
TARGET_MS = 300
YEARS_OF_DAYS = 730
DEMO_MONTHS, DEMO_SCALE = 1, 0.05  # the demo's own traffic: a few dozen services (its organisation is the point)
ROLES = ("supervisor", "dept_admin", "window_clerk", "operator", "auditor")
EXPORT_ROWS = 100_000
SKIPPED = {"logout"}  # a GET would end the session the next pages need
# 共 <strong>N</strong> 条，第 x / y 页; over the count cap (core.pages.paging.COUNT_CAP):
# 共 <strong>cap</strong> 条以上，第 x / y+ 页 (y: the pages up to the cap), or ，末页 (?page=last).
# A capped list's middle page is the middle of its numbered pages, its last ?page=last (末页);
# the table shows its total as cap+ (10,000+).
PAGER = re.compile(r"共 <strong>([\d,]+)</strong> 条(以上)?(?:，(?:第 (\d+) / (\d+)\+? 页|末页))?")
HREF = re.compile(r'href="([^"#?]+)')
CONVERTER = {"int": r"\d+", "slug": r"[-a-zA-Z0-9_]+", "str": r"[^/]+", "path": r".+", "uuid": r"[-0-9a-f]{36}"}


def log(message: str) -> None:
    print(message, flush=True)


# --- growing the database -------------------------------------------------------------------


CITY_ACCOUNTS = "city-"  # the username prefix of the accounts in a generated city-sized organisation


def city_district(rng) -> analytics.District:
    """A city-sized organisation (``bench/analytics.py``'s: 300 units, 2,052 windows, 5,000 staff,
    3,000 items) beside the demo district, with one console account of each role in it (created by
    the real service): the supervisor, operator and auditor at its root, a department admin of its
    first department and a window clerk linked to that department's first staff member."""
    from haochaping.audit.services import Actor
    from haochaping.organizations.models import Role, Staff, Unit
    from haochaping.organizations.services import console_user_create

    district = analytics.District(rng)
    root = Unit.objects.get(pk=district.district_id)
    department = Unit.objects.get(pk=district.unit_ids[1])
    clerk = Staff.objects.filter(unit=department).order_by("pk").first()
    for role in ROLES:
        console_user_create(
            actor=Actor.cli("bench"), username=f"{CITY_ACCOUNTS}{role}", password=None,
            unit=department if role in (Role.DEPT_ADMIN, Role.WINDOW_CLERK) else root, role=role,
            staff=clerk if role == Role.WINDOW_CLERK else None, display_name=f"基准{role}",
        )  # fmt: skip
    return district


def vacuum_rollups() -> None:
    """PostgreSQL: VACUUM ANALYZE the rollup tables just written, as autovacuum does on a live
    server within minutes (their visibility maps are what lets the covering indexes be read
    without the table: index-only scans)."""
    from django.apps import apps
    from django.db import connection

    if connection.vendor != "postgresql" or connection.in_atomic_block:  # (a test's transaction: no VACUUM there)
        return
    with connection.cursor() as cursor:
        for model in apps.get_app_config("analytics").get_models():
            if model.__name__.endswith(("Day", "Month")):  # ServiceDay … BacklogDay, the month totals: the rollups
                cursor.execute(f'VACUUM ANALYZE "{model._meta.db_table}"')
        # And any table a migration since the growth rewrote (a column filled in every row): its
        # dead rows and missing statistics would be autovacuum's work within minutes on a server.
        cursor.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE n_dead_tup > 1000 AND n_dead_tup > n_live_tup / 10"
        )
        for (table,) in cursor.fetchall():
            log(f"VACUUM ANALYZE {table} (rewritten since the growth)")
            cursor.execute(f'VACUUM ANALYZE "{table}"')


def grow(
    records: int,
    *,
    org: str = "demo",
    days: int = YEARS_OF_DAYS,
    seed: int = 20261207,
    out: Callable[[str], None] = log,
) -> dict[str, int]:
    """Into the current (migrated) database: the demo organisation unless it is there (and with
    ``org="city"`` a city-sized one beside it, ``city_district``), then about ``records`` service
    records of the ``days`` before today (two years) over the demo's or the city's organisation;
    the rollups rebuilt and the bad ratings attributed (``causes_refresh``, as its ten-minute job
    does: the attribution pages are measured with their rows)."""
    from django.utils import timezone

    from haochaping.analytics.models import RollupRun
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
        existing=city_district if org == "city" else lambda rng: analytics.District.read(root, operator, rng),
        first=today - dt.timedelta(days=days),
        last=today - dt.timedelta(days=1),
        uniform=True,
    )
    started = time.perf_counter()
    rollup_rebuild()
    # Nothing else wrote while the bench grew: the rebuild's marks cover every row. A refresh
    # (``--keep``) then starts from them, not from the seed's run before the growth, which it
    # would take within the rollup lag (``rollups._since``) and recompute two years from.
    newest = RollupRun.objects.order_by("-started_at", "-id").values_list("id", flat=True)[:1]
    RollupRun.objects.exclude(id__in=list(newest)).delete()
    vacuum_rollups()
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


def role_accounts(roles: Iterable[str], org: str = "demo") -> dict[str, Any]:
    """The first console user of each role: the demo's (中心督查, 部门管理员, 窗口, 回访员), or with
    ``org="city"`` the city-sized organisation's (``city_district``)."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(is_active=True, membership__isnull=False).order_by("pk")
    users = users.filter(username__startswith=CITY_ACCOUNTS) if org == "city" else users
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
    capped: bool = False  # the list has more rows than the count cap: ``total`` is the cap

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
        row.total, row.capped = int(pager.group(1).replace(",", "")), bool(pager.group(2))
    return row, text


def run_pages(
    *, roles: Iterable[str] = ROLES, org: str = "demo", only: str = "", runs: int = 3, out: Callable[[str], None] = log
) -> list[Row]:
    """Every console page (``only``: whose name or route contains it) as each role."""
    from django.test import Client

    texts = [text for text in only.split(",") if text] or [""]
    pages = [p for p in console_pages() if any(t in p.name or t in p.route for t in texts)]
    rows: list[Row] = []
    for role, user in role_accounts(roles, org).items():
        client = Client()
        client.force_login(user)
        hrefs: list[str] = []
        started = time.perf_counter()
        # Exports after the pages: the exports of ``EXPORTS`` (lists of up to millions of rows)
        # are left to ``export_timings``; the others (a paged table of places, a summary) timed here.
        timed_apart = {url.split("?")[0] for _name, url, *_rest in EXPORTS}
        for page in sorted((p for p in pages if not p.arguments), key=lambda p: p.name.endswith("_export")):
            if page.path in timed_apart:
                rows.append(Row(page.name, page.path, "", role, "list export: see the export below"))
                continue
            row, text = measure(client, page.name, page.path, role, "", runs)
            rows.append(row)
            hrefs += [html.unescape(h) for h in HREF.findall(text)]
            pager = PAGER.search(text)
            numbered = int(pager.group(4)) if pager and pager.group(4) else 1  # (a capped list's: up to the cap)
            if numbered > 1:
                row.variant = "first"
                middle, last = (numbered + 1) // 2, "last" if row.capped else str(numbered)
                for variant, number in (("middle", str(middle)), ("last", last)):
                    if variant == "middle" and number in ("1", last):
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


# The console's list exports timed by ``export_timings``: (name, URL, model, date field the
# list's ``date_from`` filters on, audit action of the export).
EXPORTS = (
    ("records", "/console/records/export/", "service_records.ServiceRecord", "created_at",
     "service_records:service_record:exported"),
    ("evaluations", "/console/evaluations/export/", "evaluations.Evaluation", "evaluated_at",
     "evaluations:evaluation:exported"),
    ("cases", "/console/cases/export/?tab=all", "rectification.RectificationCase", "opened_at",
     "rectification:case:exported"),
)  # fmt: skip
EXPORT_SIZES = (10_000, EXPORT_ROWS)


class PeakMemory:
    """The peak resident memory of this process while a block runs: the kernel's high-water
    mark (``VmHWM``) reset first (``5`` into ``/proc/self/clear_refs``), and also ``VmRSS``
    sampled every 10 ms (where the reset is refused, the sampled peak is the figure)."""

    def __enter__(self) -> PeakMemory:
        import threading

        self.base = _status_kib("VmRSS")
        try:
            Path("/proc/self/clear_refs").write_text("5")
            self.resettable = True
        except OSError:
            self.resettable = False
        self.sampled = self.base
        self._done = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()
        return self

    def _sample(self) -> None:
        while not self._done.wait(0.01):
            self.sampled = max(self.sampled, _status_kib("VmRSS"))

    def __exit__(self, *_exc: object) -> None:
        self._done.set()
        self._sampler.join()
        self.sampled = max(self.sampled, _status_kib("VmRSS"))
        self.peak = max(self.sampled, _status_kib("VmHWM")) if self.resettable else self.sampled

    @property
    def peak_mib(self) -> float:
        return self.peak / 1024

    @property
    def growth_mib(self) -> float:
        return (self.peak - self.base) / 1024


def _status_kib(field: str) -> int:
    """A ``kB`` line of ``/proc/self/status`` (``VmRSS``, ``VmHWM``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def _download(client, url: str) -> tuple[int | str, int]:
    """GET ``url`` and read the answer through as a browser would, keeping none of it: (status, bytes)."""
    try:
        response = client.get(url)
        if not response.streaming:
            return response.status_code, len(response.content)
        return response.status_code, sum(len(block) for block in response.streaming_content)
    except Exception as exc:  # an export's failure is a result
        return f"error: {type(exc).__name__}: {exc}"[:200], 0


def export_timings(sizes: Iterable[int] = EXPORT_SIZES, lists: str = "", org: str = "demo") -> list[dict[str, Any]]:
    """Each list export (``lists``: comma-separated names of ``EXPORTS``, all when empty) as the
    supervisor, for about each of ``sizes`` latest rows (``?date_from=`` the day after the
    size-th latest row's; all rows when there are fewer): seconds, rows written (the export's
    audit event), bytes, peak resident memory of the process while it runs and its growth over
    the memory before. The same peak at 10,000 and 100,000 rows is flat memory."""
    from django.apps import apps
    from django.db.models import F
    from django.test import Client
    from django.utils import timezone

    from haochaping.audit.models import AuditEvent

    user = role_accounts(["supervisor"], org)["supervisor"]
    client = Client()
    client.force_login(user)
    wanted = {name.strip() for name in lists.split(",") if name.strip()}
    results = []
    for name, url, label, field, action in EXPORTS:
        if wanted and name not in wanted:
            continue
        model = apps.get_model(label)
        count = model.objects.count()
        _download(client, url + ("&" if "?" in url else "?") + "date_from=2999-01-01")  # warm: imports, caches
        for size in sorted(set(sizes)):
            target = url
            if count > size:  # from the day after the size-th latest row's
                latest = model.objects.order_by(F(field).desc()).values_list(field, flat=True)
                since = timezone.localtime(latest[size - 1]).date() + dt.timedelta(days=1)
                target += ("&" if "?" in url else "?") + f"date_from={since:%Y-%m-%d}"
            _go_cold()
            started = time.perf_counter()
            with PeakMemory() as memory:
                status, size_bytes = _download(client, target)
            seconds = time.perf_counter() - started
            event = AuditEvent.objects.filter(action=action).order_by("-pk").first()
            rows = (event.data or {}).get("rows") if event else None
            results.append({"list": name, "url": target, "status": status, "rows": rows, "seconds": seconds,
                            "rows_per_second": rows / seconds if rows and seconds else None, "bytes": size_bytes,
                            "peak_rss_mib": memory.peak_mib, "rss_growth_mib": memory.growth_mib,
                            "peak_from": "VmHWM" if memory.resettable else "sampled VmRSS"})  # fmt: skip
            if count <= size:
                break  # a larger size would export the same rows
    return results


def export_table(exports: list[dict[str, Any]]) -> str:
    lines = [
        "| export (supervisor) | rows | seconds | rows/s | MiB | peak RSS MiB | growth MiB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for e in exports:
        if e["status"] != 200:
            lines.append(f"| `{e['url']}` | {e['status']} | | | | | |")
            continue
        lines.append(f"| `{e['url']}` | {e['rows']:,} | {e['seconds']:.1f} | {e['rows_per_second'] or 0:,.0f} | "
                     f"{e['bytes'] / 2**20:.1f} | {e['peak_rss_mib']:.0f} | +{e['rss_growth_mib']:.0f} |")  # fmt: skip
    if exports:
        lines.append(f"(peak resident memory of the whole process while the export runs: {exports[0]['peak_from']})")
    return "\n".join(lines)


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
        total = f"{row.total:,}{'+' if row.capped else ''}" if row.total else ""
        label = f"`{row.url}`" + (f" ({row.variant} of {total})" if row.variant and total else "")
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
    parser.add_argument("--org", choices=("demo", "city"), default="demo",
                        help="whose organisation the records go to: the demo district's (26 units, 41 staff) or a "
                             "city-sized one (300 units, 2,052 windows, 5,000 staff, 3,000 items)")  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="reuse the database a previous run grew to this size")
    parser.add_argument("--roles", default=",".join(ROLES), help="comma-separated roles (default: all)")
    parser.add_argument("--pages", default="", help="only pages whose name or route has one of these (comma-separated)")
    parser.add_argument("--runs", type=int, default=3, help="warm requests per page (median)")
    parser.add_argument("--no-export", action="store_true", help="do not time the Excel exports")
    parser.add_argument("--exports-only", action="store_true", help="time the Excel exports, not the pages")
    parser.add_argument("--exports", default="", help="comma-separated exports to time: records,evaluations,cases")
    parser.add_argument("--export-sizes", default=",".join(map(str, EXPORT_SIZES)),
                        help="rows per export (the latest), comma-separated (default: %(default)s)")  # fmt: skip
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
    grown = (meta.get("records"), meta.get("pages_version"), meta.get("org", "demo"))
    if grown != (str(records), GENERATOR_VERSION, options.org):
        if options.keep:
            log("--keep: no grown database of this size: growing one")
        analytics.check_disk(options.db, round(records / analytics.RECORDS_PER_RATING))
        connections.close_all()  # before the file or database it reads is removed
        analytics.database_create(options.db, **where)
        call_command("migrate", verbosity=0, interactive=False)
        started = time.perf_counter()
        rows = grow(records, org=options.org)
        growth = time.perf_counter() - started
        analytics.meta_set(records=records, pages_version=GENERATOR_VERSION, org=options.org, growth=f"{growth:.0f}",
                           rows=";".join(f"{k}={v}" for k, v in rows.items()))  # fmt: skip
    else:
        call_command("migrate", verbosity=0, interactive=False)
        from haochaping.analytics.rollups import rollup_refresh

        rollup_refresh()  # as the minute job would after an upgrade: a rollup table new since the growth is built whole
        vacuum_rollups()
        growth = float(meta["growth"])
        rows = {k: int(v) for k, v in (part.split("=") for part in meta["rows"].split(";"))}
    log(f"growth: {growth:.0f} s; " + ", ".join(f"{k} {v:,}" for k, v in rows.items()))
    log(f"database size: {analytics.database_size(SQLITE_PATH)}")

    import haochaping.wsgi  # noqa: F401  (the app warmed up as a server worker starts)

    log("timing the console pages ...")
    roles = [r.strip() for r in options.roles.split(",") if r.strip()]
    results = (
        [] if options.exports_only else run_pages(roles=roles, org=options.org, only=options.pages, runs=options.runs)
    )
    sizes = [int(size) for size in options.export_sizes.split(",") if size.strip()]
    exports = [] if options.no_export else export_timings(sizes, options.exports, options.org)
    print()
    title = (f"{options.db}, {options.org} organisation, {records:,} records ({rows.get('ratings', 0):,} ratings), "
             f"{dt.date.today():%Y-%m-%d}")  # fmt: skip
    print(table(results, records, title))
    if exports:
        print("\nExcel exports of the lists:")
        print(export_table(exports))
    if options.json:
        options.json.write_text(json.dumps(
            {"db": options.db, "records": records, "rows": rows, "exports": exports,
             "pages": [dataclasses.asdict(r) for r in results]}, ensure_ascii=False, indent=1))  # fmt: skip
    if options.drop:
        analytics.database_drop(options.db, **where)
        print("database dropped (--drop)")
    else:
        print(f"database kept: rerun with --keep (--drop to remove it); {analytics.database_size(SQLITE_PATH)}")
    if any(r.failed for r in results) or any(e["status"] != 200 for e in exports):
        sys.exit(1)


if __name__ == "__main__":
    main()
