"""Service items (事项) and service records (办件 + 服务次数) ingested from business systems."""

from __future__ import annotations

from django.db import models

from haochaping.core.fields import MaskedCopyField, SM4EncryptedField
from haochaping.core.masking import mask_id_number
from haochaping.organizations.models import BusinessSystem, Staff, Unit, Window
from haochaping.service_records.choices import ApplicantKind, HandlingMode, IdType, ItemType, Stage


class ServiceItem(models.Model):
    """A government-service item (事项) identified by its implementation code (实施编码)."""

    code = models.CharField("实施编码", max_length=24, unique=True)
    name = models.CharField("事项名称", max_length=200)
    item_type = models.CharField("事项类型", max_length=2, choices=ItemType.choices)
    department = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="items", verbose_name="实施部门")
    online = models.BooleanField("可网办", default=True)
    offline = models.BooleanField("可窗口办理", default=True)
    promised_days = models.PositiveSmallIntegerField("承诺时限（工作日）", null=True, blank=True)
    is_active = models.BooleanField("启用", default=True)
    # The windows where the item is handled (窗口的办理事项): set by the window import and pages.
    windows = models.ManyToManyField(Window, blank=True, related_name="items", verbose_name="办理窗口")

    class Meta:
        verbose_name = "政务服务事项"
        verbose_name_plural = "政务服务事项"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


# The encrypted identity columns. Pages and responses show the masked copies; the selectors
# leave these deferred, so a list or a rating page decrypts no applicant at all.
ENCRYPTED_IDENTITY = ("applicant_name", "applicant_id_number", "applicant_phone")


def encrypted_identity(via: str = "") -> tuple[str, ...]:
    """``ENCRYPTED_IDENTITY`` for ``defer()``, reached through ``via`` ("record__" from a rating)."""
    return tuple(via + name for name in ENCRYPTED_IDENTITY)


class ServiceRecord(models.Model):
    """One service (服务) of a case file (办件): one rating opportunity (R1, R17).

    Identity fields are SM4-encrypted; ``phone_index`` / ``id_index`` are keyed SM3 blind
    indexes for lookups; ``applicant_name_masked`` / ``applicant_phone_masked`` hold the masked
    display form. ``fingerprint`` is a keyed hash of the pushed content, so a resend is
    recognised as the same record and a different body under the same key as a conflict.
    """

    project_no = models.CharField("办件编号", max_length=50)
    service_no = models.PositiveIntegerField("服务次数", default=1)
    stage = models.CharField("服务环节", max_length=1, choices=Stage.choices)
    # The item, unit, window and staff are indexed together with ``created_at`` (Meta.indexes),
    # not alone: the lists filter by them newest first, and one index each is written per record.
    item = models.ForeignKey(
        ServiceItem, on_delete=models.PROTECT, db_index=False, related_name="records", verbose_name="事项"
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, db_index=False, related_name="records", verbose_name="办理单位"
    )
    window = models.ForeignKey(
        Window,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,
        related_name="records",
        verbose_name="窗口",
    )
    staff = models.ForeignKey(
        Staff,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,
        related_name="records",
        verbose_name="工作人员",
    )
    mode = models.CharField("办理渠道", max_length=7, choices=HandlingMode.choices)
    applicant_kind = models.CharField("申请人类型", max_length=1, choices=ApplicantKind.choices)
    applicant_name = SM4EncryptedField("申请人姓名/名称")
    applicant_id_type = models.CharField("证件类型", max_length=3, choices=IdType.choices)
    applicant_id_number = SM4EncryptedField("证件号码")
    applicant_phone = SM4EncryptedField("联系电话", blank=True)
    # What pages and API responses show: read without decrypting the two fields above.
    applicant_name_masked = MaskedCopyField("申请人（脱敏）", max_length=100, source="applicant_name", mask="name")
    applicant_phone_masked = MaskedCopyField("联系电话（脱敏）", max_length=20, source="applicant_phone", mask="phone")
    id_index = models.CharField(max_length=64, db_index=True, editable=False)
    phone_index = models.CharField(max_length=64, db_index=True, blank=True, editable=False)
    accepted_at = models.DateTimeField("受理时间", null=True, blank=True)
    finished_at = models.DateTimeField("办结时间", null=True, blank=True)
    promised_days = models.PositiveSmallIntegerField("承诺时限（工作日）", null=True, blank=True)
    system = models.ForeignKey(
        BusinessSystem,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="records",
        verbose_name="来源业务系统",
    )
    fingerprint = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField("接收时间", auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "办件服务"
        verbose_name_plural = "办件服务"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["project_no", "service_no"], name="service_record_key_unique"),
        ]
        # Each serves a filter of the 办件服务 list (and the rating list's, through the record)
        # with the list's ordering; see docs/architecture.md, "Indexes".
        indexes = [
            models.Index(fields=["unit", "created_at"], name="record_unit_created_idx"),
            # A clerk's own services, read with their unit's id (``lone_unit_id``): both are
            # equalities, so a deep page and the bounded count walk only that clerk's rows.
            models.Index(fields=["staff", "unit", "created_at"], name="record_staff_unit_created_idx"),
            models.Index(fields=["window", "created_at"], name="record_window_created_idx"),
            models.Index(fields=["item", "created_at"], name="record_item_created_idx"),
            # The services finished in a day: the 未评价积压 rollup and its live part, invitations.
            models.Index(fields=["finished_at"], name="record_finished_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.project_no}#{self.service_no}"

    @property
    def applicant_id_masked(self) -> str:
        return mask_id_number(self.applicant_id_number)
