from django.db import models


class ItemType(models.TextChoices):
    """GB/T 39046 附录 A.1 事项类型."""

    LICENSE = "01", "行政许可"
    PENALTY = "02", "行政处罚"
    COERCION = "03", "行政强制"
    LEVY = "04", "行政征收"
    PAYMENT = "05", "行政给付"
    INSPECTION = "06", "行政检查"
    CONFIRMATION = "07", "行政确认"
    REWARD = "08", "行政奖励"
    ADJUDICATION = "09", "行政裁决"
    OTHER_POWER = "10", "其他行政权力"
    PUBLIC_SERVICE = "20", "公共服务"


class Stage(models.TextChoices):
    """R1: a rating attaches to one stage of the service."""

    CONSULT = "1", "咨询预约"
    ACCEPT = "2", "申请受理"
    DECIDE = "3", "审查决定"
    DELIVER = "4", "结果送达"


class HandlingMode(models.TextChoices):
    ONLINE = "online", "线上"
    OFFLINE = "offline", "线下"


class ApplicantKind(models.TextChoices):
    PERSON = "1", "自然人"
    ENTERPRISE = "2", "企业法人"
    INSTITUTION = "3", "事业单位法人"
    SOCIAL_ORG = "4", "社会组织法人"
    NON_LEGAL = "5", "非法人企业"
    GOVERNMENT = "6", "行政机关"
    OTHER = "9", "其他组织"


class IdType(models.TextChoices):
    ID_CARD = "111", "居民身份证"
    PASSPORT = "414", "护照"
    HK_MACAO = "516", "港澳居民来往内地通行证"
    TAIWAN = "511", "台湾居民来往大陆通行证"
    CREDIT_CODE = "001", "统一社会信用代码"
    OTHER = "999", "其他"
