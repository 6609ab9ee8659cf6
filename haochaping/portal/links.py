"""Signed citizen rating links (``/r/<token>``): what state a link is in.

The token is made by ``service_records.services.rating_link_for``: ``{"r": record id, "k": the
first 12 characters of the record's content fingerprint, "x": expiry in unix seconds}``, signed
with HMAC-SM3 for the purpose ``portal.rate``. A link is

* **invalid** when the signature fails, the payload is malformed, the record does not exist or
  ``k`` does not match the record (a token made for another service, or for content that has
  since changed). All of these look the same to the visitor (one 404 page), so the page never
  tells whether a record exists.
* **rated** when the service already has its rating, whatever the expiry: "已评价" tells more
  than "链接已失效" to someone opening an old SMS after rating.
* **expired** when ``x`` lies in the past.
* **valid** otherwise.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from enum import StrEnum

from haochaping.core.crypto import constant_time_equal, unsign_token
from haochaping.evaluations.models import Evaluation
from haochaping.service_records.models import ENCRYPTED_IDENTITY, ServiceRecord
from haochaping.service_records.services import RATING_LINK_PURPOSE

MAX_TOKEN_LENGTH = 512  # real tokens are ~100 characters; longer input is not worth hashing
_MAX_PK = 2**63 - 1
_MAX_EXPIRY = 253402300799  # 9999-12-31: anything later cannot be a datetime
# The identity columns, masked copies included, are never loaded by the portal: nothing can
# render what was not read.
IDENTITY_FIELDS = (*ENCRYPTED_IDENTITY, "applicant_name_masked", "applicant_phone_masked")


class LinkState(StrEnum):
    INVALID = "invalid"
    EXPIRED = "expired"
    RATED = "rated"
    VALID = "valid"


@dataclass
class RatingLink:
    state: LinkState
    record: ServiceRecord | None = None
    evaluation: Evaluation | None = None
    expires_at: dt.datetime | None = None


INVALID = RatingLink(LinkState.INVALID)


def _payload(token: str) -> tuple[int, str, int] | None:
    if len(token) > MAX_TOKEN_LENGTH:
        return None
    data = unsign_token(RATING_LINK_PURPOSE, token)
    if data is None:
        return None
    record_id, prefix, expires = data.get("r"), data.get("k"), data.get("x")
    # type() rather than isinstance(): JSON true/false would pass as int.
    if type(record_id) is not int or type(expires) is not int or not isinstance(prefix, str):
        return None
    if not 0 < record_id <= _MAX_PK or not 0 < expires < _MAX_EXPIRY or not prefix:
        return None
    return record_id, prefix, expires


def rating_link_resolve(token: str, *, now: float | None = None) -> RatingLink:
    """The state of a rating link, with its service record (identity columns deferred)."""
    payload = _payload(token)
    if payload is None:
        return INVALID
    record_id, prefix, expires = payload
    record = (
        ServiceRecord.objects.select_related("item", "unit", "window", "staff")
        .defer(*IDENTITY_FIELDS)
        .filter(pk=record_id)
        .first()
    )
    if record is None or not constant_time_equal(record.fingerprint[:12], prefix):
        return INVALID
    expires_at = dt.datetime.fromtimestamp(expires, tz=dt.UTC)
    evaluation = Evaluation.objects.select_related("case").filter(record_id=record.pk).first()
    if evaluation is not None:
        return RatingLink(LinkState.RATED, record, evaluation, expires_at)
    if expires < (time.time() if now is None else now):
        return RatingLink(LinkState.EXPIRED, record, None, expires_at)
    return RatingLink(LinkState.VALID, record, None, expires_at)
