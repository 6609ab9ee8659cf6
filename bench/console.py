"""Console page times on the demo data, cold (first hit in a fresh process) and warm.

Run on demand (not in CI), after ``make demo``'s seed (``haochaping seed-demo``)::

    HAOCHAPING_DEMO=1 .venv/bin/python bench/console.py            # every page, 10 warm hits
    HAOCHAPING_DEMO=1 .venv/bin/python bench/console.py --warm 30 --only suggestions

Each page runs in its own fresh Python process that starts the app the way a server worker
does (``import haochaping.wsgi``, timed as "start"), signs in (``force_login``: the password
hash is timed once, in the "login" row) and then calls Django's WSGI handler in-process: the
first request is "cold" (first hit of this page in a process), the median of the next ``--warm``
requests is "warm"; "queries" is the warm request's query count. No HTTP server, no browser:
the figures are the server's share of a page load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

SUPERVISOR, OPERATOR, CLERK = "zhongxin", "huifang", "chuangkou"
ADMIN = "gly-*"  # the department admin with the most open cases
# (name, user, path): {case} and {evaluation} are filled with one the user can see.
PAGES = [
    ("home", SUPERVISOR, "/console/"),
    ("home (admin)", ADMIN, "/console/"),
    ("records", SUPERVISOR, "/console/records/"),
    ("evaluations", SUPERVISOR, "/console/evaluations/"),
    ("evaluation", SUPERVISOR, "/console/evaluations/{evaluation}/"),
    ("qr", SUPERVISOR, "/console/qr/"),
    ("devices", SUPERVISOR, "/console/devices/"),
    ("inbox", SUPERVISOR, "/console/inbox/"),
    ("message-templates", SUPERVISOR, "/console/message-templates/"),
    ("cases", SUPERVISOR, "/console/cases/"),
    ("cases (admin)", ADMIN, "/console/cases/"),
    ("cases review", SUPERVISOR, "/console/cases/?tab=review"),
    ("case", ADMIN, "/console/cases/{case}/"),
    ("cases summary", SUPERVISOR, "/console/cases/summary/"),
    ("outreach workbench", OPERATOR, "/console/outreach/"),
    ("outreach tasks", OPERATOR, "/console/outreach/tasks/"),
    ("outreach demands", SUPERVISOR, "/console/outreach/demands/"),
    ("suggestions", SUPERVISOR, "/console/outreach/suggestions/"),
    ("categories", SUPERVISOR, "/console/outreach/categories/"),
    ("outreach reports", SUPERVISOR, "/console/outreach/reports/"),
    ("home (clerk)", CLERK, "/console/"),
]


def child(user: str, path: str, warm: int) -> dict:
    started = time.perf_counter()
    import haochaping.wsgi  # noqa: F401  (what a server worker imports at start)

    start = time.perf_counter() - started
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Count, Q
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from haochaping.rectification.models import RectificationCase

    users = get_user_model().objects
    if user == ADMIN:
        open_cases = Count("membership__unit__cases", filter=Q(membership__unit__cases__closed_at=None))
        account = users.filter(username__startswith="gly-").annotate(n=open_cases).order_by("-n")[0]
    else:
        account = users.get(username=user)
    unit = account.membership.unit
    case = RectificationCase.objects.filter(unit=unit).order_by("-pk").first() if "{case}" in path else None
    evaluation_id = None
    if "{evaluation}" in path:
        from haochaping.evaluations.models import Evaluation

        evaluation_id = Evaluation.objects.order_by("-pk").values_list("pk", flat=True)[0]
    path = path.format(case=case.pk if case else 0, evaluation=evaluation_id)
    client = Client()
    client.force_login(account)

    def hit() -> float:
        t = time.perf_counter()
        response = client.get(path)
        elapsed = time.perf_counter() - t
        assert response.status_code == 200, (path, response.status_code)
        return elapsed

    cold = hit()
    times = [hit() for _ in range(warm)]
    with CaptureQueriesContext(connection) as queries:
        hit()
    return {"start": start, "cold": cold, "warm": statistics.median(times), "queries": len(queries), "path": path}


def login_child() -> dict:
    """The sign-in POST itself (password hash, session) and the first page after it."""
    from django.test import Client

    import haochaping.wsgi  # noqa: F401
    from haochaping.demo.data import DEMO_PASSWORD

    client = Client()
    client.get("/console/login/")
    t = time.perf_counter()
    response = client.post("/console/login/", {"username": SUPERVISOR, "password": DEMO_PASSWORD})
    post = time.perf_counter() - t
    assert response.status_code == 302, response.status_code
    t = time.perf_counter()
    landing = client.get(response["Location"])
    first = time.perf_counter() - t
    assert landing.status_code == 200
    return {"post": post, "first": first, "path": response["Location"]}


def run(args: list[str]) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "haochaping.settings", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([PY, __file__, *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if out.returncode:
        raise SystemExit(f"{args}: {out.stderr.strip().splitlines()[-1] if out.stderr.strip() else out.returncode}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warm", type=int, default=10, help="warm requests per page (median)")
    parser.add_argument("--only", default="", help="pages whose name contains this text")
    parser.add_argument("--child", nargs=2, metavar=("USER", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--login-child", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        print(json.dumps(child(*options.child, options.warm)))
        return
    if options.login_child:
        print(json.dumps(login_child()))
        return

    print(f"{'page':<20} {'path':<36} {'start ms':>8} {'cold ms':>8} {'warm ms':>8} {'queries':>7}")
    for name, user, path in PAGES:
        if options.only not in name:
            continue
        r = run(["--child", user, path, "--warm", str(options.warm)])
        print(f"{name:<20} {r['path']:<36} {r['start'] * 1000:>8.0f} {r['cold'] * 1000:>8.0f} "
              f"{r['warm'] * 1000:>8.1f} {r['queries']:>7}")  # fmt: skip
    if options.only in "login":
        r = run(["--login-child"])
        print(f"\nlogin POST {r['post'] * 1000:.0f} ms, then {r['path']} cold {r['first'] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
