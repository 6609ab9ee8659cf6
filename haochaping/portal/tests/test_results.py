"""评价结果全公开: the public page shows the figures, no personal data, and may be cached."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from haochaping.analytics.rollups import rollup_refresh
from haochaping.rectification.workflow import Action
from haochaping.testing_world import PLAINTEXT, push, rate, step

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_cached_page():
    cache.clear()
    yield
    cache.clear()


def test_the_public_page_shows_unit_figures_and_rectified_problems_without_identity(cast, world):
    # A rectified case whose staff text names people and phone numbers: none of it may show.
    step(cast, "admin_a", world.case_a, Action.VERIFY, text="属实，王晓红（A001）态度问题，申请人张三丰 13812345678")
    step(cast, "admin_a", world.case_a, Action.RECTIFY, text="已约谈王晓红，回电张三丰 13812345678")
    last_month = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    old = push(cast, "SCJG2026110055")
    rate(old, 5, days_ago=(timezone.localdate() - last_month).days)
    rollup_refresh()
    response = Client().get("/results/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "区市场监督管理局" in html and "好评率" in html and "按期整改率" in html
    assert "食品经营许可（新办）" in html  # the rectified problem, told by item and reason
    for secret in [*PLAINTEXT, "王晓红", "A001", world.case_a.number, world.record_a.project_no]:
        assert secret not in html
    assert "public" in response["Cache-Control"] and "max-age=600" in response["Cache-Control"]
    assert "Cookie" not in response.get("Vary", "")
    assert not response.cookies


def test_every_citizen_page_links_to_the_results(client):
    assert 'href="/results/"' in client.get("/demand/").content.decode()
