"""Startup checks of the analytics settings: the 考核 weights and the 重点督办 rules."""

from django.conf import settings
from django.core import checks


@checks.register()
def assessment_weights_check(app_configs, **kwargs):
    from haochaping.analytics.assessment import weight_errors

    messages = []
    for name, entity in (("ANALYTICS_ASSESSMENT_WEIGHTS", "unit"), ("ANALYTICS_ASSESSMENT_STAFF_WEIGHTS", "staff")):
        weights = getattr(settings, name)
        errors = weight_errors(weights, entity=entity) if isinstance(weights, dict) else ["must be a dict"]
        for error in errors:
            messages.append(
                checks.Error(
                    f"{name}: {error}",
                    hint='Weights are "code=weight" pairs of rates or 满意度得分 that sum to 100, '
                    "e.g. HAOCHAPING_ANALYTICS_ASSESSMENT_WEIGHTS=score=40,good_rate=20,rating_rate=15,"
                    "rectify_rate=15,on_time_rate=10 (docs/subsystems/analytics.md).",
                    id="haochaping.analytics.E001",
                )
            )
    return messages


@checks.register()
def supervision_rules_check(app_configs, **kwargs):
    from haochaping.analytics.supervision import rule_errors

    rules = settings.ANALYTICS_SUPERVISION_RULES
    errors = rule_errors(rules) if isinstance(rules, dict) else ["must be a dict of rules"]
    if settings.ANALYTICS_SUPERVISION_DEADLINE_DAYS < 1:
        errors.append("ANALYTICS_SUPERVISION_DEADLINE_DAYS must be at least 1")
    return [
        checks.Error(
            f"ANALYTICS_SUPERVISION_RULES: {error}" if not error.startswith("ANALYTICS_") else error,
            hint="See docs/subsystems/analytics.md (考核 and 重点督办).",
            id="haochaping.analytics.E002",
        )
        for error in errors
    ]
