"""Organisation tree, windows, staff, console roles and connected business systems."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from haochaping.core.fields import SM4EncryptedField


class UnitKind(models.TextChoices):
    DISTRICT = "district", "区（县）"
    CENTER = "center", "政务服务中心/大厅"
    DEPARTMENT = "department", "部门"
    STREET_CENTER = "street_center", "街道便民服务中心"
    COMMUNITY_POINT = "community_point", "社区便民服务点"


class Unit(models.Model):
    """A node of the organisation tree; every record belongs to one, access is by subtree.

    ``path`` is a materialised path of unit codes ("/410404/410404-SCJG/") so that a subtree is
    one indexed ``startswith`` query on SQLite and PostgreSQL alike.
    """

    code = models.CharField("单位编码", max_length=40, unique=True)
    name = models.CharField("单位名称", max_length=100)
    kind = models.CharField("类型", max_length=20, choices=UnitKind.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    path = models.CharField(max_length=500, unique=True, editable=False)
    division_code = models.CharField("行政区划代码", max_length=12, blank=True)
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "单位"
        verbose_name_plural = "单位"
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2


class Window(models.Model):
    """A service window (窗口) at a hall, street centre or community point."""

    code = models.CharField("窗口编码", max_length=40, unique=True)
    name = models.CharField("窗口名称", max_length=100)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="windows", verbose_name="所在场所")
    department = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="staffed_windows", verbose_name="进驻部门"
    )
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "窗口"
        verbose_name_plural = "窗口"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Staff(models.Model):
    """A person who serves citizens (窗口工作人员), identified by 工号."""

    staff_no = models.CharField("工号", max_length=32, unique=True)
    name = models.CharField("姓名", max_length=50)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="staff", verbose_name="所属单位")
    window = models.ForeignKey(
        Window, null=True, blank=True, on_delete=models.SET_NULL, related_name="staff", verbose_name="常驻窗口"
    )
    photo = models.FileField("照片", upload_to="staff/", blank=True)
    is_active = models.BooleanField("在岗", default=True)

    class Meta:
        verbose_name = "工作人员"
        verbose_name_plural = "工作人员"
        ordering = ["staff_no"]

    def __str__(self) -> str:
        return f"{self.name}（{self.staff_no}）"


class Role(models.TextChoices):
    SUPERVISOR = "supervisor", "督查（政务服务中心）"
    DEPT_ADMIN = "dept_admin", "部门/街道/社区管理员"
    WINDOW_CLERK = "window_clerk", "窗口工作人员"
    OPERATOR = "operator", "回访员"
    AUDITOR = "auditor", "审计员"


class Membership(models.Model):
    """A console user's role and the unit whose subtree bounds everything they can see."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="members", verbose_name="单位")
    role = models.CharField("角色", max_length=20, choices=Role.choices)
    staff = models.OneToOneField(
        Staff, null=True, blank=True, on_delete=models.SET_NULL, related_name="membership", verbose_name="对应工作人员"
    )
    # Set when an administrator deactivates the account (``User.is_active`` is then false); cleared
    # when it is re-enabled. An inactive user without it is an account waiting for its first
    # password (invited, or re-enabled): see ``organizations.administration.accounts``.
    deactivated_at = models.DateTimeField("停用时间", null=True, blank=True)

    class Meta:
        verbose_name = "后台用户角色"
        verbose_name_plural = "后台用户角色"

    def __str__(self) -> str:
        return f"{self.user} @ {self.unit} ({self.get_role_display()})"


