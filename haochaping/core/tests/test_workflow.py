"""The transition-table vocabulary shared by the case and demand workflows."""

from django.db import models

from haochaping.core.workflow import Transition, allowed, transition_table, transitions_from


class Step(models.TextChoices):
    GO = "go", "前进"
    BACK = "back", "退回"


TABLE = transition_table(
    Transition(Step.GO, ("a", "b"), "c", frozenset({"clerk"}), "说明"),
    Transition(Step.BACK, ("c",), "a", frozenset({"boss"}), "理由"),
)


def test_a_table_is_keyed_by_the_action_value_and_answers_to_the_member_too():
    assert list(TABLE) == ["go", "back"]
    assert TABLE[Step.GO] is TABLE["go"]


def test_allowed_needs_both_the_state_and_the_role():
    rows = TABLE.values()
    assert [t.action for t in allowed(rows, "b", "clerk")] == [Step.GO]
    assert allowed(rows, "b", "boss") == []
    assert allowed(rows, "c", "clerk") == []
    assert [t.action for t in transitions_from(rows, "c")] == [Step.BACK]
