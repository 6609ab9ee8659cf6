"""rating_receive: the one rating-intake service, called directly as every channel calls it."""

import dataclasses
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections, transaction

from haochaping.audit.models import AuditEvent
from haochaping.audit.services import Actor, audit_verify
from haochaping.core.errors import Conflict, ValidationFailed
from haochaping.evaluations.models import Evaluation
from haochaping.evaluations.selectors import RatingTarget, record_for_rating
from haochaping.evaluations.services import RatingInput
from haochaping.intake.services import RatingContext, rating_receive
from haochaping.organizations.selectors import Scope
from haochaping.rectification.models import RectificationCase
from haochaping.testing import build_cast, push_record, receive


@pytest.fixture
def record(cast):
    return push_record(cast)


def test_a_good_rating_is_stored_without_a_case(record):
    received = receive(record, RatingInput(level=5, channel=4, reasons=["XC-TD-G01"]))
    assert received.created is True and received.case is None
    assert received.evaluation.pk == Evaluation.objects.get().pk and received.evaluation.level == 5
    assert RectificationCase.objects.count() == 0
    actions = AuditEvent.objects.filter(action__regex=r"^(evaluations|rectification):").values_list("action", flat=True)
    assert list(actions) == ["evaluations:evaluation:created"]


def test_a_bad_rating_opens_its_case_in_the_same_transaction(record):
    seen = []

    def after(evaluation):  # runs inside the rating's transaction, after the case was opened
        seen.append(RectificationCase.objects.filter(evaluation=evaluation).exists())

    context = RatingContext(actor=Actor.citizen(), also=after)
    received = rating_receive(target=RatingTarget(record), data=RatingInput(level=1, channel=4, text="态度差"),
                              context=context)  # fmt: skip
    assert seen == [True]
    assert received.created is True and received.case.pk == RectificationCase.objects.get().pk
    assert received.case.state == "pending_verify" and received.case.unit_id == record.unit_id
    assert received.evaluation.case == received.case  # cached both ways, no query
    actions = AuditEvent.objects.filter(action__regex=r"^(evaluations|rectification):").values_list("action", flat=True)
    assert sorted(actions) == ["evaluations:evaluation:created", "rectification:case:opened"]


