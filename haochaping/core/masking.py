"""Masked display of evaluator/applicant identity (张*, 138****1234, 4104**********1234)."""


def mask_name(name: str | None) -> str:
    if not name:
        return ""
    if len(name) == 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    # Chinese names keep the surname; enterprise names keep the first two and last characters.
    if len(name) <= 4:
        return name[0] + "*" * (len(name) - 1)
    return name[:2] + "*" * (len(name) - 3) + name[-1]


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    digits = phone.strip()
    if len(digits) >= 11:
        return digits[:3] + "****" + digits[-4:]
    if len(digits) > 4:
        return "*" * (len(digits) - 4) + digits[-4:]
    return "*" * len(digits)


def mask_id_number(number: str | None) -> str:
    if not number:
        return ""
    value = number.strip()
    if len(value) > 8:
        return value[:4] + "*" * (len(value) - 8) + value[-4:]
    return value[:1] + "*" * (len(value) - 1)
