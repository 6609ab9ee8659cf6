"""Synthetic identities with valid check digits: ID numbers, credit codes, phones, names.

Check digits follow GB 11643 (resident ID), GB 11714 (organisation code) and GB 32100
(unified social credit code), so the values pass format checks; the people do not exist.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from haochaping.demo import data

CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
PHONE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "172",
    "173",
    "175",
    "176",
    "177",
    "178",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
)


def org_code(body: str) -> str:
    """GB 11714: 8 characters + check character."""
    total = sum(int(ch, 36) * w for ch, w in zip(body, ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def credit_code(prefix: str, org_body: str) -> str:
    """GB 32100: registration authority + type (2), division (6), organisation code (9), check."""
    first = prefix + org_code(org_body)
    total = sum(CREDIT_CHARSET.index(ch) * w for ch, w in zip(first, CREDIT_WEIGHTS, strict=True))
    return first + CREDIT_CHARSET[(31 - total % 31) % 31]


def id_number(division: str, birth: dt.date, seq: int) -> str:
    """GB 11643: division (6), birth date (8), sequence (3, odd = male), check."""
    first = f"{division}{birth:%Y%m%d}{seq:03d}"
    total = sum(int(ch) * w for ch, w in zip(first, ID_WEIGHTS, strict=True))
    return first + "10X98765432"[total % 11]


@dataclass(frozen=True)
class Applicant:
    kind: str  # service_records.choices.ApplicantKind
    name: str
    id_type: str  # service_records.choices.IdType
    id_number: str
    phone: str


def person_name(rng: random.Random, male: bool) -> str:
    chars = data.GIVEN_MALE if male else data.GIVEN_FEMALE
    given = rng.choice(chars) + (rng.choice(chars) if rng.random() < 0.7 else "")
    return rng.choice(data.SURNAMES) + given


def phone(rng: random.Random) -> str:
    return rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def person(rng: random.Random) -> Applicant:
    male = rng.random() < 0.5
    birth = dt.date(1945, 1, 1) + dt.timedelta(days=rng.randrange(60 * 365))
    seq = rng.randrange(500) * 2 + (1 if male else 0)
    number = id_number(data.DISTRICT_CODE, birth, seq)
    return Applicant("1", person_name(rng, male), "111", number, phone(rng))


def enterprise(rng: random.Random) -> Applicant:
    body = "".join(rng.choice(CREDIT_CHARSET) for _ in range(8))
    if rng.random() < 0.35:  # 个体工商户: a non-legal-person business
        owner = person_name(rng, rng.random() < 0.6)
        name = f"石龙区{owner[0]}记{rng.choice(data.SHOP_KINDS)}"
        return Applicant("5", name, "001", credit_code("92" + data.DISTRICT_CODE, body), phone(rng))
    name = f"平顶山市{rng.choice(data.ENTERPRISE_BRANDS)}{rng.choice(data.ENTERPRISE_TRADES)}有限公司"
    return Applicant("2", name, "001", credit_code("91" + data.DISTRICT_CODE, body), phone(rng))
