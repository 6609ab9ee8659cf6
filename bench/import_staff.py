"""Time the Excel import of 5,000 staff rows (issue 15: under 10 s), dry run and real run.

Run on demand, never in CI; it builds its own throwaway database (SQLite in a temporary
directory, or the PostgreSQL database of ``DATABASE_URL``, which it migrates and fills)::

    .venv/bin/python bench/import_staff.py                 # SQLite, 5,000 rows
    .venv/bin/python bench/import_staff.py --rows 20000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_import .venv/bin/python bench/import_staff.py

Prints the seconds of: building the file (not part of the import), the dry run (read + validate),
the import (validate again + write + audit, one transaction) and the re-import (nothing changes).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        os.environ["HAOCHAPING_VAR_DIR"] = tempfile.mkdtemp(prefix="bench-import-")
    os.environ.setdefault("HAOCHAPING_DEMO", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "haochaping.settings")
    import django

    django.setup()
    import openpyxl
    from django.core.management import call_command

    from haochaping.audit.services import Actor
    from haochaping.organizations.imports import import_apply, import_plan
    from haochaping.organizations.models import Role, Unit, UnitKind
    from haochaping.organizations.selectors import Scope
    from haochaping.organizations.services import unit_create, window_create

    call_command("migrate", verbosity=0)
    actor = Actor.cli("bench")
    root = Unit.objects.filter(parent__isnull=True).first() or unit_create(
        actor=actor, code="B410404", name="基准区", kind=UnitKind.DISTRICT
    )
    units = []
    for n in range(20):
        code = f"BENCH-D{n:02d}"
        unit = Unit.objects.filter(code=code).first() or unit_create(
            actor=actor, code=code, name=f"基准部门{n}", kind=UnitKind.DEPARTMENT, parent=root
        )
        if not unit.windows.exists():
            window_create(actor=actor, code=f"{code}-W1", name="综合窗口", unit=unit)
        units.append(code)
    started = time.perf_counter()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["工号", "姓名", "所属单位编码", "窗口编码", "在岗"])
    for n in range(args.rows):
        unit = units[n % len(units)]
        sheet.append([f"BENCH{n:06d}", f"人员{n}", unit, f"{unit}-W1", "是"])
    out = io.BytesIO()
    book.save(out)
    content = out.getvalue()
    built = time.perf_counter() - started
    scope = Scope(unit_path="/", role=Role.SUPERVISOR)

    def timed(label, fn):
        t0 = time.perf_counter()
        plan = fn()
        print(f"{label:<28}{time.perf_counter() - t0:7.2f} s   {plan.counts}  errors {len(plan.errors)}")

    print(f"{args.rows} staff rows, {len(content) // 1024} KB, database {django.db.connection.vendor}")
    print(f"{'build the file':<28}{built:7.2f} s")
    timed("dry run (validate)", lambda: import_plan(kind="staff", content=content, scope=scope))
    timed("import (validate + write)", lambda: import_apply(actor=actor, kind="staff", content=content, scope=scope))
    timed("re-import (no change)", lambda: import_apply(actor=actor, kind="staff", content=content, scope=scope))


if __name__ == "__main__":
    main()
