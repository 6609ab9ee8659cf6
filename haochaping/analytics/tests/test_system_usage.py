"""业务系统 › 使用情况: a known fixture — services pushed by a system on two days, some rated,
error answers — gives exactly these figures."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from haochaping.analytics.rollups import rollup_refresh
from haochaping.organizations.api_auth import forget_cached_systems
from haochaping.service_records.models import ServiceRecord
from haochaping.testing import SignedClient, login, record_payload
from haochaping.testing_world import rate


def test_usage_of_one_system_day_by_day(cast, api_a):
    forget_cached_systems()
    for n in range(4):  # four services pushed by the unit's system
        assert api_a.post("/api/v1/service-records", record_payload(cast, f"SCJG20261201{n:02d}")).status_code in (
            200,
            201,
        )
    records = list(ServiceRecord.objects.filter(system=cast.system_a).order_by("project_no"))
    assert len(records) == 4
    # One of them reached the platform three days ago.
    three_days_ago = timezone.now() - dt.timedelta(days=3)
    ServiceRecord.objects.filter(pk=records[0].pk).update(created_at=three_days_ago)
    rate(records[1], 5)
    rate(records[2], 1, text="等太久")
    # Two refused calls (a wrong signature) and one invalid body.
    wrong = SignedClient(Client(), cast.system_a.app_id, "0" * 64)
    assert wrong.get("/api/v1/items").status_code == 401
    assert wrong.get("/api/v1/items").status_code == 401
    assert api_a.post("/api/v1/service-records", {"project_no": "x"}).status_code == 422
    rollup_refresh()

    url = reverse("console:analytics_system_usage", kwargs={"pk": cast.system_a.pk})
    response = login(Client(), cast, "supervisor").get(url)
    assert response.status_code == 200
    usage = response.context["usage"]
    today = timezone.localdate()
    assert len(usage.days) == 30 and usage.days[0].day == today
    by_day = {d.day: d for d in usage.days}
    assert (by_day[today].services, by_day[today].rated, by_day[today].ratings, by_day[today].errors) == (3, 2, 2, 3)
    earlier = by_day[timezone.localtime(three_days_ago).date()]
    assert (earlier.services, earlier.rated, earlier.ratings, earlier.errors) == (1, 0, 0, 0)
    assert response.context["totals"] == {"services": 4, "rated": 2, "ratings": 2, "errors": 3}
    assert usage.rating_rate == 0.5
    assert usage.errors_by_code == [("bad_signature", 401, 2), ("validation_error", 422, 1)]
    assert usage.last_push == max(r.created_at for r in records[1:])
    html = response.content.decode()
    assert 'id="total-rate">50.0%<' in html and 'id="total-errors">3<' in html
    # The unit's admin sees it too (their own unit's system); another unit's admin does not.
    assert login(Client(), cast, "admin_a").get(url).status_code == 200
    assert login(Client(), cast, "admin_b").get(url).status_code == 404
    # The district-wide system pushed nothing in this fixture.
    other = reverse("console:analytics_system_usage", kwargs={"pk": cast.system_all.pk})
    assert login(Client(), cast, "supervisor").get(other).context["totals"]["services"] == 0


def test_the_last_push_is_found_whether_or_not_the_rollups_have_it(cast, api_a):
    """The newest rolled-up day of the system, then its services from that day to now: a push
    older than the page's 30 days, and one made after the last refresh, are both found."""
    url = reverse("console:analytics_system_usage", kwargs={"pk": cast.system_a.pk})
    client = login(Client(), cast, "supervisor")
    forget_cached_systems()
    assert client.get(url).context["usage"].last_push is None  # never pushed
    assert api_a.post("/api/v1/service-records", record_payload(cast, "SCJG2026120001")).status_code == 201
    assert client.get(url).context["usage"].last_push is not None  # today's, not rolled up yet
    long_ago = timezone.now() - dt.timedelta(days=40)
    ServiceRecord.objects.filter(project_no="SCJG2026120001").update(created_at=long_ago)
    rollup_refresh()
    assert client.get(url).context["usage"].last_push == long_ago
    assert api_a.post("/api/v1/service-records", record_payload(cast, "SCJG2026120002")).status_code == 201
    newest = ServiceRecord.objects.get(project_no="SCJG2026120002").created_at
    assert client.get(url).context["usage"].last_push == newest  # after the refresh
    # Another unit's admin never sees it.
    assert login(Client(), cast, "admin_b").get(url).status_code == 404
