"""The benchmark baseline's one table: as wide as an Evaluation row."""

from django.db import models


class BareRating(models.Model):
    """Same columns and types as evaluations.Evaluation (identity as opaque text), no rules."""

    project_no = models.CharField(max_length=50)
    service_no = models.PositiveIntegerField()
    level = models.PositiveSmallIntegerField()
    commitment = models.PositiveSmallIntegerField(null=True)
    attitude = models.PositiveSmallIntegerField(null=True)
    materials = models.PositiveSmallIntegerField(null=True)
    efficiency = models.PositiveSmallIntegerField(null=True)
    trips = models.PositiveSmallIntegerField(null=True)
    mechanism = models.PositiveSmallIntegerField(null=True)
    integrity = models.PositiveSmallIntegerField(null=True)
    reasons = models.JSONField(default=list)
    text = models.TextField(blank=True)
    channel = models.PositiveSmallIntegerField()
    evaluator_name = models.TextField(blank=True)
    evaluator_phone = models.TextField(blank=True)
    is_default = models.BooleanField(default=False)
    evaluated_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)
    client_key = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return self.project_no