class BusinessSystem(models.Model):
    """A connected business system (业务系统) with its own API credentials (R3).

    ``unit`` limits what it may push and read to one subtree; null means district-wide. The
    secret is needed to verify HMAC signatures, so it is stored SM4-encrypted, not hashed.
    """

    name = models.CharField("系统名称", max_length=100)
    app_id = models.CharField("App ID", max_length=40, unique=True)
    secret = SM4EncryptedField("密钥（加密存储）")
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="business_systems", verbose_name="所属单位"
    )
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField("最近调用", null=True, blank=True)
    # Secret rotation with an overlap: the replaced secret still verifies signatures until
    # ``previous_secret_expires_at`` (``api_auth.authenticate_request``), so a system can switch
    # to the new one without a refused request. Empty / null: no overlap running.
    previous_secret = SM4EncryptedField("旧密钥（加密存储，过渡期内仍有效）", blank=True, default="")
    previous_secret_expires_at = models.DateTimeField("旧密钥失效时间", null=True, blank=True)
    secret_rotated_at = models.DateTimeField("最近更换密钥", null=True, blank=True)
    deactivated_at = models.DateTimeField("停用时间", null=True, blank=True)

    class Meta:
        verbose_name = "业务系统"
        verbose_name_plural = "业务系统"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SystemErrorDay(models.Model):
    """Refused or failed API calls of one business system, per local day and error code (R3).

    Written only when the API answers with an error (``haochaping.api``), by one UPDATE (an
    INSERT the first time of the day): a successful request costs nothing here.
    """

    system = models.ForeignKey(BusinessSystem, on_delete=models.CASCADE, related_name="error_days", db_index=False)
    day = models.DateField("日期")
    code = models.CharField("错误码", max_length=40)
    status = models.PositiveSmallIntegerField("HTTP 状态码")
    errors = models.PositiveIntegerField("次数", default=0)

    class Meta:
        verbose_name = "业务系统错误响应（按日）"
        verbose_name_plural = "业务系统错误响应（按日）"
        constraints = [
            models.UniqueConstraint(fields=["system", "day", "code"], name="system_error_day_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.system_id} {self.day} {self.code}: {self.errors}"


class ApiNonce(models.Model):
    """Nonces seen in the signature window; the unique key refuses a replayed request.

    Written by every signed request, so it carries one index only (the unique key, which also
    serves lookups by system); expired rows are found by id order (``api_auth._forget_nonces``).
    """

    system = models.ForeignKey(BusinessSystem, on_delete=models.CASCADE, db_index=False)
    nonce = models.CharField(max_length=64)
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["system", "nonce"], name="api_nonce_unique")]

    def __str__(self) -> str:
        return self.nonce


class DeviceKind(models.TextChoices):
    TABLET = "tablet", "窗口评价器"
    KIOSK = "kiosk", "自助评价终端"
    SCREEN = "screen", "大厅大屏"


class Device(models.Model):
    """A rating device: a tablet at one window, or a self-service kiosk at a place; or a hall
    display (大厅大屏) showing a place's figures read-only, paired the same way.

    Paired once with a one-time code (only its SM3 hash is kept, and it expires); pairing
    issues a device credential, of which again only the hash is stored. ``last_seen_at`` is
    the heartbeat: the console shows a device online when it was seen recently.
    """

    name = models.CharField("设备名称", max_length=100)
    kind = models.CharField("类型", max_length=10, choices=DeviceKind.choices, default=DeviceKind.TABLET)
    window = models.ForeignKey(Window, null=True, blank=True, on_delete=models.PROTECT, related_name="devices",
                               verbose_name="窗口")  # fmt: skip
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="devices", verbose_name="所在场所")
    pairing_code_hash = models.CharField(max_length=64, blank=True, db_index=True)
    pairing_expires_at = models.DateTimeField(null=True, blank=True)
    credential_hash = models.CharField(max_length=64, blank=True, db_index=True)
    paired_at = models.DateTimeField("配对时间", null=True, blank=True)
    last_seen_at = models.DateTimeField("最近心跳", null=True, blank=True)
    is_active = models.BooleanField("启用", default=True)
    # 暂停服务: set by the window's clerk (or an admin) from the console; a paused tablet shows
    # 暂停服务 and takes no rating request. Null: in service.
    paused_at = models.DateTimeField("暂停服务时间", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "评价设备"
        verbose_name_plural = "评价设备"
        ordering = ["unit__path", "name"]

    def __str__(self) -> str:
        return self.name


# The places that get a static QR code besides windows (制度: 街道便民服务中心、社区便民服务点, and the hall).
QR_PLACE_KINDS = (UnitKind.CENTER, UnitKind.STREET_CENTER, UnitKind.COMMUNITY_POINT)


class PlaceQrCode(models.Model):
    """The static QR code (``/q/<slug>``) posted at one window or one place (hall, 便民服务中心/点).

    Exactly one of ``window`` / ``unit`` is set, and each place has at most one code. The slug
    is random and unguessable (it is not a secret once printed, but it must not be derivable
    from a place's id or code); it never changes unless an administrator regenerates it, which
    makes every poster printed before unusable. Created on demand by ``qrcodes.qr_code_ensure``.
    """

    slug = models.CharField("二维码标识", max_length=32, unique=True)
    window = models.OneToOneField(
        Window, null=True, blank=True, on_delete=models.CASCADE, related_name="qr_code", verbose_name="窗口"
    )
    unit = models.OneToOneField(
        Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="qr_code", verbose_name="场所"
    )
    created_at = models.DateTimeField("首次生成时间")
    generated_at = models.DateTimeField("当前二维码生成时间")
    regenerations = models.PositiveIntegerField("重新生成次数", default=0)

    class Meta:
        verbose_name = "评价二维码"
        verbose_name_plural = "评价二维码"
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(window__isnull=False, unit__isnull=True)
                | models.Q(window__isnull=True, unit__isnull=False),
                name="place_qr_code_one_place",
            ),
        ]

    def __str__(self) -> str:
        return f"/q/{self.slug}"

    @property
    def place_name(self) -> str:
        return self.window.name if self.window_id else self.unit.name
