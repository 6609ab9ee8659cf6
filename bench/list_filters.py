"""The large console lists with each of their filters, on the database ``bench/pages.py`` grew.

Run on demand (not in CI), after ``bench/pages.py`` has grown its database::

    .venv/bin/python bench/list_filters.py                       # SQLite (var/bench-pages.sqlite3)
    .venv/bin/python bench/list_filters.py --only evaluations --runs 3

Each list (评价记录, 办件服务, 工单, 回访任务, 诉求) is requested as the supervisor with one filter
at a time, the value taken from the data so that the filter matches few rows among many (a staff
member, a window, an item, an old day, a rare channel …): the case an index must serve together
with the list's ordering (docs/architecture.md, "Indexes"). Timings as ``bench/pages.py``: the
warm median of ``--runs`` requests after a warm-up, and the query count.

The database is the one ``bench/pages.py`` kept (``migrate`` is run first, so new indexes are
built on it); nothing is grown here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import analytics, pages  # noqa: E402 (after the path)


def samples() -> dict[str, list[str]]:
    """{list URL: [query string, ...]}: each filter the list offers, with a value from the data."""
    from django.db.models import Count

    from haochaping.outreach.models import CallTask, Demand
    from haochaping.rectification.models import RectificationCase
    from haochaping.service_records.models import ServiceRecord

    def busiest(field: str) -> str:
        """The value of ``field`` with the most services (the largest set to sort)."""
        row = (
            ServiceRecord.objects.exclude(**{f"{field}__isnull": True})
            .values(field)
            .annotate(n=Count("id"))
            .order_by("-n")
            .first()
        )
        return str(row[field]) if row else ""

    record = ServiceRecord.objects.order_by("pk").select_related("window").first()
    assert record is not None, "no grown database: run bench/pages.py first"
    staff_no = busiest("staff__staff_no")
    window_code = busiest("window__code")
    item_code = busiest("item__code")
    system = busiest("system_id")
    old_day = (record.created_at + dt.timedelta(days=30)).date()
    day = f"date_from={old_day:%Y-%m-%d}&date_to={old_day:%Y-%m-%d}"
    case = RectificationCase.objects.order_by("pk").first()
    demand = Demand.objects.order_by("pk").first()
    task_kind = CallTask.objects.values_list("kind", flat=True).order_by("kind").first()
    return {
        "/console/evaluations/": [
            "", f"staff_no={staff_no}", f"window_code={window_code}", f"item_code={item_code}",
            f"project_no={record.project_no}", f"system={system}", "level=bad", "level=1", "channel=6",
            day, "invalid=on",
        ],
        "/console/records/": [
            "", f"staff_no={staff_no}", f"window_code={window_code}", f"item_code={item_code}",
            f"project_no={record.project_no}", day,
        ],
        "/console/cases/": [
            "", "tab=all", f"tab=all&number={case.number if case else ''}", f"tab=all&project_no={record.project_no}",
            f"tab=all&staff_no={staff_no}", f"tab=all&item_code={item_code}", f"tab=all&{day}", "tab=all&level=1",
        ],
        "/console/outreach/tasks/": ["", f"kind={task_kind}", "status=open", "mine=on"],
        "/console/outreach/demands/": ["", f"number={demand.number if demand else ''}", "source=phone"],
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default=os.environ.get("BENCH_DB", "sqlite"))
    parser.add_argument("--only", default="", help="only lists whose URL contains this text")
    parser.add_argument("--runs", type=int, default=3, help="warm requests per URL (median)")
    options = parser.parse_args()
    where = {"pg_name": pages.PG_NAME, "sqlite_path": pages.SQLITE_PATH}
    if not analytics.database_exists(options.db, **where):
        sys.exit("no grown database: run bench/pages.py first (it keeps it)")
    os.environ.update(
        DATABASE_URL=analytics.database_url(options.db, **where), HAOCHAPING_DEMO="1",
        HAOCHAPING_LOG_LEVEL="ERROR", DJANGO_SETTINGS_MODULE="haochaping.settings",
    )  # fmt: skip
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0, interactive=False)
    import haochaping.wsgi  # noqa: F401  (the app warmed up as a server worker starts)

    user = pages.role_accounts(["supervisor"])["supervisor"]
    client = Client()
    client.force_login(user)
    rows = []
    for path, queries in samples().items():
        if options.only not in path:
            continue
        for query in queries:
            url = f"{path}?{query}" if query else path
            row, _ = pages.measure(client, path, url, "supervisor", "", options.runs)
            rows.append(row)
            pages.log(f"  {url}: {row.warm_ms or 0:,.0f} ms warm, {row.queries} queries, status {row.status}")
    records = int(analytics.meta_get().get("records", 0))
    print()
    print(pages.table(rows, records, f"{options.db}, {records:,} records, filtered lists, {dt.date.today():%Y-%m-%d}"))
    if any(r.failed for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
