"""Attribution refresh benchmark: ``insight.attribution.services.causes_refresh`` over generated
bad ratings (差评归因分析).

Run on demand (not in CI)::

    .venv/bin/python bench/causes.py                       # SQLite, 100,000 bad ratings
    .venv/bin/python bench/causes.py --ratings 20000       # a quick look
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hcp_bench .venv/bin/python bench/causes.py

It migrates a fresh database (SQLite: a temporary file; PostgreSQL: the empty database named by
``DATABASE_URL``), builds the test organisation, and writes ``--ratings`` bad ratings with their
service records straight into the tables (``bulk_create``): 30 % with the citizen's dimensions and
reasons, 60 % with a text only (the labelled texts of ``evaluations/data/attribution_labelled.jsonl``,
each made unique by a number so that no text is attributed twice: the worst case), 10 % with a
text that matches nothing. Then it times one ``causes_refresh()`` (and a second, idempotent one)
and the attribution page's selectors (shares, heat table, reason ranking, trend, term ranking)
over the district for the year.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratings", type=int, default=100_000)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="bench-causes-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
    os.environ.setdefault("HAOCHAPING_DEMO", "1")
    os.environ["DJANGO_SETTINGS_MODULE"] = "haochaping.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from haochaping.evaluations.models import Evaluation, IndicatorSet
    from haochaping.insight.attribution import selectors as sel
    from haochaping.insight.attribution.services import causes_refresh
    from haochaping.insight.attribution.terms import term_ranking
    from haochaping.service_records.models import ServiceRecord
    from haochaping.testing import build_cast

    call_command("migrate", verbosity=0)
    cast = build_cast()
    rng = random.Random(20261207)
    lines = (ROOT / "haochaping/evaluations/data/attribution_labelled.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines if line.strip()]
    indicator_set = IndicatorSet.objects.get(is_active=True)
    places = [
        (cast.unit_a, cast.item_a, cast.window_a, cast.staff_a),
        (cast.unit_b, cast.item_b, cast.window_b, cast.staff_b),
    ]
    now = timezone.now()
    started = time.monotonic()
    batch = 5000
    for start in range(0, args.ratings, batch):
        records, evaluations = [], []
        for i in range(start, min(start + batch, args.ratings)):
            unit, item, window, staff = places[i % 2]
            records.append(ServiceRecord(
                project_no=f"BENCH{i:09d}", stage="2", item=item, unit=unit, window=window, staff=staff,
                mode="offline", applicant_kind="1", applicant_name="张三", applicant_id_type="111",
                applicant_id_number="410404199001011234", applicant_phone="13812345678", id_index=f"i{i}",
                phone_index=f"p{i}", fingerprint=f"f{i}",
            ))  # fmt: skip
        with transaction.atomic():
            ServiceRecord.objects.bulk_create(records)
            if connection.vendor != "postgresql":  # SQLite returns no ids from bulk_create before 3.35
                ids = dict(
                    ServiceRecord.objects.filter(project_no__startswith="BENCH", id__gt=0)
                    .filter(project_no__in=[r.project_no for r in records])
                    .values_list("project_no", "id")
                )
                for r in records:
                    r.pk = ids[r.project_no]
            for n, record in enumerate(records):
                kind = rng.random()
                dims, reasons, text = {}, [], ""
                if kind < 0.3:
                    dims = {"attitude": 1, "efficiency": rng.choice([1, 2, 4])}
                    reasons = ["XC-TD-B01"]
                elif kind < 0.9:
                    text = f"{rng.choice(texts)}（{start + n}）"
                else:
                    text = f"一般般{start + n}"
                evaluations.append(Evaluation(
                    record=record, unit_id=record.unit_id, staff_id=record.staff_id,
                    level=rng.choice([1, 2]), indicator_set=indicator_set, reasons=reasons,
                    text=text, channel=6, evaluated_at=now - dt.timedelta(minutes=rng.randrange(60 * 24 * 300)),
                    **dims,
                ))  # fmt: skip
            Evaluation.objects.bulk_create(evaluations)
    print(f"generated {args.ratings:,} bad ratings in {time.monotonic() - started:.1f} s ({connection.vendor})")
    result = causes_refresh()
    rate = result.created / result.seconds if result.seconds else 0
    print(
        f"causes_refresh: {result.created:,} causes in {result.seconds:.1f} s = {rate:,.0f} ratings/s "
        f"(citizen {result.citizen:,}, auto {result.auto:,}, none {result.none:,})"
    )
    again = causes_refresh()
    print(f"second causes_refresh (idempotent): {again.created} created in {again.seconds:.2f} s")
    first, last = sel.period_bounds("year", timezone.localdate())
    slice_ = sel.Slice(unit=cast.district, first=first, last=last)
    for name, fn in (
        ("dimension_shares", lambda: sel.dimension_shares(slice_)),
        ("heat_table", lambda: sel.heat_table(slice_)),
        ("reason_ranking", lambda: sel.reason_ranking(slice_)),
        ("dimension_trend", lambda: sel.dimension_trend(slice_)),
        ("term_ranking", lambda: term_ranking(slice_)),
        ("term_ranking (warm)", lambda: term_ranking(slice_)),
    ):
        t = time.monotonic()
        fn()
        print(f"{name}: {(time.monotonic() - t) * 1000:,.0f} ms")


if __name__ == "__main__":
    main()
