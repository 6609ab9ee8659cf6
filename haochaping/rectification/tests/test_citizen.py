"""The citizen's own view of their services, ratings and case progress (我的评价)."""

from haochaping.core.crypto import blind_index
from haochaping.rectification.citizen import citizen_services
from haochaping.rectification.tests.factories import bad_case, evidence
from haochaping.rectification.workflow import Action
from haochaping.service_records.models import ServiceRecord
from haochaping.testing_world import step


def of_phone(phone: str):
    return ServiceRecord.objects.filter(phone_index=blind_index("phone", phone))


def test_a_citizen_sees_progress_and_feedback_but_not_the_appeal(cast):
    case = step(cast, "admin_a", step(cast, "admin_a", bad_case(cast), Action.VERIFY), Action.RECTIFY)
    step(cast, "admin_a", case, Action.FEED_BACK, text="已为您优化办理流程，感谢监督")
    appealed = step(cast, "admin_a", bad_case(cast, project_no="P-APPEAL"), Action.REQUEST_INVALID,
                    text="恶意差评，附监控", files=[evidence()])  # fmt: skip
    services = citizen_services(of_phone("13812345678"))
    by_no = {s.record.project_no: s for s in services}
    fed = by_no["SCJG-CASE-1"]
    assert fed.rated and fed.level_label == "非常不满意" and fed.case_progress == "已反馈，待回访"
    assert fed.feedback == "已为您优化办理流程，感谢监督"
    other = by_no["P-APPEAL"]
    assert other.case_number == appealed.number and other.case_progress == "核实中" and other.feedback == ""
    assert citizen_services(of_phone("13900000000")) == []


def test_lookups_use_the_blind_index_with_a_fixed_query_count(cast, django_assert_max_num_queries):
    for i in range(5):
        bad_case(cast, project_no=f"P-{i}")
    with django_assert_max_num_queries(3):
        assert len(citizen_services(of_phone("13812345678"), limit=30)) == 5
