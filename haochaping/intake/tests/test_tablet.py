"""The window tablet's ratings: only for its own window, idempotent by the tablet's key, and its
rating requests done in the rating's transaction."""

import pytest

from haochaping.audit.services import Actor
from haochaping.core.errors import Conflict, NotFound, ValidationFailed
from haochaping.evaluations.models import Evaluation, RatingRequest
from haochaping.evaluations.services import RatingInput
from haochaping.evaluations.tablet import rating_request_create
from haochaping.intake.services import tablet_rate
from haochaping.service_records.models import ServiceRecord
from haochaping.testing import pair_tablet, record_payload


@pytest.fixture
def tablet(cast):
    return pair_tablet(cast.window_a, "市场监管综合窗口评价器")


@pytest.fixture
def record(cast, api_all):
    api_all.post("/api/v1/service-records", record_payload(cast))
    return ServiceRecord.objects.get(project_no="SCJG2026110001")


def test_tablet_ratings_are_idempotent_and_only_for_its_window(tablet, record, cast, api_all):
    device, _ = tablet
    rating_request_create(actor=Actor.cli(), record=record)
    data = RatingInput(level=2, channel=1, text="等待太久", client_key="tab-1-0001")
    first = tablet_rate(device=device, record_id=record.pk, data=data)
    again = tablet_rate(device=device, record_id=record.pk, data=RatingInput(level=2, channel=1, text="等待太久",
                                                                               client_key="tab-1-0001"))  # fmt: skip
    assert first.created is True and again.created is False
    assert first.evaluation.pk == again.evaluation.pk and first.evaluation.channel == 4
    assert Evaluation.objects.count() == 1 and first.case.state == "pending_verify"
    assert again.case.pk == first.case.pk
    assert RatingRequest.objects.get().status == "done"
    with pytest.raises(Conflict):
        tablet_rate(device=device, record_id=record.pk, data=RatingInput(level=5, channel=4, client_key="tab-1-0002"))
    with pytest.raises(ValidationFailed):
        tablet_rate(device=device, record_id=record.pk, data=RatingInput(level=5, channel=4))
    api_all.post("/api/v1/service-records", record_payload(cast, project_no="RSJ-1", unit_code="RSJ",
                                                           item_code=cast.item_b.code, window_code="W-B1",
                                                           staff_no="B001"))  # fmt: skip
    other = ServiceRecord.objects.get(project_no="RSJ-1")
    with pytest.raises(NotFound):
        tablet_rate(device=device, record_id=other.pk, data=RatingInput(level=5, channel=4, client_key="x-1"))
