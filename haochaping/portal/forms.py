"""The citizen rating form: first-line validation with plain Chinese messages.

The rating intake (``intake.services.rating_receive``) stays the authority (it validates again and its
errors are shown on the same fields); the form only gives the citizen friendlier wording and
keeps what they entered when something is missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django import forms

from haochaping.core.errors import ValidationFailed
from haochaping.evaluations.choices import BAD_LEVELS, Dimension, Level
from haochaping.evaluations.models import Indicator
from haochaping.evaluations.services import MAX_TEXT, RatingInput, indicator_set_active_id
from haochaping.service_records.models import ServiceRecord

LEVELS = [(level.value, level.label) for level in sorted(Level, reverse=True)]  # 5 非常满意 … 1 非常不满意
LEVEL_TONES = {5: "good", 4: "good", 3: "neutral", 2: "bad", 1: "bad"}
DIMENSION_PREFIX = "dim_"

# Without JavaScript every reason is listed under one of these headings; with it, only the
# reasons valid for the chosen level are shown.
SECTIONS = [
    ("good", "好评理由", "选择“非常满意”“满意”时可选"),
    ("neutral", "一般", "选择“基本满意”时可选"),
    ("bad", "差评理由", "选择“不满意”“非常不满意”时可选，至少选一项或填写评价内容"),
]


def _section(levels: list[int]) -> str:
    if min(levels) >= Level.SATISFIED:
        return "good"
    if max(levels) <= Level.DISSATISFIED:
        return "bad"
    return "neutral"


@dataclass
class Reason:
    code: str
    text: str
    group: str
    levels: list[int]

    @property
    def levels_attr(self) -> str:
        return " ".join(str(level) for level in self.levels)

    @property
    def html_id(self) -> str:
        return f"reason-{self.code}"


@dataclass
class ReasonSection:
    key: str
    title: str
    hint: str
    groups: dict[str, list[Reason]] = field(default_factory=dict)


def reasons_for(record: ServiceRecord) -> list[Reason]:
    """Reasons of the active indicator set that apply to this record's mode (online/offline)."""
    rows = (
        Indicator.objects.filter(indicator_set_id=indicator_set_active_id(), mode__in=["", record.mode])
        .order_by("pk")  # the order of the set's file: the mode's own indicators, then R12's
        .values_list("code", "text", "group", "levels")
    )
    return [Reason(code, text, group, sorted(levels, reverse=True)) for code, text, group, levels in rows]


def reason_sections(reasons: list[Reason]) -> list[ReasonSection]:
    sections = {key: ReasonSection(key, title, hint) for key, title, hint in SECTIONS}
    for reason in reasons:
        sections[_section(reason.levels)].groups.setdefault(reason.group, []).append(reason)
    return [section for section in sections.values() if section.groups]


class RatingForm(forms.Form):
    level = forms.TypedChoiceField(
        label="总体评价",
        choices=LEVELS,
        coerce=int,
        error_messages={
            "required": "请选择总体评价（从“非常满意”到“非常不满意”选一项）",
            "invalid_choice": "总体评价无效，请重新选择",
        },
    )
    reasons = forms.MultipleChoiceField(
        label="评价理由",
        required=False,
        error_messages={"invalid_choice": "所选理由不在本次评价的理由中，请重新选择"},
    )
    text = forms.CharField(label="评价内容", required=False)

    def __init__(self, *args, reasons: list[Reason], **kwargs):
        super().__init__(*args, **kwargs)
        self.reason_list = reasons
        self.reason_by_code = {r.code: r for r in reasons}
        self.fields["reasons"].choices = [(r.code, r.text) for r in reasons]
        for dim in Dimension:
            self.fields[DIMENSION_PREFIX + dim.value] = forms.TypedChoiceField(
                label=dim.label,
                required=False,
                choices=[("", "不评价"), *LEVELS],
                coerce=int,
                empty_value=None,
                error_messages={"invalid_choice": f"“{dim.label}”的评价无效，请重新选择"},
            )

    def clean_text(self) -> str:
        # Browsers send a line break in a textarea as CRLF; the counter on the page counts one.
        text = self.cleaned_data["text"].replace("\r\n", "\n").strip()
        if len(text) > MAX_TEXT:
            raise forms.ValidationError(f"评价内容不能超过 {MAX_TEXT} 字（现有 {len(text)} 字），请删减后再提交")
        return text

    def clean(self):
        data = super().clean()
        level = data.get("level")
        if level is None:
            return data
        reasons = data.get("reasons") or []
        mismatched = [self.reason_by_code[c].text for c in reasons if level not in self.reason_by_code[c].levels]
        if mismatched:
            self.add_error(
                "reasons",
                f"以下理由与所选的“{Level(level).label}”不一致，请取消勾选或重新选择总体评价：{'、'.join(mismatched)}",
            )
        elif level in BAD_LEVELS and not reasons and not data.get("text") and "text" not in self.errors:
            self.add_error("reasons", "选择“不满意”或“非常不满意”时，请至少勾选一项理由，或在下方填写评价内容")
        return data

    def rating_input(self, *, channel: int) -> RatingInput:
        data = self.cleaned_data
        return RatingInput(
            level=data["level"],
            channel=channel,
            dimensions={dim.value: data.get(DIMENSION_PREFIX + dim.value) for dim in Dimension},
            reasons=list(data["reasons"]),
            text=data["text"],
        )

    def add_service_errors(self, exc: ValidationFailed) -> None:
        """Show the rating service's own field errors next to the same fields."""
        for key, messages in (exc.fields or {"": [exc.message]}).items():
            name = key
            if key.startswith("dimensions."):
                name = DIMENSION_PREFIX + key.removeprefix("dimensions.")
            target = name if name in self.fields else None
            for message in messages:
                self.add_error(target, message)

    # --- what the template needs to redraw the form with the visitor's input -------------------

    def raw(self, name: str):
        return self[name].value()

    def chosen_level(self) -> int | None:
        value = self.raw("level")
        return int(value) if isinstance(value, int | str) and str(value) in {"1", "2", "3", "4", "5"} else None

    def level_options(self) -> list[dict]:
        chosen = self.chosen_level()
        return [
            {"value": value, "label": label, "tone": LEVEL_TONES[value], "checked": value == chosen}
            for value, label in LEVELS
        ]

    def sections(self) -> list[ReasonSection]:
        return reason_sections(self.reason_list)

    def checked_reasons(self) -> set[str]:
        return set(self.raw("reasons") or [])

    def dimension_rows(self) -> list[dict]:
        rows = []
        for dim in Dimension:
            name = DIMENSION_PREFIX + dim.value
            value = self.raw(name)
            rows.append(
                {
                    "name": name,
                    "label": dim.label,
                    "value": str(value) if value not in (None, "") else "",
                    "errors": self.errors.get(name, []) if self.is_bound else [],
                }
            )
        return rows

    def error_summary(self) -> list[tuple[str, str, str]]:
        """(anchor, field label, message) for the list of errors at the top of the page."""
        anchors = {"level": "level-block", "reasons": "reasons-block", "text": "id-text"}
        items = []
        for name, messages in self.errors.items():
            field = self.fields.get(name)
            anchor = anchors.get(name, f"id-{name}") if field is not None else ""
            label = field.label if field is not None else ""
            items.extend((anchor, label, message) for message in messages)
        return items

    def any_dimension(self) -> bool:
        return any(row["value"] or row["errors"] for row in self.dimension_rows())

    def text_value(self) -> str:
        return (self.raw("text") or "").replace("\r\n", "\n")