def test_a_case_that_cannot_be_opened_takes_the_rating_with_it(record, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("case table unavailable")

    monkeypatch.setattr("haochaping.intake.services.case_open_for_evaluation", broken)
    with pytest.raises(RuntimeError):
        receive(record, RatingInput(level=2, channel=4, text="等太久"))
    assert Evaluation.objects.count() == 0 and RectificationCase.objects.count() == 0


def test_the_case_is_audited_with_the_unit_code_the_lookup_brought(cast, record):
    target = record_for_rating(scope=Scope(unit_path="/"), project_no=record.project_no, service_no=1)
    assert target.rated_by_insert is True and target.unit_code == cast.unit_a.code
    assert target.unit_path == cast.unit_a.path
    received = rating_receive(target=target, data=RatingInput(level=1, channel=4, text="差"),
                              context=RatingContext(actor=Actor.citizen()))  # fmt: skip
    event = AuditEvent.objects.get(action="rectification:case:opened")
    assert event.data["unit"] == cast.unit_a.code and received.case.unit_id == cast.unit_a.pk


def test_a_second_rating_is_409_already_rated(record):
    receive(record, RatingInput(level=5, channel=4))
    with pytest.raises(Conflict) as refused:
        receive(record, RatingInput(level=1, channel=2, text="改评差评"))
    assert refused.value.code == "already_rated" and refused.value.status == 409
    assert Evaluation.objects.count() == 1 and RectificationCase.objects.count() == 0


def test_a_second_rating_is_refused_also_when_the_insert_decides(cast, record):
    receive(record, RatingInput(level=5, channel=4))
    target = record_for_rating(scope=Scope(unit_path="/"), project_no=record.project_no, service_no=1)
    with pytest.raises(Conflict) as refused:
        rating_receive(
            target=target, data=RatingInput(level=4, channel=4), context=RatingContext(actor=Actor.citizen())
        )
    assert refused.value.code == "already_rated" and Evaluation.objects.count() == 1


@pytest.mark.parametrize("insert_decides", [False, True])
def test_a_resend_with_the_same_client_key_gets_the_stored_rating(record, insert_decides):
    first = receive(record, RatingInput(level=2, channel=4, text="排队久", client_key="k-0001"))
    target = RatingTarget(record, rated_by_insert=insert_decides)
    again = rating_receive(target=target, data=RatingInput(level=2, channel=4, text="排队久", client_key="k-0001"),
                           context=RatingContext(actor=Actor.citizen()))  # fmt: skip
    assert first.created is True and again.created is False
    assert again.evaluation.pk == first.evaluation.pk and again.case.pk == first.case.pk
    assert Evaluation.objects.count() == 1 and RectificationCase.objects.count() == 1
    with pytest.raises(Conflict):  # another client key is another rating: refused
        receive(record, RatingInput(level=2, channel=4, text="排队久", client_key="k-0002"))


def test_an_answer_without_writing_goes_through_the_guard(record):
    class Guard:
        def __init__(self):
            self.calls = []

        def transaction(self):
            self.calls.append("transaction")
            return transaction.atomic()

        def before_answer(self):
            self.calls.append("before_answer")

    guard = Guard()
    context = RatingContext(actor=Actor.citizen(), guard=guard)
    data = RatingInput(level=5, channel=4, client_key="k-0003")
    assert rating_receive(target=RatingTarget(record), data=data, context=context).created is True
    assert rating_receive(target=RatingTarget(record), data=data, context=context).created is False
    with pytest.raises(Conflict):
        rating_receive(target=RatingTarget(record), data=RatingInput(level=5, channel=4), context=context)
    assert guard.calls == ["transaction", "before_answer", "before_answer"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (RatingInput(level=1, channel=4), "reasons"),
        (RatingInput(level=5, channel=4, reasons=["NOPE"]), "reasons"),
        (RatingInput(level=5, channel=4, reasons=["XC-TD-B01"]), "reasons"),
        (RatingInput(level=6, channel=4), "level"),
        (RatingInput(level=5, channel=9), "channel"),
        (RatingInput(level=5, channel=4, text="字" * 501), "text"),
        (RatingInput(level=5, channel=4, dimensions={"speed": 5}), "dimensions.speed"),
    ],
)
def test_validation_errors_name_the_field_and_store_nothing(record, data, field):
    with pytest.raises(ValidationFailed) as refused:
        receive(record, data)
    assert field in refused.value.fields and refused.value.code == "validation_error"
    assert Evaluation.objects.count() == 0


def test_a_second_rating_is_409_before_any_complaint_about_its_content(record):
    receive(record, RatingInput(level=5, channel=4))
    target = dataclasses.replace(RatingTarget(record), rated_by_insert=True)
    with pytest.raises(Conflict):
        rating_receive(
            target=target, data=RatingInput(level=1, channel=4), context=RatingContext(actor=Actor.citizen())
        )


@pytest.mark.django_db(transaction=True)
def test_concurrent_ratings_of_one_service_store_one_and_answer_the_resends():
    cast = build_cast()
    record = push_record(cast)

    def rate(i):
        try:
            data = RatingInput(level=1 + i % 2, channel=4, text=f"第{i}次", client_key=f"k-{i % 2}")
            return receive(record, data).created
        except Conflict:
            return "409"
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(rate, range(12)))
    # One stored; the sends with its client key are resends (created False), the others 409.
    assert outcomes.count(True) == 1 and outcomes.count(False) == 5 and outcomes.count("409") == 6
    assert Evaluation.objects.count() == 1 and RectificationCase.objects.count() == 1
    assert audit_verify().ok
