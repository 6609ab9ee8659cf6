"""Reads for the citizen pages (static QR, my ratings, kiosk), always by the phone's blind index.

The caller has proved the phone by SMS code; these functions never see the number itself. The
identity columns of service records stay deferred (nothing can render what was not read),
except in ``kiosk_match``, which must compare the applicant's name and reads it for that only.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence

from django.db.models import Q, QuerySet
from django.utils import timezone

from haochaping.core.crypto import sm4_decrypt, sm4_encrypt
from haochaping.organizations.models import PlaceQrCode
from haochaping.portal.links import IDENTITY_FIELDS
from haochaping.portal.verification import phone_indexes
from haochaping.rectification.citizen import CitizenService, citizen_services
from haochaping.service_records.models import ServiceRecord

MY_RATINGS_MAX = 100  # the user centre lists the newest services; older ones by phone (12345)


def _records(indexes: Sequence[str]) -> QuerySet[ServiceRecord]:
    return (
        ServiceRecord.objects.filter(phone_index__in=list(indexes))
        .select_related("item", "unit", "window", "window__unit", "staff")
        .defer(*IDENTITY_FIELDS)
    )


def _at_place(qs: QuerySet[ServiceRecord], qr: PlaceQrCode) -> QuerySet[ServiceRecord]:
    if qr.window_id is not None:
        return qs.filter(window_id=qr.window_id)
    return qs.filter(Q(window__unit_id=qr.unit_id) | Q(unit_id=qr.unit_id))


def place_pending_services(*, indexes: Sequence[str], qr: PlaceQrCode, days: int) -> list[ServiceRecord]:
    """The phone's unrated services at the QR code's place from the last ``days`` days, newest first.

    A window's code lists the services of that window; a place's code (hall, 便民服务中心/点)
    those served at its windows or by the place itself.
    """
    since = timezone.now() - dt.timedelta(days=days)
    qs = _at_place(_records(indexes), qr).filter(created_at__gte=since, evaluation__isnull=True)
    return list(qs.order_by("-created_at", "-id"))


def place_pending_get(*, indexes: Sequence[str], qr: PlaceQrCode, days: int, record_id: int) -> ServiceRecord | None:
    """One of ``place_pending_services``, or None (another phone's, another place's, rated, too old)."""
    since = timezone.now() - dt.timedelta(days=days)
    qs = _at_place(_records(indexes), qr).filter(created_at__gte=since, evaluation__isnull=True, pk=record_id)
    return qs.first()


def my_services(*, indexes: Sequence[str], limit: int = MY_RATINGS_MAX) -> list[CitizenService]:
    """The phone's services (newest first) with ratings and, for bad ones, the case's public
    progress and its feedback (``rectification.citizen.citizen_services``), looked up by blind
    index, so that the number never has to leave the request that verified it."""
    return citizen_services(_records(indexes), limit=limit)


def my_pending_get(*, indexes: Sequence[str], days: int, record_id: int) -> ServiceRecord | None:
    """One of the phone's unrated services from the last ``days`` days, or None."""
    since = timezone.now() - dt.timedelta(days=days)
    return _records(indexes).filter(pk=record_id, created_at__gte=since, evaluation__isnull=True).first()


# --- kiosk -------------------------------------------------------------------------------------------


def _normal_name(name: str) -> str:
    """Names compare without spaces, full-width forms or case: "张 三" = "张三", "ＡＢＣ公司" = "abc公司"."""
    return "".join(unicodedata.normalize("NFKC", name or "").split()).casefold()


def kiosk_match(*, project_no: str, name: str = "", mobile: str = "") -> tuple[ServiceRecord | None, str]:
    """The record of the 办件 whose applicant has this name or phone, and its phone (plain, for
    sending the code only). Names are compared here after decryption and never logged.

    (None, "") when nothing matches: the caller cannot tell a wrong number from a wrong name.
    """
    project_no = project_no.strip()
    if not project_no or len(project_no) > 50:
        return None, ""
    records = ServiceRecord.objects.filter(project_no=project_no).order_by("service_no", "pk")
    if mobile:
        indexes = set(phone_indexes(mobile))
        rows = list(records.only("pk", "phone_index", "applicant_phone"))
        if not rows:
            _decoy_decryptions(1)  # an unknown number costs what a wrong phone costs
        for record in rows:
            if record.phone_index in indexes:
                return record, record.applicant_phone
        return None, ""
    wanted = _normal_name(name)
    if not wanted:
        return None, ""
    rows = list(records.only("pk", "phone_index", "applicant_name", "applicant_phone"))
    if not rows:
        _decoy_decryptions(2)  # name and phone of one row: a wrong name takes no longer
    for record in rows:
        if _normal_name(record.applicant_name) == wanted:
            return record, record.applicant_phone or ""
    return None, ""


_DECOY: dict[str, str] = {}


def _decoy_decryptions(count: int) -> None:
    """Decrypt a throw-away ciphertext ``count`` times: the work of reading one 办件's identity
    columns, done when the 办件编号 is unknown so that the answer's timing does not tell an
    unknown number from an existing one with a wrong name (the answer's text never does)."""
    context = "service_records_servicerecord.applicant_name"
    if "token" not in _DECOY:
        _DECOY["token"] = sm4_encrypt("某某某", context=context)
    for _ in range(count):
        sm4_decrypt(_DECOY["token"], context=context)


def kiosk_services(*, project_no: str, indexes: Sequence[str]) -> list[ServiceRecord]:
    """The services of one 办件 whose applicant's phone was verified, in service order."""
    qs = _records(indexes).filter(project_no=project_no).select_related("evaluation")
    return list(qs.order_by("service_no", "pk"))


def kiosk_service_get(*, project_no: str, indexes: Sequence[str], record_id: int) -> ServiceRecord | None:
    qs = _records(indexes).filter(project_no=project_no, pk=record_id).select_related("evaluation", "evaluation__case")
    return qs.first()
