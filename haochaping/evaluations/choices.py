from django.db import models


class Level(models.IntegerChoices):
    """Internal coding 5 = 非常满意 … 1 = 非常不满意; bad = 1–2 (SPEC §3)."""

    VERY_SATISFIED = 5, "非常满意"
    SATISFIED = 4, "满意"
    BASIC = 3, "基本满意"
    DISSATISFIED = 2, "不满意"
    VERY_DISSATISFIED = 1, "非常不满意"


BAD_LEVELS = (Level.DISSATISFIED, Level.VERY_DISSATISFIED)


class Channel(models.IntegerChoices):
    """De-facto provincial ``pf`` codes; mapped per upstream at the boundary."""

    PC = 1, "PC 端"
    MOBILE = 2, "移动端"
    QR = 3, "二维码"
    TABLET = 4, "窗口评价器"
    KIOSK = 5, "自助终端/其他大厅设备"
    PHONE = 6, "电话"
    SMS = 7, "短信"


class Dimension(models.TextChoices):
    """R12 / 制度第二条 rating dimensions."""

    COMMITMENT = "commitment", "承诺履行"
    ATTITUDE = "attitude", "服务态度"
    MATERIALS = "materials", "申请材料"
    EFFICIENCY = "efficiency", "办事效率"
    TRIPS = "trips", "跑趟次数"
    MECHANISM = "mechanism", "服务机制"
    INTEGRITY = "integrity", "勤政廉洁"


DIMENSION_FIELDS = [d.value for d in Dimension]
